"""indices stage."""
