package org.didmeta.client;

import java.util.ArrayList;
import java.util.List;

/** The arguments of ListDids besides the scope (a small builder: {@code new ListOptions().filter("run.gte=2")}). */
public final class ListOptions {
  String filter = "";
  String type = "COLLECTION";
  boolean longListing;
  List<String> metadataKeys = new ArrayList<>();
  boolean recursive;
  boolean ignoreCase;
  long limit;
  int batchSize;
  String pageToken = "";

  /** The filter in the string grammar, e.g. {@code run.gte=100,type=DATASET}. */
  public ListOptions filter(String value) {
    filter = value;
    return this;
  }

  /** ALL, COLLECTION (default), CONTAINER, DATASET, FILE. */
  public ListOptions type(String value) {
    type = value;
    return this;
  }

  /** Long listing: type, bytes, length and the given metadata keys. */
  public ListOptions longListing(List<String> keys) {
    longListing = true;
    metadataKeys = new ArrayList<>(keys);
    return this;
  }

  public ListOptions recursive(boolean value) {
    recursive = value;
    return this;
  }

  public ListOptions ignoreCase(boolean value) {
    ignoreCase = value;
    return this;
  }

  public ListOptions limit(long value) {
    limit = value;
    return this;
  }

  public ListOptions batchSize(int value) {
    batchSize = value;
    return this;
  }

  /** Resume after the DIDs a previous listing delivered ({@link DidListing#pageToken()}). */
  public ListOptions pageToken(String value) {
    pageToken = value;
    return this;
  }
}
