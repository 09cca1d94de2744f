// Failed calls as DidmetaError: gRPC status code, ErrorInfo reason + metadata, BadRequest field violations.
import { Code, ConnectError } from "@connectrpc/connect";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/** Canonical gRPC code names, by code number (as in the spec: NOT_FOUND, INVALID_ARGUMENT, ...). */
export const CODE_NAMES = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
  "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
] as const;

export interface FieldViolation {
  field: string;
  description: string;
}

export class DidmetaError extends Error {
  constructor(
    /** The gRPC status code (Connect's Code enum uses the gRPC numbers). */
    readonly code: Code,
    message: string,
    /** google.rpc.ErrorInfo reason, e.g. DID_NOT_FOUND. */
    readonly reason: string,
    readonly metadata: Record<string, string>,
    readonly fieldViolations: FieldViolation[],
  ) {
    super(message);
    this.name = "DidmetaError";
  }

  /** NOT_FOUND, ALREADY_EXISTS, ... */
  get codeName(): string {
    return CODE_NAMES[this.code] ?? "UNKNOWN";
  }
}

export function isNotFound(e: unknown): boolean {
  return e instanceof DidmetaError && e.code === Code.NotFound;
}

const ERROR_INFO = "google.rpc.ErrorInfo";
const BAD_REQUEST = "google.rpc.BadRequest";

// The client does not generate google/rpc/error_details.proto; these two messages are small enough to read here.
function readStringPair(bytes: Uint8Array): [string, string] {
  const r = new BinaryReader(bytes);
  let a = "", b = "";
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) a = r.string();
    else if (no === 2 && wt === WireType.LengthDelimited) b = r.string();
    else r.skip(wt);
  }
  return [a, b];
}

function readErrorInfo(bytes: Uint8Array): { reason: string; metadata: Record<string, string> } {
  const r = new BinaryReader(bytes);
  const out = { reason: "", metadata: {} as Record<string, string> };
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) out.reason = r.string();
    else if (no === 3 && wt === WireType.LengthDelimited) {
      const [k, v] = readStringPair(r.bytes());
      out.metadata[k] = v;
    } else r.skip(wt);
  }
  return out;
}

function readBadRequest(bytes: Uint8Array): FieldViolation[] {
  const r = new BinaryReader(bytes);
  const out: FieldViolation[] = [];
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) {
      const [field, description] = readStringPair(r.bytes());
      out.push({ field, description });
    } else r.skip(wt);
  }
  return out;
}

/** A thrown value as DidmetaError (ConnectErrors are converted; anything else is rethrown as is). */
export function toDidmetaError(e: unknown): unknown {
  if (!(e instanceof ConnectError)) return e;
  let reason = "";
  let metadata: Record<string, string> = {};
  let violations: FieldViolation[] = [];
  for (const detail of e.details) {
    if (!("value" in detail) || !(detail.value instanceof Uint8Array)) continue;
    const type = "type" in detail && typeof detail.type === "string" ? detail.type : "";
    if (type === ERROR_INFO) ({ reason, metadata } = readErrorInfo(detail.value));
    else if (type === BAD_REQUEST) violations = readBadRequest(detail.value);
  }
  return new DidmetaError(e.code, e.rawMessage, reason, metadata, violations);
}
