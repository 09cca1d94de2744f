"""Bridges between didmeta and other systems (`didmeta.integrations.rucio`)."""
