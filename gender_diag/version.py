"""The package version, in a module of its own so that any module can read it without
importing the whole package (``gender_diag/__init__.py`` imports every stage)."""

__version__ = "0.1.0"
