"""The ELASTIC plugin class: ElasticWrites (writes, on ElasticReads) and ElasticPaging (listing),
both on ElasticConnection (client)."""

from __future__ import annotations

from didmeta.plugins.base import ALL_FEATURES
from didmeta.plugins.elastic.mapping import PLUGIN_NAME
from didmeta.plugins.elastic.paging import ElasticPaging
from didmeta.plugins.elastic.writes import ElasticWrites


class ElasticPlugin(ElasticWrites, ElasticPaging):
    """Metadata in an Elasticsearch or OpenSearch index; see the package docstring."""

    name = PLUGIN_NAME
    description = "Metadata in an Elasticsearch or OpenSearch index (typed nested key/value entries)"
    options_spec = {
        "url": "server URL (required), e.g. http://127.0.0.1:9200; credentials may be in the URL; "
        "several nodes of one cluster comma-separated",
        "index": "index name (default didmeta); created with this plugin's mapping if missing",
        "shards": "primary shards of the index when the plugin creates it (default: the server's)",
        "replicas": "replicas per shard of the index when the plugin creates it (default: the server's)",
        "flavor": "auto (default: GET / decides) | opensearch (opensearch-py) | elasticsearch (elasticsearch-py 7.13)",
        "refresh": "write refresh policy: wait_for (default) | true | false (select may lag writes until a refresh)",
        "timeout_seconds": "per-request timeout in seconds (default 10)",
    }
    # Every operator: NE and EXISTS=false are answered by the dispatcher as complements of EQ and
    # EXISTS=true; `resume` and `exact_limit` follow from the ordered stream with `after`;
    # `recursive` is the dispatcher's walk over select(); writes are compensated (atomic_writes).
    features = ALL_FEATURES
