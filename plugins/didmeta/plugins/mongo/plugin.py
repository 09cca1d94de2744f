"""The MONGO plugin class: MongoWrites (writes) on MongoReads (reads) on MongoConnection (client)."""

from __future__ import annotations

from didmeta.plugins.base import ALL_FEATURES
from didmeta.plugins.mongo.writes import MongoWrites


class MongoPlugin(MongoWrites):
    """One document per DID in a MongoDB collection; writes compensated, reads typed as spec §4.3."""

    name = "MONGO"
    options_spec = {
        "url": "MongoDB URL (required), e.g. mongodb://host:27017/",
        "database": "database name (default didmeta)",
        "collection": "collection name (default did_meta)",
        "timeout_ms": "server selection and socket timeouts in milliseconds (default 5000)",
        "indexed_keys": "keys to index (real MongoDB; FerretDB scans)",
    }
    description = "Metadata as one document per DID in MongoDB (or FerretDB)"
    features = ALL_FEATURES
