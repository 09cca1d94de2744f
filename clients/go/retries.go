package didmeta

// ReadRetryServiceConfig is the gRPC service config New gives every channel: read-only calls that fail
// with UNAVAILABLE (a server draining, a proxy's trailers-only 503) or with a CANCELLED the client did
// not ask for are tried again, up to 4 attempts over about 0.7 s of backoff. Writes are never retried:
// one that failed behind a proxy may still have run. The same policy as the Python client's
// (clients/python/didmeta/client/retries.py; tests/polyglot/test_retry_configs.py checks every
// client's copy against it). A streaming read is retried only before its first message; ListDids
// resumes from its page token after that.
const ReadRetryServiceConfig = `{"methodConfig": [{
  "name": [
    {"service": "didmeta.v1.DidService", "method": "ListScopes"},
    {"service": "didmeta.v1.DidService", "method": "GetDid"},
    {"service": "didmeta.v1.DidService", "method": "ListContent"},
    {"service": "didmeta.v1.DidService", "method": "GetEmbargo"},
    {"service": "didmeta.v1.DidService", "method": "ListHistory"},
    {"service": "didmeta.v1.MetadataService", "method": "GetMetadata"},
    {"service": "didmeta.v1.MetadataService", "method": "GetMetadataBulk"},
    {"service": "didmeta.v1.MetadataService", "method": "ListDids"},
    {"service": "didmeta.v1.MetadataService", "method": "CountDids"},
    {"service": "didmeta.v1.MetadataService", "method": "FacetDids"},
    {"service": "didmeta.v1.MetadataService", "method": "ExplainDids"},
    {"service": "didmeta.v1.MetadataService", "method": "ListKeys"},
    {"service": "didmeta.v1.MetadataService", "method": "GetKey"},
    {"service": "didmeta.v1.MetadataService", "method": "ListSavedQueries"},
    {"service": "didmeta.v1.MetadataService", "method": "GetSavedQuery"},
    {"service": "didmeta.v1.MetadataService", "method": "ListPlugins"}
  ],
  "retryPolicy": {"maxAttempts": 4, "initialBackoff": "0.1s", "maxBackoff": "1s", "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE", "CANCELLED"]}
}]}`
