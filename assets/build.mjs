// Builds the analysts' workbench (the script of the /sparql page) into static/workbench/, which is committed:
// serving the site needs no Node. Run by `make assets` after `npm ci` (see docs/workbench.md).
//
// Writes:
//   workbench.js         assets/workbench/*.js and the npm packages they import, bundled and minified (esbuild)
//   workbench.css        assets/workbench/workbench.css
//   countries-110m.json  the world outline the map draws (world-atlas: Natural Earth 1:110m countries, TopoJSON)
//   LICENSES.txt         the licence of every package whose code or data is in the files above
//   manifest.json        what the build was made from: the exact version of each of those packages and the
//                        SHA-256 of package.json, package-lock.json, every source and every output.
//                        tests/test_workbench.py fails when the committed build and these files disagree.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build, version as esbuildVersion } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const sources = join(root, "assets", "workbench");
const out = join(root, "static", "workbench");
const OUTLINE = "world-atlas/countries-110m.json";

const sha256 = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");
const rel = (path) => relative(root, path).split("\\").join("/");

/** The package a node_modules path belongs to ("@scope/name" or "name"). */
function packageOf(path) {
  const parts = rel(path).split("/");
  const at = parts.lastIndexOf("node_modules");
  if (at < 0) return null;
  return parts[at + 1].startsWith("@") ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
}

mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: [join(sources, "main.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "none", // the licences are in LICENSES.txt, whole
  outfile: join(out, "workbench.js"),
  metafile: true,
  logLevel: "warning",
});
copyFileSync(join(sources, "workbench.css"), join(out, "workbench.css"));
copyFileSync(join(root, "node_modules", OUTLINE), join(out, "countries-110m.json"));

const used = new Set([packageOf(join(root, "node_modules", OUTLINE))]);
for (const input of Object.keys(result.metafile.inputs)) {
  const name = packageOf(join(root, input));
  if (name) used.add(name);
}
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
const packages = {};
const licences = [];
for (const name of [...used].sort()) {
  const meta = JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8"));
  const locked = lock.packages[`node_modules/${name}`];
  if (!locked || locked.version !== meta.version) {
    throw new Error(`${name}: node_modules holds ${meta.version}, package-lock.json says ${locked?.version}: run npm ci`);
  }
  packages[name] = meta.version;
  const dir = join(root, "node_modules", name);
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  const text = file ? readFileSync(join(dir, file), "utf8").trim() : `(no licence file; package.json says ${meta.license})`;
  licences.push(`== ${name} ${meta.version} (${meta.license ?? locked.license ?? "see below"})\n\n${text}\n`);
}
writeFileSync(join(out, "LICENSES.txt"),
  "The analysts' workbench (static/workbench/) bundles these packages; each one's licence follows.\n\n" +
  licences.join("\n"));

const inputs = {};
for (const path of [join(root, "package.json"), join(root, "package-lock.json"), join(root, "assets", "build.mjs"),
  ...readdirSync(sources).sort().map((f) => join(sources, f))]) {
  inputs[rel(path)] = sha256(path);
}
const outputs = {};
for (const file of ["workbench.js", "workbench.css", "countries-110m.json", "LICENSES.txt"]) {
  outputs[file] = sha256(join(out, file));
}
const manifest = { built_by: "make assets (assets/build.mjs)", esbuild: esbuildVersion, packages, inputs, outputs };
writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`static/workbench: ${Object.keys(packages).length} packages, workbench.js ${readFileSync(join(out, "workbench.js")).length} bytes`);
