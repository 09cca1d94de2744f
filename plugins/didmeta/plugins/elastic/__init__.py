"""ELASTIC: metadata in an Elasticsearch or OpenSearch index (spec §3, §4.3).

One plugin for both servers. Option `flavor` picks the client: "opensearch" (opensearch-py),
"elasticsearch" (the official `elasticsearch` client, 7.13.x: later 7.x releases refuse
OpenSearch and 8.x/9.x servers need a newer client) or "auto" (the default: `GET /` and
`version.distribution == "opensearch"` decide). Auto-detection, index creation and the mapping
check happen on the first call that reaches the server, so `start()` succeeds while the server is
down; until it is up every call raises `Unavailable`, and the plugin recovers by itself.

Options (`plugin_options.ELASTIC`)
    url             required, e.g. http://127.0.0.1:9200 (credentials may be in the URL); several nodes
                    of one cluster as a comma-separated list: a request that cannot reach one node is
                    sent to the next
    index           index name, default "didmeta" (created with the mapping below if missing)
    shards          primary shards of the index when this plugin creates it (default: the server's)
    replicas        replicas of each shard when this plugin creates it (default: the server's)
    flavor          "auto" | "opensearch" | "elasticsearch"
    refresh         write refresh policy: "wait_for" (default) | "true" | "false".
                    Read-your-writes: `get_many` (mget) is real-time and always sees the last write;
                    `select` (search) sees a write once the index has refreshed. "wait_for" and
                    "true" make a write visible to `select` before the write returns; with "false"
                    a write may be missing from `select` until the next periodic refresh
                    (`index.refresh_interval`, 1 s by default). "wait_for" waits for that periodic
                    refresh, so it needs one: with `refresh_interval: -1` use "true".
    keys            the keys this plugin manages (default: every key); see MetadataPlugin
    timeout_seconds per-request timeout, default 10

Index layout (one document per DID that has metadata here, `_id` = "scope:name", `dynamic: strict`):
    scope, name     keyword; every listing sorts on (scope, name), a unique key
    keys            keyword array: the keys present (EXISTS)
    v               the metadata in didmeta's JSON storage form (`values.to_json`), an object with
                    `enabled: false`: kept verbatim in `_source`, never indexed; `get_many` reads it,
                    so ints stay ints, 5.0 stays a float, timestamps keep their microseconds, lists
                    and maps come back as they went in
    kv              nested, one entry per key holding a scalar: {k: key, <one typed field>}
    kl              nested, one entry per key holding a list: {k: key, <typed arrays of its elements>,
                    n: its length, o: true if an element is null, a list or a map} (layout 2)
  typed fields: l long (int), d double (float; -0.0 indexed as 0.0), s keyword (string),
  si keyword (the string lower-cased by Python's `str.lower`, the same function that lowers filter
  values, so ignore_case is exactly symmetric), b boolean, t long (timestamp as epoch microseconds,
  exact for years 1-9999). Maps and the elements of a list that are lists, maps or null are only
  in `v`: they never match a comparison, as on the SQL plugins.
  Why nested key/value entries rather than one field per key (`m.<key>.<type>` through dynamic
  templates): the mapping is fixed, so any number of distinct keys can be stored without hitting
  `index.mapping.total_fields.limit` (1000 by default, about 150 keys with typed sub-fields) and no
  new key ever costs a cluster-state update; a key whose type varies per DID is just a different
  typed field of its entry. A nested query per clause costs a block join, cheap next to a search.
  Separate `kv`/`kl` paths keep lists out of EQ/ordering/PREFIX and scalars out of CONTAINS.

Query semantics equal the SQL plugins (`sql_conditions.JsonConditions`): a number matches stored
ints and floats numerically and exactly (bounds are converted to each field's type in Python, so
4.5 < 5, 5 == 5.0, and ints beyond 2**53 are not rounded); strings match strings (byte order, the
order of SQLite and PostgreSQL's "C" collation), timestamps match timestamps, booleans only EQ;
`*` wildcards are anchored with every other character literal; ignore_case applies to every string
comparison. Equality and IN become `terms` queries per typed field, so an IN list is not limited by
`indices.query.bool.max_clause_count`. Only positive clauses are answered (the dispatcher computes
NE and EXISTS=false as complements, which must include DIDs without any document here).

Listing: `select` sorts on (scope, name), filters out everything up to `after`, and pages with
`search_after` on the last hit's sort values, so `index.max_result_window` does not apply.
  OpenSearch (>= 2.4): inside a point in time (`POST /<index>/_search/point_in_time`, searches without
  an index in the path, `DELETE /_search/point_in_time` in `finally`, also when the consumer stops
  early), so one stream sees one snapshot. If the point in time expires under a slow consumer, a new
  one is opened and the stream continues right after the last DID delivered.
  Elasticsearch: the point in time is an X-Pack feature (`POST /<index>/_pit`, `DELETE /_pit`).
  Elasticsearch 7.10 OSS, the build available here, has none (`/<index>/_pit` is the document-index
  endpoint there and answers 400), so a server reporting `build_flavor: oss` is listed without one;
  a default-distribution server >= 7.10 gets one, falling back (once, logged) if it refuses. That
  path is written to the documented API but untested here for want of such a server. Without a point
  in time each page is a fresh search after the last (scope, name): no DID is delivered twice, and
  none that stays unchanged is skipped, but a DID written behind or ahead of the cursor during the
  stream may be missed or seen, like a SQL keyset scan across transactions.

Writes read the previous documents (real-time mget), register a compensation that restores them
exactly (re-index the old `_source`, or delete a document that did not exist), then write with the
bulk API using optimistic concurrency (`if_seq_no`/`if_primary_term`, `create` for new documents):
a concurrent writer makes the plugin re-read and re-apply, so no update is lost.

Modules: `mapping` (the index mapping, a DID's document and the values read back), `query` (filter
clauses, scope patterns and keysets as search queries), `client` (options, client libraries,
connecting, the index, health, error translation), `reads` (mget, value counts), `paging`
(`select`: search_after pages, the point in time), `writes` (set_many, delete_keys, delete_dids
with optimistic concurrency and compensation), `plugin` (`ElasticPlugin`, which combines them).
"""

from didmeta.plugins.elastic.client import FLAVORS, REFRESH_POLICIES
from didmeta.plugins.elastic.mapping import LAYOUT_VERSION, MAPPING, MAX_TERM_BYTES, PLUGIN_NAME
from didmeta.plugins.elastic.plugin import ElasticPlugin
from didmeta.plugins.elastic.query import after_query, clause_query, scope_query, search_body

__all__ = [
    "FLAVORS",
    "LAYOUT_VERSION",
    "MAPPING",
    "MAX_TERM_BYTES",
    "PLUGIN_NAME",
    "REFRESH_POLICIES",
    "ElasticPlugin",
    "after_query",
    "clause_query",
    "scope_query",
    "search_body",
]
