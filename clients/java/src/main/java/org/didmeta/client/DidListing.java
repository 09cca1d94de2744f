package org.didmeta.client;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.didmeta.v1.DidBatch;
import org.didmeta.v1.DidType;
import org.didmeta.v1.ListDidsRequest;
import org.didmeta.v1.ListDidsResponse;

/**
 * The rows of one ListDids, streamed. A stream that fails with UNAVAILABLE is reopened from the last page
 * token (up to the client's resume attempts). {@link #pageToken()} resumes a later listing after the batch of
 * the last row returned. Close it (try-with-resources) to cancel a listing that is not read to the end.
 */
public final class DidListing implements Iterator<DidRow>, AutoCloseable {
  private final Function<ListDidsRequest, Iterator<ListDidsResponse>> open;
  private final ListDidsRequest request;
  private final int resumeAttempts;
  private final Deque<DidRow> rows = new ArrayDeque<>();
  private Context.CancellableContext context;
  private Iterator<ListDidsResponse> stream;
  private String token;
  private boolean done;

  DidListing(Function<ListDidsRequest, Iterator<ListDidsResponse>> open, ListDidsRequest request, int resumeAttempts) {
    this.open = open;
    this.request = request;
    this.resumeAttempts = resumeAttempts;
    this.token = request.getPageToken();
  }

  @Override
  public boolean hasNext() {
    int attempts = 0;
    while (rows.isEmpty() && !done) {
      try {
        if (stream == null) {
          if (context != null) {
            context.cancel(null); // the dropped stream's context, before a new one is opened
          }
          context = Context.current().withCancellation();
          ListDidsRequest next = request.toBuilder().setPageToken(token).build();
          stream = context.call(() -> open.apply(next));
        }
        if (!stream.hasNext()) {
          done = true;
          break;
        }
        ListDidsResponse response = stream.next();
        attempts = 0;
        token = response.getNextPageToken();
        addRows(response.getBatch());
      } catch (StatusRuntimeException e) {
        stream = null;
        if (e.getStatus().getCode() == Status.Code.UNAVAILABLE && attempts < resumeAttempts) {
          attempts++;
          sleep(100L << attempts);
          continue;
        }
        done = true;
        throw DidmetaException.from(e);
      } catch (RuntimeException e) {
        done = true;
        throw e;
      } catch (Exception e) {
        done = true;
        throw new IllegalStateException(e);
      }
    }
    return !rows.isEmpty();
  }

  private void addRows(DidBatch b) {
    for (int i = 0; i < b.getNamesCount(); i++) {
      String type = i < b.getTypesCount() ? typeName(b.getTypes(i)) : "";
      long bytes = i < b.getBytesCount() ? b.getBytes(i) : 0;
      long length = i < b.getLengthsCount() ? b.getLengths(i) : 0;
      Map<String, Object> metadata =
          i < b.getMetadataCount() ? Values.fromValues(b.getMetadata(i).getValuesMap()) : Map.of();
      rows.add(new DidRow(b.getScopes(i), b.getNames(i), type, bytes, length, metadata));
    }
  }

  static String typeName(DidType type) {
    return type.name().replaceFirst("^DID_TYPE_", "");
  }

  private static void sleep(long ms) {
    try {
      TimeUnit.MILLISECONDS.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public DidRow next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return rows.removeFirst();
  }

  /** Pass to {@link ListOptions#pageToken} to continue after the batch of the last row returned. */
  public String pageToken() {
    return token;
  }

  @Override
  public void close() {
    done = true;
    rows.clear();
    if (context != null) {
      context.cancel(null);
    }
  }
}
