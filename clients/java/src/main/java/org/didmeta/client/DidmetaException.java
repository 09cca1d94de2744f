package org.didmeta.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A failed call: the gRPC status code, the ErrorInfo reason and metadata, the BadRequest field violations. */
public class DidmetaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** One offending request field. */
  public record FieldViolation(String field, String description) {}

  private final Status.Code code;
  private final String reason;
  private final Map<String, String> metadata;
  private final List<FieldViolation> fieldViolations;

  public DidmetaException(
      Status.Code code, String message, String reason, Map<String, String> metadata, List<FieldViolation> violations) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.metadata = Map.copyOf(metadata);
    this.fieldViolations = List.copyOf(violations);
  }

  static DidmetaException from(StatusRuntimeException e) {
    String reason = "";
    Map<String, String> metadata = new TreeMap<>();
    List<FieldViolation> violations = new ArrayList<>();
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status != null) {
      for (Any detail : status.getDetailsList()) {
        try {
          if (detail.is(ErrorInfo.class)) {
            ErrorInfo info = detail.unpack(ErrorInfo.class);
            reason = info.getReason();
            metadata.putAll(info.getMetadataMap());
          } else if (detail.is(BadRequest.class)) {
            for (BadRequest.FieldViolation v : detail.unpack(BadRequest.class).getFieldViolationsList()) {
              violations.add(new FieldViolation(v.getField(), v.getDescription()));
            }
          }
        } catch (InvalidProtocolBufferException ignored) {
          // a malformed detail is left out; the code and message still describe the failure
        }
      }
    }
    String message = e.getStatus().getDescription() != null ? e.getStatus().getDescription() : e.getStatus().getCode().name();
    return new DidmetaException(e.getStatus().getCode(), message, reason, metadata, violations);
  }

  /** The gRPC status code; {@code code().name()} is the canonical name (NOT_FOUND, ...). */
  public Status.Code code() {
    return code;
  }

  /** The google.rpc.ErrorInfo reason, e.g. DID_NOT_FOUND ("" if the server sent none). */
  public String reason() {
    return reason;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  public List<FieldViolation> fieldViolations() {
    return fieldViolations;
  }

  public boolean isNotFound() {
    return code == Status.Code.NOT_FOUND;
  }
}
