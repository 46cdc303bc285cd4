// Running a query against our own endpoint (or a named query's API) and reading its answer: SPARQL JSON results
// for SELECT and ASK, N-Triples for CONSTRUCT and DESCRIBE (read here into subject/predicate/object rows).

const ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9";

/** What a run gave: ``{kind: "ok", form, answer, truncated, limit, elapsed}`` or ``{kind: "error", status, message, elapsed}``. */
export async function runQuery({ endpoint, sparql, named, values }) {
  const started = performance.now();
  let response;
  try {
    if (named) {
      const params = new URLSearchParams(values);
      params.set("format", named.form === "graph" ? "ntriples" : "json");
      response = await fetch(`/queries/${encodeURIComponent(named.name)}?${params}`, { headers: { Accept: ACCEPT } });
    } else {
      response = await fetch(endpoint, {
        method: "POST",
        headers: { Accept: ACCEPT, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ query: sparql }),
      });
    }
  } catch (error) {
    return { kind: "network", message: String(error), elapsed: seconds(started) };
  }
  const text = await response.text();
  const elapsed = seconds(started);
  if (!response.ok) return { kind: "error", status: response.status, message: text.trim(), elapsed };
  const type = response.headers.get("Content-Type") || "";
  const graph = type.includes("n-triples");
  const answer = graph ? triplesAsResults(text) : JSON.parse(text);
  const form = graph ? "graph" : "boolean" in answer ? "ask" : "select";
  const truncated = response.headers.get("X-Tscgraph-Truncated") === "true" || answer.truncated === true;
  const limit = Number(response.headers.get("X-Tscgraph-Row-Limit")) || answer.limit || null;
  return { kind: "ok", form, answer, truncated, limit, elapsed };
}

function seconds(started) {
  return (performance.now() - started) / 1000;
}

/** "error at 3:18: expected …" (the engine's message, kept by the server's 400) → {line, column}. */
export function errorPosition(message) {
  const found = /error at (\d+):(\d+)/.exec(message || "");
  return found ? { line: Number(found[1]), column: Number(found[2]) } : null;
}

// ------------------------------------------------------------------ N-Triples (what CONSTRUCT answers in here)

const IRI = /^<([^>]*)>/;
const BLANK = /^_:(\S+)/;
const LITERAL = /^"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?/;

function unescape(text) {
  return text.replace(/\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/g, (_all, u4, u8, ch) => {
    if (u4 || u8) return String.fromCodePoint(parseInt(u4 || u8, 16));
    return { t: "\t", b: "\b", n: "\n", r: "\r", f: "\f", '"': '"', "'": "'", "\\": "\\" }[ch] ?? ch;
  });
}

function readTerm(text) {
  let found = IRI.exec(text);
  if (found) return [{ type: "uri", value: unescape(found[1]) }, text.slice(found[0].length).trimStart()];
  found = BLANK.exec(text);
  if (found) return [{ type: "bnode", value: found[1] }, text.slice(found[0].length).trimStart()];
  found = LITERAL.exec(text);
  if (found) {
    const term = { type: "literal", value: unescape(found[1]) };
    if (found[2]) term["xml:lang"] = found[2];
    if (found[3]) term.datatype = found[3];
    return [term, text.slice(found[0].length).trimStart()];
  }
  throw new Error(`unreadable N-Triples term: ${text.slice(0, 40)}`);
}

export function triplesAsResults(text) {
  const bindings = [];
  for (const raw of text.split("\n")) {
    let line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const row = {};
    for (const name of ["subject", "predicate", "object"]) {
      [row[name], line] = readTerm(line);
    }
    bindings.push(row);
  }
  return { head: { vars: ["subject", "predicate", "object"] }, results: { bindings } };
}

// ------------------------------------------------------------------ reading terms

const XSD = "http://www.w3.org/2001/XMLSchema#";
const NUMERIC = new Set(["integer", "decimal", "double", "float", "long", "int", "short", "byte", "nonNegativeInteger",
  "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedLong", "unsignedInt", "unsignedShort",
  "unsignedByte"].map((local) => XSD + local));

/** The number a term holds, or null: typed numeric literals, and plain ones that are a number and nothing else. */
export function numberOf(term) {
  if (!term || term.type !== "literal") return null;
  if (term.datatype && !NUMERIC.has(term.datatype)) return null;
  if (!term.datatype && term["xml:lang"]) return null;
  if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(term.value)) return null;
  return Number(term.value);
}

/** The variables of ``answer`` whose every bound value is a number (and at least one is). */
export function numericColumns(answer) {
  const rows = answer.results.bindings;
  return answer.head.vars.filter((v) => {
    let seen = 0;
    for (const row of rows) {
      if (!row[v]) continue;
      if (numberOf(row[v]) === null) return false;
      seen += 1;
    }
    return seen > 0;
  });
}
