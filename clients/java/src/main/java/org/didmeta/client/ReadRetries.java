package org.didmeta.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The gRPC service config {@link DidmetaClient#DidmetaClient(String)} gives its channel: read-only calls that
 * fail with UNAVAILABLE (a server draining, a proxy's trailers-only 503) or with a CANCELLED the client did not
 * ask for are tried again, up to 4 attempts over about 0.7 s of backoff. Writes are never retried: one that
 * failed behind a proxy may still have run. The same policy as the Python client's
 * (clients/python/didmeta/client/retries.py; tests/polyglot/test_retry_configs.py checks this copy against
 * it). A streaming read is retried only before its first message; {@link DidListing} resumes after that.
 * For a channel built elsewhere: {@code builder.defaultServiceConfig(ReadRetries.serviceConfig()).enableRetry()}.
 */
public final class ReadRetries {
  static final String[] DID_SERVICE_READS = {"ListScopes", "GetDid", "ListContent", "GetEmbargo", "ListHistory"};
  static final String[] METADATA_SERVICE_READS = {
    "GetMetadata", "GetMetadataBulk", "ListDids", "CountDids", "FacetDids", "ExplainDids", "ListKeys", "GetKey",
    "ListSavedQueries", "GetSavedQuery", "ListPlugins"
  };

  private ReadRetries() {}

  /** The service config, in the form ManagedChannelBuilder.defaultServiceConfig takes (numbers as Double). */
  public static Map<String, ?> serviceConfig() {
    List<Map<String, ?>> names = new ArrayList<>();
    for (String method : DID_SERVICE_READS) {
      names.add(Map.of("service", "didmeta.v1.DidService", "method", method));
    }
    for (String method : METADATA_SERVICE_READS) {
      names.add(Map.of("service", "didmeta.v1.MetadataService", "method", method));
    }
    Map<String, ?> policy = Map.of(
        "maxAttempts", 4.0,
        "initialBackoff", "0.1s",
        "maxBackoff", "1s",
        "backoffMultiplier", 2.0,
        "retryableStatusCodes", List.of("UNAVAILABLE", "CANCELLED"));
    return Map.of("methodConfig", List.of(Map.of("name", names, "retryPolicy", policy)));
  }
}
