"""Tests of the report stage (a package, so that its conftest gets a unique module name)."""
