"""Metadata plugins: the interface (`base`), the loader (`registry`) and the built-in backends."""
