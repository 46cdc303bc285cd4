// The results table: sortable by any column (numbers as numbers, IRIs by their label), paged, IRIs shown by their
// label in the reader's language and linked to their page; language tags and datatypes shown small.

import { fill, formatNumber, h, t } from "./dom.js";
import { fetchLabels, hrefOf, labelOf } from "./labels.js";
import { numberOf } from "./sparql.js";

const PAGE_SIZES = [25, 50, 100, 500];
const XSD = "http://www.w3.org/2001/XMLSchema#";

export function compactDatatype(iri) {
  return iri.startsWith(XSD) ? `xsd:${iri.slice(XSD.length)}` : iri;
}

/** The text a cell shows for ``term`` (also what sorting compares for IRIs). */
export function termText(term) {
  if (!term) return "";
  if (term.type === "uri") return labelOf(term.value)?.label || term.value;
  if (term.type === "bnode") return `_:${term.value}`;
  return term.value;
}

function cell(term) {
  if (!term) return h("td");
  if (term.type === "uri") {
    return h("td", {}, h("a", { href: hrefOf(term.value), title: term.value }, termText(term)));
  }
  if (term.type === "bnode") return h("td", { className: "bnode" }, termText(term));
  const number = numberOf(term);
  const extra = term["xml:lang"] ? `@${term["xml:lang"]}`
    : term.datatype && number === null ? `^^${compactDatatype(term.datatype)}` : null;
  return h("td", { className: number !== null ? "number" : undefined, lang: term["xml:lang"] || undefined },
    term.value, extra ? [" ", h("small", {}, extra)] : null);
}

export class ResultsTable {
  constructor(container, answer) {
    this.container = container;
    this.vars = answer.head.vars;
    this.rows = answer.results.bindings;
    this.order = this.rows.map((_row, i) => i);
    this.sort = null; // {column, descending}
    this.page = 0;
    this.pageSize = 50;
  }

  pages() {
    return Math.max(1, Math.ceil(this.rows.length / this.pageSize));
  }

  sortBy(column) {
    const descending = this.sort?.column === column && !this.sort.descending;
    this.sort = { column, descending };
    const numeric = this.rows.every((row) => !row[column] || numberOf(row[column]) !== null);
    const collator = new Intl.Collator(document.documentElement.lang || undefined, { numeric: true, sensitivity: "base" });
    const key = (i) => this.rows[i][column];
    this.order.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      if (!x || !y) return (!x) - (!y); // unbound last, whichever the direction
      const compared = numeric ? numberOf(x) - numberOf(y) : collator.compare(termText(x), termText(y));
      return (descending ? -compared : compared) || a - b;
    });
    this.page = 0;
    this.render();
  }

  async render() {
    const start = this.page * this.pageSize;
    const shown = this.order.slice(start, start + this.pageSize).map((i) => this.rows[i]);
    const iris = shown.flatMap((row) => Object.values(row).filter((term) => term.type === "uri").map((term) => term.value));
    this.draw(shown, start);
    const pending = iris.filter((iri) => !labelOf(iri));
    if (pending.length) {
      await fetchLabels(pending);
      this.draw(shown, start);
    }
  }

  draw(shown, start) {
    const head = h("tr", {}, this.vars.map((v) => {
      const sorted = this.sort?.column === v ? (this.sort.descending ? "descending" : "ascending") : undefined;
      return h("th", { scope: "col", "aria-sort": sorted },
        h("button", { type: "button", className: "sort", title: t("sort", { column: v }), onclick: () => this.sortBy(v) },
          v, sorted ? (sorted === "ascending" ? " ▲" : " ▼") : ""));
    }));
    const body = shown.map((row) => h("tr", {}, this.vars.map((v) => cell(row[v]))));
    const table = h("div", { className: "table-wrap" },
      h("table", { className: "results" }, h("thead", {}, head), h("tbody", {}, body)));
    fill(this.container, table, this.pager(start, shown.length));
  }

  pager(start, count) {
    const pages = this.pages();
    const go = (page) => () => { this.page = page; this.render(); };
    const size = h("select", { "aria-label": t("per_page"),
      onchange: (event) => { this.pageSize = Number(event.target.value); this.page = 0; this.render(); } },
    PAGE_SIZES.map((n) => h("option", { value: n, selected: n === this.pageSize }, formatNumber(n))));
    return h("p", { className: "pager" },
      h("button", { type: "button", className: "previous", disabled: this.page === 0, onclick: go(this.page - 1) }, t("previous")),
      " ", h("span", { className: "page-of" }, t("page", { page: formatNumber(this.page + 1), pages: formatNumber(pages) })), " ",
      h("button", { type: "button", className: "next", disabled: this.page >= pages - 1, onclick: go(this.page + 1) }, t("next")),
      " · ", h("label", {}, t("per_page"), " ", size),
      count ? ` · ${formatNumber(start + 1)}–${formatNumber(start + count)}` : "");
  }
}
