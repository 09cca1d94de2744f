"""The listing engine: filter plans, SQL compilation, merged streams and resume tokens."""
