// Read-only calls retried after UNAVAILABLE (a server draining, a proxy's trailers-only 503) or a
// CANCELLED the client did not ask for: up to 4 attempts over about 0.7 s of jittered backoff. Writes
// are never retried (one that failed behind a proxy may still have run). The Python client's policy
// (clients/python/didmeta/client/retries.py), as a Connect interceptor: Connect has no gRPC service
// config. tests/polyglot/test_retry_configs.py checks this copy against the Python one. A streaming
// read is retried only before its first message; DidListing resumes from its page token after that.
import type { Message } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";

export const READ_RETRY_POLICY = {
  maxAttempts: 4,
  initialBackoff: "0.1s",
  maxBackoff: "1s",
  backoffMultiplier: 2,
  retryableStatusCodes: ["UNAVAILABLE", "CANCELLED"],
} as const;

export const READ_METHODS: Readonly<Record<string, readonly string[]>> = {
  "didmeta.v1.DidService": ["ListScopes", "GetDid", "ListContent", "GetEmbargo", "ListHistory"],
  "didmeta.v1.MetadataService": [
    "GetMetadata",
    "GetMetadataBulk",
    "ListDids",
    "CountDids",
    "FacetDids",
    "ExplainDids",
    "ListKeys",
    "GetKey",
    "ListSavedQueries",
    "GetSavedQuery",
    "ListPlugins",
  ],
};

const RETRYABLE = new Set([Code.Unavailable, Code.Canceled]);

function retryable(error: unknown, signal: AbortSignal): boolean {
  return !signal.aborted && RETRYABLE.has(ConnectError.from(error).code);
}

/** gRPC's backoff: a uniform random wait up to the current bound, the bound growing to maxBackoff. */
function backoff(attempt: number, signal: AbortSignal): Promise<void> {
  const bound = Math.min(100 * READ_RETRY_POLICY.backoffMultiplier ** (attempt - 1), 1000);
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.random() * bound);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** The stream, or a retryable error if it fails before its first message. */
async function firstMessage(response: StreamResponse): Promise<StreamResponse> {
  const messages = response.message[Symbol.asyncIterator]();
  const first = await messages.next();
  async function* rest() {
    if (first.done) return;
    yield first.value;
    for (let next = await messages.next(); !next.done; next = await messages.next()) yield next.value;
  }
  return { ...response, message: rest() };
}

export const retryReads: Interceptor = (next) => async (req) => {
  if (!READ_METHODS[req.service.typeName]?.includes(req.method.name)) return next(req);
  // A streaming request's messages are read once: each attempt sends them again.
  const sent: Message[] = [];
  if (req.stream) for await (const message of req.message) sent.push(message);
  for (let attempt = 1; ; attempt++) {
    try {
      if (!req.stream) return await next(req);
      const response = await next({ ...req, message: createAsyncIterable(sent) });
      return response.stream ? await firstMessage(response) : response;
    } catch (error) {
      if (attempt >= READ_RETRY_POLICY.maxAttempts || !retryable(error, req.signal)) throw error;
      await backoff(attempt, req.signal);
    }
  }
};
