"""Access control: who the caller is (identity), what they may do (rights), what they may see (embargo)."""
