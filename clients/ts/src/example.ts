// Runs a scenario file against a didmeta server with the TypeScript client and prints the canonical
// cross-language transcript (docs/contract.md): creates a scope and DIDs, sets typed metadata (int, double,
// string, bool, timestamp, list, map), streams a filtered ListDids, resumes it from a page token, and handles
// NOT_FOUND / ALREADY_EXISTS with their ErrorInfo reason.
// Usage: npx tsx src/example.ts SCENARIO.json HOST:PORT SCOPE
import { readFileSync } from "node:fs";
import { DidmetaClient, DidmetaError, didText, type DidKey, type DidTypeName, type Metadata, type MetaValue, type NewDid } from "./index.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Step {
  op: string;
  name?: string;
  plugin?: string;
  dids?: { name: string; type: string; bytes?: string; adler32?: string }[];
  metadata?: { [key: string]: { [kind: string]: Json } };
  filter?: string;
  type?: string;
  batch_size?: number;
  take_batches?: number;
  long?: boolean;
  metadata_keys?: string[];
}

function typed(spec: { [kind: string]: Json }): MetaValue {
  const [[kind, raw]] = Object.entries(spec);
  switch (kind) {
    case "int":
      return BigInt(raw as string);
    case "double":
      return raw as number;
    case "string":
    case "bool":
    case "null":
      return raw as string | boolean | null;
    case "timestamp":
      return new Date(raw as string);
    case "list":
      return (raw as { [kind: string]: Json }[]).map(typed);
    case "map":
      return typedMap(raw as { [key: string]: { [kind: string]: Json } });
  }
  throw new Error(`unknown value kind ${kind}`);
}

function typedMap(fields: { [key: string]: { [kind: string]: Json } }): Metadata {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typed(v)]));
}

const quote = (s: string) => `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

function doubleText(f: number): string {
  const s = String(f);
  return /[.en]/.test(s) ? s : `${s}.0`;
}

function canonical(v: MetaValue): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return `bool:${v}`;
    case "bigint":
      return `int:${v}`;
    case "number":
      return `double:${doubleText(v)}`;
    case "string":
      return `string:${quote(v)}`;
  }
  if (v instanceof Date) return `timestamp:${v.toISOString().replace("Z", "000Z")}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(", ")}]`;
  return canonicalMap(v);
}

function canonicalMap(m: Metadata): string {
  const keys = Object.keys(m).sort();
  return `{${keys.map((k) => `${k}=${canonical(m[k])}`).join(", ")}}`;
}

function errorText(e: DidmetaError): string {
  return `error ${e.codeName} reason=${e.reason} metadata=${canonicalMap(e.metadata)} message=${e.message}`;
}

async function run(path: string, target: string, scope: string): Promise<void> {
  const scenario = JSON.parse(readFileSync(path, "utf8")) as { steps: Step[] };
  const client = new DidmetaClient(target, { timeoutMs: 60_000 });
  const did = (name: string): DidKey => ({ scope, name });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  let lastList: Step = { op: "list_dids" };
  let token = "";
  for (const s of scenario.steps) {
    let label = s.name ? `${s.op} ${didText(did(s.name))}` : s.op;
    try {
      switch (s.op) {
        case "add_scope":
          label = `add_scope ${scope}`;
          await client.addScope(scope);
          out(`${label}: ok`);
          break;
        case "add_dids": {
          const news: NewDid[] = (s.dids ?? []).map((d) => ({
            did: did(d.name),
            type: d.type as DidTypeName,
            bytes: d.bytes !== undefined ? BigInt(d.bytes) : undefined,
            adler32: d.adler32,
          }));
          out(`${label}: created ${await client.addDids(news)}`);
          break;
        }
        case "set_metadata":
          await client.setMetadata(did(s.name!), typedMap(s.metadata ?? {}));
          out(`${label}: ok`);
          break;
        case "get_metadata":
          label += ` ${s.plugin}`;
          out(`${label}: ${canonicalMap(await client.getMetadata(did(s.name!), s.plugin))}`);
          break;
        case "get_did": {
          const info = await client.getDid(did(s.name!));
          out(`${label}: type=${info.type} bytes=${info.bytes} length=${info.length} adler32=${info.adler32} open=${info.isOpen}`);
          break;
        }
        case "list_dids":
        case "resume_list_dids": {
          if (s.op === "list_dids") {
            lastList = s;
            token = "";
          }
          label = `${s.op} filter=${quote(lastList.filter ?? "")}`;
          const listing = client.listDids(scope, {
            filter: lastList.filter,
            type: lastList.type ?? "COLLECTION",
            batchSize: lastList.batch_size,
            long: lastList.long,
            metadataKeys: lastList.metadata_keys,
            pageToken: token,
          });
          const rows: string[] = [];
          const tokens: string[] = [];
          const take = s.take_batches ?? 0;
          for await (const row of listing) {
            if (tokens.length === 0 || tokens[tokens.length - 1] !== listing.pageToken) {
              if (take && tokens.length === take) break;
              tokens.push(listing.pageToken);
            }
            rows.push(
              lastList.long
                ? `${didText(row.did)} ${row.type} bytes=${row.bytes} length=${row.length} ${canonicalMap(row.metadata ?? {})}`
                : didText(row.did),
            );
          }
          token = tokens.length ? tokens[tokens.length - 1] : "";
          out(`${label}: ${rows.length} DID(s)${take ? " (stopped early)" : ""}`);
          for (const r of rows) out(`  ${r}`);
          out(`  token=${token ? "yes" : "no"}`);
          break;
        }
        default:
          throw new Error(`unknown op ${s.op}`);
      }
    } catch (e) {
      if (!(e instanceof DidmetaError)) throw e;
      out(`${label}: ${errorText(e)}`);
    }
  }
}

const [path, target, scope] = process.argv.slice(2);
if (!scope) {
  process.stderr.write("usage: tsx src/example.ts SCENARIO.json HOST:PORT SCOPE\n");
  process.exit(2);
}
run(path, target, scope).catch((e: unknown) => {
  process.stderr.write(`didmeta-example: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
