// Labels and pages of the IRIs an answer shows, asked of /sparql/labels (in the reader's language, as every other
// page of the site labels and links them), a batch at a time, each IRI once per page view.

import { getConfig } from "./dom.js";

const BATCH = 40; // IRIs per request: keeps the URL well under what servers and proxies accept
const known = new Map(); // iri -> {label, href}

export function labelOf(iri) {
  return known.get(iri) || null;
}

/** A page for any IRI: ours at its own path (the server says which), others at /resource. */
export function hrefOf(iri) {
  return known.get(iri)?.href || `/resource?iri=${encodeURIComponent(iri)}`;
}

/** Fetch what is not known yet of ``iris``; resolves when every batch has answered (failures leave IRIs as they are). */
export async function fetchLabels(iris) {
  const config = getConfig();
  const missing = [...new Set(iris)].filter((iri) => !known.has(iri));
  const batches = [];
  const size = Math.min(BATCH, config.maxLabels || BATCH);
  for (let start = 0; start < missing.length; start += size) {
    const params = new URLSearchParams({ lang: config.lang });
    for (const iri of missing.slice(start, start + size)) params.append("iri", iri);
    batches.push(fetch(`${config.labels}?${params}`, { headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : { labels: {} }))
      .then((data) => {
        for (const [iri, entry] of Object.entries(data.labels || {})) known.set(iri, entry);
      })
      .catch(() => undefined));
  }
  await Promise.all(batches);
}
