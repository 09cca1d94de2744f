// The didmeta catalogue page: plain JavaScript over the REST/JSON gateway (docs/rest.md). Read-only.
// Listings stream as newline-delimited JSON from GET /v1/dids; "More" resumes from the last page token.
"use strict";

const CODES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
  "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"];

const $ = (id) => document.getElementById(id);
const state = { query: null, token: "", shown: 0, total: null, controller: null };

/** An error of the gateway: HTTP status and the google.rpc.Status body. */
class ApiError extends Error {
  constructor(httpStatus, status) {
    super(status.message || `HTTP ${httpStatus}`);
    this.httpStatus = httpStatus;
    this.status = status;
  }
}

function headers() {
  const token = $("token").value.trim();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function errorOf(response) {
  let status;
  try {
    status = await response.json();
  } catch (e) {
    status = { code: 2, message: `${response.status} ${response.statusText}` };
  }
  return new ApiError(response.status, status);
}

async function getJson(url) {
  const response = await fetch(url, { headers: headers() });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

/** Stream an NDJSON response: onResult(message) per line; stops early when onResult returns false. */
async function streamNdjson(url, onResult, signal) {
  const response = await fetch(url, { headers: headers(), signal });
  if (!response.ok) throw await errorOf(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line) continue;
      const item = JSON.parse(line);
      if (item.error) throw new ApiError(200, item.error);
      if (onResult(item.result) === false) {
        await reader.cancel();
        return false; // stopped before the end
      }
    }
  }
  return true; // the stream ended
}

function showError(error) {
  const box = $("error");
  box.replaceChildren();
  if (error instanceof ApiError) {
    const status = error.status;
    const info = (status.details || []).find((d) => (d["@type"] || "").endsWith("google.rpc.ErrorInfo"));
    const head = document.createElement("span");
    head.className = "status";
    head.textContent = `HTTP ${error.httpStatus} · ${CODES[status.code] || status.code}` + (info ? ` · ${info.reason}` : "");
    box.append(head, document.createElement("br"), document.createTextNode(status.message || ""));
  } else {
    box.textContent = `Error: ${error.message || error}`;
  }
  box.hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").replaceChildren();
}

function shortType(type) {
  return (type || "").replace(/^DID_TYPE_/, "");
}

function queryString(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== "" && value !== undefined && value !== null) search.append(key, value);
  }
  return search.toString();
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function updateCount() {
  const total = state.total === null ? "…" : state.total;
  $("count").textContent = `${state.shown} of ${total} DIDs`;
}

// --- listing --------------------------------------------------------------------------------------
async function listPage() {
  const pageSize = Math.max(1, parseInt($("page-size").value, 10) || 50);
  const q = state.query;
  const url = "/v1/dids?" + queryString({
    scope: q.scope, "filter.expression": q.filter, type: q.type, long: "true", batchSize: pageSize, pageToken: state.token,
  });
  const body = $("dids").querySelector("tbody");
  let taken = 0;
  state.controller = new AbortController();
  const ended = await streamNdjson(url, (result) => {
    const batch = result.batch || {};
    const names = batch.names || [];
    names.forEach((name, i) => {
      const row = document.createElement("tr");
      const scope = batch.scopes[i];
      row.dataset.scope = scope;
      row.dataset.name = name;
      row.append(cell(String(state.shown + 1), "num"), cell(`${scope}:${name}`, "did"),
        cell(shortType((batch.types || [])[i])), cell((batch.bytes || [])[i] ?? "", "num"),
        cell((batch.lengths || [])[i] ?? "", "num"));
      row.addEventListener("click", () => openDid(scope, name, row));
      body.append(row);
      state.shown += 1;
    });
    taken += names.length;
    state.token = result.nextPageToken || "";
    updateCount();
    return taken < pageSize;
  }, state.controller.signal);
  const more = !ended && state.token && (state.total === null || state.shown < state.total);
  $("more").hidden = !more;
}

async function startListing(event) {
  event.preventDefault();
  clearError();
  if (state.controller) state.controller.abort();
  state.query = { scope: $("scope").value.trim(), filter: $("filter").value.trim(), type: $("type").value };
  state.token = "";
  state.shown = 0;
  state.total = null;
  $("dids").querySelector("tbody").replaceChildren();
  $("more").hidden = true;
  $("details").hidden = true;
  $("count").textContent = "Listing…";
  const q = state.query;
  const counting = getJson("/v1/dids:count?" + queryString({ scope: q.scope, "filter.expression": q.filter, type: q.type }))
    .then((r) => { state.total = Number(r.count); updateCount(); });
  try {
    await Promise.all([listPage(), counting]);
    updateCount();
    $("more").hidden = !(state.token && state.shown < state.total);
  } catch (error) {
    $("count").textContent = "Listing failed.";
    showError(error);
  }
}

async function more() {
  clearError();
  $("more").disabled = true;
  try {
    await listPage();
  } catch (error) {
    showError(error);
  } finally {
    $("more").disabled = false;
  }
}

// --- one DID --------------------------------------------------------------------------------------
function didPath(scope, name) {
  return `/v1/dids/${encodeURIComponent(scope)}/${name.split("/").map(encodeURIComponent).join("/")}`;
}

function valueText(value) {
  if (value === null || value === undefined) return ["", ""];
  const [kind, inner] = Object.entries(value)[0] || ["", ""];
  switch (kind) {
    case "listValue":
      return [`[${(inner.values || []).map((v) => valueText(v)[0]).join(", ")}]`, "list"];
    case "mapValue":
      return [`{${Object.entries(inner.fields || {}).map(([k, v]) => `${k}: ${valueText(v)[0]}`).join(", ")}}`, "map"];
    case "nullValue":
      return ["null", "null"];
    default:
      return [String(inner), kind.replace(/Value$/, "")];
  }
}

function keyValueTable(entries) {
  const table = document.createElement("table");
  table.className = "metadata";
  const body = document.createElement("tbody");
  for (const [key, value, kind] of entries) {
    const row = document.createElement("tr");
    row.append(cell(key), cell(value), cell(kind, "vtype"));
    body.append(row);
  }
  table.append(body);
  return table;
}

async function openDid(scope, name, row) {
  clearError();
  document.querySelectorAll("#dids tr.selected").forEach((r) => r.classList.remove("selected"));
  if (row) row.classList.add("selected");
  const details = $("details");
  $("details-title").textContent = `${scope}:${name}`;
  details.hidden = false;
  const path = didPath(scope, name);
  try {
    const [{ did }, { plugins }] = await Promise.all([getJson(path), getJson("/v1/plugins")]);
    const attributes = ["type", "account", "bytes", "length", "events", "isOpen", "createdAt", "updatedAt"]
      .filter((k) => did[k] !== undefined)
      .map((k) => [k, k === "type" ? shortType(did[k]) : String(did[k]), ""]);
    $("attributes").replaceWith(Object.assign(keyValueTable(attributes), { id: "attributes" }));
    const metadata = $("metadata");
    metadata.replaceChildren();
    for (const plugin of plugins) {
      const { metadata: values } = await getJson(`${path}:metadata?` + queryString({ plugin: plugin.name }));
      const heading = document.createElement("h4");
      heading.textContent = plugin.name;
      const entries = Object.keys(values || {}).sort().map((k) => [k, ...valueText(values[k])]);
      const section = document.createElement("div");
      section.className = "plugin";
      section.dataset.plugin = plugin.name;
      section.append(heading, entries.length ? keyValueTable(entries) : document.createTextNode("(no keys)"));
      metadata.append(section);
    }
    const content = $("content").querySelector("tbody");
    content.replaceChildren();
    if (did.type === "DID_TYPE_FILE") {
      $("content-count").textContent = "A file has no content.";
    } else {
      let children = 0;
      await streamNdjson(`${path}:content`, (result) => {
        for (const child of result.dids || []) {
          const tr = document.createElement("tr");
          tr.append(cell(`${child.scope}:${child.name}`, "did"), cell(shortType(child.type)), cell(child.bytes, "num"));
          content.append(tr);
          children += 1;
        }
      });
      $("content-count").textContent = `${children} children`;
    }
  } catch (error) {
    showError(error);
  }
}

$("search").addEventListener("submit", startListing);
$("more").addEventListener("click", more);
