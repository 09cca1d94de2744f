package org.didmeta.client;

import java.util.Map;

/** One listed DID; type, bytes, length and metadata are filled in long listings only. */
public record DidRow(String scope, String name, String type, long bytes, long length, Map<String, Object> metadata) {
  /** {@code scope:name}. */
  public String did() {
    return scope + ":" + name;
  }
}
