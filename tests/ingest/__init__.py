"""Tests of gender_diag.ingest."""
