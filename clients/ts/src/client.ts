// The didmeta TypeScript client (Connect's gRPC transport for Node): typed values in and out,
// a ListDids async iterator that resumes from its page token, errors as DidmetaError.
import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client as ConnectClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { DidType, DidTypeSelector } from "./gen/didmeta/v1/did_pb.js";
import { DidService } from "./gen/didmeta/v1/did_service_pb.js";
import { type ListDidsRequest, ListDidsRequestSchema, MetadataService } from "./gen/didmeta/v1/metadata_service_pb.js";
import { toDidmetaError } from "./errors.js";
import { retryReads } from "./retries.js";
import { fromValues, type Metadata, toValues } from "./values.js";

export interface DidKey {
  scope: string;
  name: string;
}

export function didText(key: DidKey): string {
  return `${key.scope}:${key.name}`;
}

export type DidTypeName = "FILE" | "DATASET" | "CONTAINER";

export interface NewDid {
  did: DidKey;
  type: DidTypeName;
  bytes?: bigint;
  events?: bigint;
  adler32?: string;
  md5?: string;
  guid?: string;
  metadata?: Metadata;
}

export interface DidInfo {
  did: DidKey;
  type: string;
  account: string;
  bytes: bigint;
  length: bigint;
  events: bigint;
  md5: string;
  adler32: string;
  guid: string;
  isOpen: boolean;
  createdAt?: Date;
  updatedAt?: Date;
  closedAt?: Date;
  expiredAt?: Date;
}

export interface ListOptions {
  /** The filter in the string grammar, e.g. `run.gte=100,type=DATASET`. */
  filter?: string;
  /** ALL, COLLECTION (default), CONTAINER, DATASET, FILE. */
  type?: string;
  long?: boolean;
  metadataKeys?: string[];
  recursive?: boolean;
  ignoreCase?: boolean;
  limit?: bigint;
  batchSize?: number;
  /** Resume after the DIDs a previous listing delivered. */
  pageToken?: string;
}

export interface DidRow {
  did: DidKey;
  /** Long listings only. */
  type?: string;
  bytes?: bigint;
  length?: bigint;
  metadata?: Metadata;
}

export interface ClientOptions {
  /** Sent as `authorization: Bearer TOKEN`. */
  token?: string;
  /** How often one listing reopens a stream that failed with UNAVAILABLE (default 5). */
  resumeAttempts?: number;
  /** Per-call timeout in ms (default 60 000). */
  timeoutMs?: number;
}

const typeName = (t: DidType): string => DidType[t];

async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (e) {
    throw toDidmetaError(e);
  }
}

export class DidmetaClient {
  private readonly dids: ConnectClient<typeof DidService>;
  private readonly meta: ConnectClient<typeof MetadataService>;
  readonly resumeAttempts: number;
  private readonly timeoutMs: number;

  /** target: "HOST:PORT" (plaintext) or an http(s):// base URL. */
  constructor(target: string, options: ClientOptions = {}) {
    const interceptors: Interceptor[] = [retryReads]; // reads retried on UNAVAILABLE (retries.ts)
    if (options.token) {
      const token = options.token;
      interceptors.push((next) => (req) => {
        req.header.set("authorization", `Bearer ${token}`);
        return next(req);
      });
    }
    const baseUrl = /^https?:\/\//.test(target) ? target : `http://${target}`;
    const transport = createGrpcTransport({ baseUrl, interceptors });
    this.dids = createClient(DidService, transport);
    this.meta = createClient(MetadataService, transport);
    this.resumeAttempts = options.resumeAttempts ?? 5;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  async addScope(scope: string, account = ""): Promise<void> {
    await call(this.dids.addScope({ scope, account }, { timeoutMs: this.timeoutMs }));
  }

  async addDids(dids: NewDid[]): Promise<bigint> {
    const request = {
      dids: dids.map((d) => ({
        scope: d.did.scope,
        name: d.did.name,
        type: DidType[d.type],
        bytes: d.bytes,
        events: d.events,
        adler32: d.adler32 ?? "",
        md5: d.md5 ?? "",
        guid: d.guid ?? "",
        metadata: toValues(d.metadata ?? {}),
      })),
    };
    return (await call(this.dids.addDids(request, { timeoutMs: this.timeoutMs }))).created;
  }

  async getDid(did: DidKey): Promise<DidInfo> {
    const d = (await call(this.dids.getDid({ did }, { timeoutMs: this.timeoutMs }))).did;
    if (!d) throw new Error("didmeta: GetDid returned no DID");
    const ts = (t: typeof d.createdAt) => (t ? timestampDate(t) : undefined);
    return {
      did: { scope: d.scope, name: d.name },
      type: typeName(d.type),
      account: d.account,
      bytes: d.bytes,
      length: d.length,
      events: d.events,
      md5: d.md5,
      adler32: d.adler32,
      guid: d.guid,
      isOpen: d.isOpen,
      createdAt: ts(d.createdAt),
      updatedAt: ts(d.updatedAt),
      closedAt: ts(d.closedAt),
      expiredAt: ts(d.expiredAt),
    };
  }

  async setMetadata(did: DidKey, metadata: Metadata, recursive = false): Promise<void> {
    await call(this.meta.setMetadata({ did, metadata: toValues(metadata), recursive }, { timeoutMs: this.timeoutMs }));
  }

  /** One DID's metadata from one plugin ("" = DID_COLUMN, "ALL" = merged). */
  async getMetadata(did: DidKey, plugin = ""): Promise<Metadata> {
    const response = await call(this.meta.getMetadata({ did, plugin }, { timeoutMs: this.timeoutMs }));
    return fromValues(response.metadata);
  }

  /** A listing: `for await (const row of client.listDids(scope, {filter}))`; see DidListing.pageToken. */
  listDids(scope: string, options: ListOptions = {}): DidListing {
    const selector = DidTypeSelector[(options.type ?? "COLLECTION").toUpperCase() as keyof typeof DidTypeSelector];
    if (selector === undefined) throw new RangeError(`didmeta: unknown type selector ${options.type}`);
    const request = create(ListDidsRequestSchema, {
      scope,
      type: selector,
      long: options.long ?? false,
      metadataKeys: options.metadataKeys ?? [],
      recursive: options.recursive ?? false,
      ignoreCase: options.ignoreCase ?? false,
      limit: options.limit ?? 0n,
      batchSize: options.batchSize ?? 0,
      pageToken: options.pageToken ?? "",
      filter: options.filter ? { expression: options.filter } : undefined,
    });
    return new DidListing(this.meta, request, this.resumeAttempts);
  }
}

/**
 * A stream lost to the transport: UNAVAILABLE, or how connect-node reports a reset connection: ABORTED
 * ("read ECONNRESET") or CANCELLED ("http/2 stream closed with error code CANCEL"). The server sends
 * neither ABORTED nor CANCELLED, and listings pass no AbortSignal, so both can only come from the connection.
 */
function isDroppedStream(e: unknown): boolean {
  return (
    e instanceof ConnectError && (e.code === Code.Unavailable || e.code === Code.Canceled || e.code === Code.Aborted)
  );
}

/**
 * The rows of one ListDids, as an async iterable. A stream that the connection drops (UNAVAILABLE, or
 * connect-node's ABORTED/CANCELLED for a reset connection) is reopened from the last page token. `pageToken` resumes a later listing after the batch of the last row yielded.
 */
export class DidListing implements AsyncIterable<DidRow> {
  pageToken: string;

  constructor(
    private readonly meta: ConnectClient<typeof MetadataService>,
    private readonly request: ListDidsRequest,
    private readonly resumeAttempts: number,
  ) {
    this.pageToken = request.pageToken;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<DidRow> {
    let attempts = 0;
    for (;;) {
      try {
        for await (const response of this.meta.listDids({ ...this.request, pageToken: this.pageToken })) {
          attempts = 0;
          const b = response.batch;
          if (!b) continue;
          const rows: DidRow[] = b.names.map((name, i) => {
            const row: DidRow = { did: { scope: b.scopes[i], name } };
            if (this.request.long) {
              row.type = b.types[i] !== undefined ? typeName(b.types[i]) : undefined;
              row.bytes = b.bytes[i];
              row.length = b.lengths[i];
              row.metadata = b.metadata[i] ? fromValues(b.metadata[i].values) : {};
            }
            return row;
          });
          this.pageToken = response.nextPageToken;
          yield* rows;
        }
        return;
      } catch (e) {
        if (isDroppedStream(e) && attempts < this.resumeAttempts) {
          attempts += 1;
          await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempts));
          continue;
        }
        throw toDidmetaError(e);
      }
    }
  }
}
