"""prioritise stage."""
