// Comunica as a client of tscgraph (tests/test_client_comunica.py): one Node process runs every task of a JSON
// file and prints one JSON answer per task, in order.
//   node tests/clients/comunica.mjs TASKS.json
// A task: {"query": "...", "sources": ["http://…/sparql", {"type": "sparql", "value": "…"}, …]}; the sources are
// given to Comunica as they are (a bare URL: Comunica fetches it with its own Accept and finds out what it is).
// An answer: {"bindings": [{var: term}]}, {"boolean": true|false} or {"quads": [term quadruples]}, or {"error": "…"};
// a term is {"termType", "value", "datatype"?, "language"?}.
import { readFileSync } from "node:fs";
import { QueryEngine } from "@comunica/query-sparql";

const term = (t) => {
  const out = { termType: t.termType, value: t.value };
  if (t.termType === "Literal") {
    out.datatype = t.datatype.value;
    if (t.language) out.language = t.language;
  }
  return out;
};

async function run(engine, task) {
  const result = await engine.query(task.query, { sources: task.sources, lenient: false, httpTimeout: 30000 });
  if (result.resultType === "boolean") {
    return { boolean: await result.execute() };
  }
  if (result.resultType === "quads") {
    const quads = await (await result.execute()).toArray();
    return { quads: quads.map((q) => [term(q.subject), term(q.predicate), term(q.object), term(q.graph)]) };
  }
  const bindings = await (await result.execute()).toArray();
  return {
    bindings: bindings.map((b) => Object.fromEntries([...b].map(([variable, value]) => [variable.value, term(value)]))),
  };
}

const engine = new QueryEngine();
const answers = [];
for (const task of JSON.parse(readFileSync(process.argv[2], "utf-8"))) {
  try {
    answers.push(await run(engine, task));
  } catch (error) {
    answers.push({ error: String(error && error.stack ? error.stack : error).slice(0, 2000) });
  }
  await engine.invalidateHttpCache();
}
process.stdout.write(JSON.stringify(answers) + "\n");
