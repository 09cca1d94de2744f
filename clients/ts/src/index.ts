export { DidmetaClient, DidListing, didText } from "./client.js";
export type { ClientOptions, DidInfo, DidKey, DidRow, DidTypeName, ListOptions, NewDid } from "./client.js";
export { CODE_NAMES, DidmetaError, isNotFound, type FieldViolation } from "./errors.js";
export { fromValue, toValue, type Metadata, type MetaValue } from "./values.js";
export { READ_METHODS, READ_RETRY_POLICY, retryReads } from "./retries.js";
