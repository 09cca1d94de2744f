"""The relational store: schema, versioned migrations, engine set-up and catalogue operations."""
