"""The `didmeta` command line: Rucio-like verbs over the Python client, plus `didmeta serve`."""
