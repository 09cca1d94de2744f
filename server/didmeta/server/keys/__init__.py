"""Declared metadata keys: types and constraints checked on writes and in filters (docs/filters.md)."""
