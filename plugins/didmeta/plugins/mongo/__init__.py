"""MONGO: metadata in a MongoDB collection (or anything speaking its wire protocol, e.g. FerretDB).

Options (`plugin_options.MONGO`):
    url           required, e.g. ``mongodb://127.0.0.1:27018/``
    database      default ``didmeta``
    collection    default ``did_meta``
    keys          optional list: the only keys this plugin manages (default: every key)
    indexed_keys  optional list of metadata keys to index (``m.<key>``)
    timeout_ms    default 5000: server selection, connect and socket timeouts

Storage: one document per DID::

    {
      "_id":   "<scope>:<name>",      # collision-free: ':' cannot occur in a scope
      "scope": "<scope>", "name": "<name>",
      "m":  {<key>: <encoded value>, ...},
      "lc": {<key>: <lower-cased copy>, ...}   # only for keys whose value is a string
    }

Encoded values (metadata keys and map keys match ``[A-Za-z_][A-Za-z0-9_-]*``, so a field name
starting with a digit can never come from a user and the tags below are unforgeable):

    int        BSON int64 (decoded back to ``int``)
    double     BSON double (``5.0`` stays a float)
    string     BSON string; its lower-cased copy under ``lc.<key>`` serves ``ignore_case``
    bool       BSON bool
    timestamp  ``{"0ts": <int64 microseconds since 1970-01-01T00:00:00Z>}``: BSON dates only keep
               milliseconds; an int64 keeps microseconds and orders correctly (``m.<key>.0ts``)
    list       ``{"0l": [<encoded items>]}``, and at the top level also ``"0lc": [<lower-cased string
               items>]`` (for ``contains`` with ``ignore_case``)
    map        a sub-document of encoded values
    null       never stored: setting a key to None removes it

No BSON array is ever stored directly under ``m.<key>`` (lists are wrapped, also nested ones). So
MongoDB's implicit array traversal cannot make ``{"m.k": 5}`` match a list containing 5, and type
bracketing does the rest of spec §4.3: a numeric filter value matches int64 and double values
numerically, a string matches strings, a timestamp matches only ``0ts`` sub-documents, a bool only
bools; lists match only ``contains`` (``m.<key>.0l``), maps never. Strings compare in byte order
(no collation), like the relational plugins. Wildcards and prefixes are anchored regular
expressions (``\\z`` at the end, every other character escaped) on strings only.

Writes: each write first reads the previous documents of its DIDs and registers a compensation
(`UnitOfWork.on_rollback`) that puts exactly the touched keys back (and deletes again a document
that did not exist and holds no key any more); compensating per key rather than per document
leaves keys written meanwhile by other requests alone. Then one unordered ``bulk_write``: an
``$set``/``$unset`` upsert per existing document, an insert per new one (retried as the upsert if
the document appeared meanwhile). Inserts matter on FerretDB/SQLite, which commits every update
separately (2 500 upserts take ~15 s there, 2 500 inserts ~0.1 s).

MongoDB features deliberately not used, because FerretDB (the test server) lacks them: multi-
document transactions (hence the compensations), collations (case-insensitivity uses the
lower-cased copies), ``$elemMatch`` on sub-documents and whole-document equality inside arrays
(timestamps inside lists are matched through the dotted path ``m.<key>.0l.0ts``). FerretDB's
SQLite backend cannot delete more than 32 766 documents in one ``delete_many``: deletes go in
chunks of 30 000. It also ignores indexes (every query scans), so `timeout_ms` bounds how large a
collection it can serve.

Errors: every pymongo error becomes `Unavailable` (in `client._backend_errors`, the one place). pymongo
reconnects by itself; nothing broken is cached (indexes are retried until created once).

Modules: `documents` (the stored form: `encode`, `decode`, a DID's document), `query` (filter
clauses, scope patterns and keysets as MongoDB queries), `client` (options, the MongoClient,
indexes, health, error mapping), `reads` (get_many, value_counts, select), `writes` (set_many,
delete_keys, delete_dids and their compensations), `plugin` (`MongoPlugin`, which stacks them).
"""

from didmeta.plugins.mongo.client import SCOPE_NAME_INDEX
from didmeta.plugins.mongo.documents import (
    LIST_LOWER_TAG,
    LIST_TAG,
    LOWER,
    META,
    PLUGIN_NAME,
    TS_TAG,
    Document,
    decode,
    did_id,
    encode,
    new_document,
)
from didmeta.plugins.mongo.plugin import MongoPlugin
from didmeta.plugins.mongo.query import (
    Query,
    after_query,
    clause_query,
    prefix_regex,
    quantified_query,
    scope_query,
    select_query,
    wildcard_regex,
)
from didmeta.plugins.mongo.writes import Write, bulk_insert_first

__all__ = [
    "LIST_LOWER_TAG",
    "LIST_TAG",
    "LOWER",
    "META",
    "PLUGIN_NAME",
    "SCOPE_NAME_INDEX",
    "TS_TAG",
    "Document",
    "MongoPlugin",
    "Query",
    "Write",
    "after_query",
    "bulk_insert_first",
    "clause_query",
    "decode",
    "did_id",
    "encode",
    "new_document",
    "prefix_regex",
    "quantified_query",
    "scope_query",
    "select_query",
    "wildcard_regex",
]
