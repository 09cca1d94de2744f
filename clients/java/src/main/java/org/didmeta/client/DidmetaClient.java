package org.didmeta.client;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.didmeta.v1.AddDidsRequest;
import org.didmeta.v1.AddScopeRequest;
import org.didmeta.v1.Did;
import org.didmeta.v1.DidKey;
import org.didmeta.v1.DidServiceGrpc;
import org.didmeta.v1.DidType;
import org.didmeta.v1.DidTypeSelector;
import org.didmeta.v1.Filter;
import org.didmeta.v1.GetDidRequest;
import org.didmeta.v1.GetMetadataRequest;
import org.didmeta.v1.ListDidsRequest;
import org.didmeta.v1.MetadataServiceGrpc;
import org.didmeta.v1.NewDid;
import org.didmeta.v1.SetMetadataRequest;

/**
 * The Java client of didmeta: typed metadata values in and out ({@link Values}), a ListDids iterator that
 * resumes from its page token ({@link DidListing}), and {@link DidmetaException} with the status code and
 * the ErrorInfo reason. Thread-safe; close it when done.
 */
public final class DidmetaClient implements AutoCloseable {
  private final ManagedChannel channel;
  private final DidServiceGrpc.DidServiceBlockingStub dids;
  private final MetadataServiceGrpc.MetadataServiceBlockingStub meta;
  private final long timeoutSeconds;
  private final int resumeAttempts;

  /** A DID to create: {@code new NewDidSpec("scope", "name", "DATASET")}; bytes and adler32 optional. */
  public record NewDidSpec(String scope, String name, String type, Long bytes, String adler32, Map<String, ?> metadata) {
    public NewDidSpec(String scope, String name, String type) {
      this(scope, name, type, null, "", Map.of());
    }
  }

  /** A DID with its intrinsic attributes. */
  public record DidInfo(
      String scope, String name, String type, String account, long bytes, long length, long events, String md5,
      String adler32, String guid, boolean isOpen, Instant createdAt, Instant updatedAt) {}

  /** Plaintext connection to HOST:PORT; reads are retried on UNAVAILABLE ({@link ReadRetries}). */
  public DidmetaClient(String target) {
    this(
        Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
            .defaultServiceConfig(ReadRetries.serviceConfig())
            .enableRetry()
            .build(),
        null,
        60,
        5);
  }

  /** On an existing channel; token (may be null) is sent as {@code authorization: Bearer TOKEN}. */
  public DidmetaClient(ManagedChannel channel, String token, long timeoutSeconds, int resumeAttempts) {
    this.channel = channel;
    DidServiceGrpc.DidServiceBlockingStub d = DidServiceGrpc.newBlockingStub(channel);
    MetadataServiceGrpc.MetadataServiceBlockingStub m = MetadataServiceGrpc.newBlockingStub(channel);
    if (token != null) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      d = d.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
      m = m.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    this.dids = d;
    this.meta = m;
    this.timeoutSeconds = timeoutSeconds;
    this.resumeAttempts = resumeAttempts;
  }

  private static <T> T call(Supplier<T> rpc) {
    try {
      return rpc.get();
    } catch (StatusRuntimeException e) {
      throw DidmetaException.from(e);
    }
  }

  private DidServiceGrpc.DidServiceBlockingStub dids() {
    return dids.withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS);
  }

  private MetadataServiceGrpc.MetadataServiceBlockingStub meta() {
    return meta.withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS);
  }

  private static DidKey key(String scope, String name) {
    return DidKey.newBuilder().setScope(scope).setName(name).build();
  }

  public void addScope(String scope) {
    call(() -> dids().addScope(AddScopeRequest.newBuilder().setScope(scope).build()));
  }

  /** Creates DIDs atomically; returns how many were created. */
  public long addDids(List<NewDidSpec> specs) {
    AddDidsRequest.Builder request = AddDidsRequest.newBuilder();
    for (NewDidSpec s : specs) {
      NewDid.Builder b = NewDid.newBuilder().setScope(s.scope()).setName(s.name())
          .setType(DidType.valueOf("DID_TYPE_" + s.type().toUpperCase(java.util.Locale.ROOT)))
          .setAdler32(s.adler32() == null ? "" : s.adler32())
          .putAllMetadata(Values.toValues(s.metadata() == null ? Map.of() : s.metadata()));
      if (s.bytes() != null) {
        b.setBytes(s.bytes());
      }
      request.addDids(b);
    }
    return call(() -> dids().addDids(request.build())).getCreated();
  }

  public DidInfo getDid(String scope, String name) {
    Did d = call(() -> dids().getDid(GetDidRequest.newBuilder().setDid(key(scope, name)).build())).getDid();
    return new DidInfo(d.getScope(), d.getName(), DidListing.typeName(d.getType()), d.getAccount(), d.getBytes(),
        d.getLength(), d.getEvents(), d.getMd5(), d.getAdler32(), d.getGuid(), d.getIsOpen(),
        Instant.ofEpochSecond(d.getCreatedAt().getSeconds(), d.getCreatedAt().getNanos()),
        Instant.ofEpochSecond(d.getUpdatedAt().getSeconds(), d.getUpdatedAt().getNanos()));
  }

  /** Sets keys on one DID (upsert per key); values as in {@link Values}. */
  public void setMetadata(String scope, String name, Map<String, ?> metadata) {
    call(() -> meta().setMetadata(SetMetadataRequest.newBuilder().setDid(key(scope, name))
        .putAllMetadata(Values.toValues(metadata)).build()));
  }

  /** One DID's metadata from one plugin ("" = DID_COLUMN, "ALL" = merged). */
  public Map<String, Object> getMetadata(String scope, String name, String plugin) {
    return Values.fromValues(call(() -> meta().getMetadata(
        GetMetadataRequest.newBuilder().setDid(key(scope, name)).setPlugin(plugin).build())).getMetadataMap());
  }

  /** Streams the matching DIDs: {@code try (DidListing it = c.listDids(...)) { while (it.hasNext()) ... }}. */
  public DidListing listDids(String scope, ListOptions o) {
    ListDidsRequest.Builder request = ListDidsRequest.newBuilder().setScope(scope)
        .setType(DidTypeSelector.valueOf("DID_TYPE_SELECTOR_" + o.type.toUpperCase(java.util.Locale.ROOT)))
        .setLong(o.longListing).addAllMetadataKeys(o.metadataKeys).setRecursive(o.recursive)
        .setIgnoreCase(o.ignoreCase).setLimit(o.limit).setBatchSize(o.batchSize).setPageToken(o.pageToken);
    if (!o.filter.isEmpty()) {
      request.setFilter(Filter.newBuilder().setExpression(o.filter));
    }
    return new DidListing(r -> meta.withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS).listDids(r), request.build(),
        resumeAttempts);
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
