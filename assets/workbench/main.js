// The analysts' workbench: turns the /sparql page's form into an editor with completion, runs queries in place,
// and shows their answers as a table, a chart or a map, with a permalink, downloads and a history.
// Everything it needs comes from the JSON block the page embeds (#workbench-config) and from this site's routes.
// Without script, the page's own form does the same work (it is what every permalink opens).

import { getConfig, fill, formatNumber, h, setConfig, t } from "./dom.js";
import { clearErrors, createEditor, markError, setText } from "./editor.js";
import { ResultsChart } from "./charts.js";
import { ResultsMap, coordinateColumns } from "./map.js";
import { errorPosition, runQuery } from "./sparql.js";
import { ResultsTable } from "./table.js";

const HISTORY_KEY = "tscgraph.workbench.history";
const HISTORY_SIZE = 50;

class Workbench {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.named = null; // the named query opened, while its text is unchanged
    this.values = {};
    this.answer = null;
    this.view = "table";
    this.build();
  }

  build() {
    const initial = this.config.initial;
    this.namedSelect = h("select", { id: "wb-named", onchange: (event) => this.openNamed(event.target.value) },
      h("option", { value: "" }, t("named_choose")),
      this.config.queries.map((q) => h("option", { value: q.name }, q.summary)));
    this.runButton = h("button", { type: "button", className: "run", onclick: () => this.run() }, t("run"));
    this.permalink = h("a", { className: "permalink", href: location.href }, t("permalink"));
    this.historyList = h("ol", { className: "history-list" });
    this.historyBox = h("details", { className: "history" }, h("summary", {}, t("history")), this.historyList,
      h("button", { type: "button", className: "link", onclick: () => { this.saveHistory([]); this.showHistory(); } }, t("history_clear")));
    this.params = h("fieldset", { className: "params", hidden: true });
    const editorBox = h("div", { className: "editor-box" });
    this.status = h("div", { className: "wb-status", role: "status" });
    this.alert = h("div", { className: "error", role: "alert", hidden: true });
    this.truncated = h("p", { className: "warning truncated", role: "status", hidden: true });
    this.tabs = h("div", { className: "tabs", role: "tablist" },
      ["table", "chart", "map"].map((view) => h("button", { type: "button", role: "tab", "data-view": view,
        onclick: () => this.show(view) }, t(view))));
    this.panel = h("div", { className: "panel", role: "tabpanel" });
    this.downloads = h("p", { className: "downloads" });
    this.results = h("section", { className: "answer", hidden: true }, this.truncated, this.tabs, this.panel, this.downloads);
    fill(this.root,
      h("div", { className: "toolbar" }, h("label", { for: "wb-named" }, t("named")), " ", this.namedSelect, " ",
        this.runButton, " ", this.permalink),
      this.params, editorBox, this.status, this.alert, this.results, this.historyBox);
    this.editor = createEditor(editorBox, initial.sparql, () => this.run(), (text) => {
      if (this.named && text !== this.named.sparql) this.openNamed(""); // edited: a query of its own now
    });
    this.showHistory();

    if (initial.named) this.openNamed(initial.named, initial.values, false);
    if (initial.answer) {
      this.showAnswer({ kind: "ok", form: initial.form, answer: initial.answer, truncated: !!initial.answer.truncated,
        limit: initial.answer.limit || this.config.rowLimit, elapsed: null });
    } else if (initial.error) {
      this.showError({ kind: "error", status: initial.error.status, message: initial.error.message, elapsed: null });
    }
  }

  // ---------------------------------------------------------------- named queries

  openNamed(name, values = {}, replaceText = true) {
    const query = this.config.queries.find((q) => q.name === name);
    this.named = query || null;
    this.namedSelect.value = query ? query.name : "";
    if (!query) {
      this.params.hidden = true;
      return;
    }
    if (replaceText) setText(this.editor, query.sparql);
    this.values = {};
    fill(this.params, h("legend", {}, `${t("parameters")} — ${query.summary}`),
      query.description ? h("p", { className: "description" }, query.description) : null,
      query.params.map((param) => {
        const input = h("input", { name: param.name, value: values[param.name] ?? param.default ?? "",
          "data-param": param.name, onkeydown: (event) => { if (event.key === "Enter") this.run(); } });
        return h("label", {}, h("code", {}, param.name), ` (${param.type}) `, h("small", {}, param.description), " ", input);
      }));
    this.params.hidden = query.params.length === 0 && !query.description;
  }

  currentNamed() {
    // a named query runs through its API only while its text is the catalogue's; edited, it is a query of its own
    if (!this.named || this.editor.state.doc.toString() !== this.named.sparql) return null;
    const values = {};
    for (const input of this.params.querySelectorAll("input[data-param]")) {
      if (input.value !== "") values[input.dataset.param] = input.value;
    }
    return { named: this.named, values };
  }

  // ---------------------------------------------------------------- running

  async run() {
    const sparql = this.editor.state.doc.toString();
    const named = this.currentNamed();
    clearErrors(this.editor);
    this.alert.hidden = true;
    this.runButton.disabled = true;
    fill(this.status, t("running"));
    const outcome = await runQuery({ endpoint: this.config.endpoint, sparql, named: named?.named, values: named?.values });
    this.runButton.disabled = false;
    const url = named ? `/sparql?${new URLSearchParams({ named: named.named.name, ...named.values })}`
      : `/sparql?${new URLSearchParams({ query: sparql })}`;
    history.replaceState(null, "", url);
    this.permalink.href = url;
    this.remember({ sparql, named: named?.named.name || null, values: named?.values || {} });
    if (outcome.kind === "ok") this.showAnswer(outcome, named);
    else this.showError(outcome);
  }

  showError(outcome) {
    this.results.hidden = true;
    fill(this.status);
    this.alert.hidden = false;
    if (outcome.kind === "network") {
      fill(this.alert, t("network"));
      return;
    }
    const position = outcome.status === 400 ? errorPosition(outcome.message) : null;
    if (position) {
      markError(this.editor, position, outcome.message);
      fill(this.alert, h("strong", {}, t("syntax_error", position)), " ", outcome.message);
    } else if (outcome.status === 503 && outcome.message.startsWith("timeout")) {
      const elapsed = outcome.elapsed ?? this.config.timeLimit;
      fill(this.alert, t("timeout", { elapsed: formatNumber(elapsed, { maximumFractionDigits: 1 }),
        limit: formatNumber(this.config.timeLimit) }), " ", h("small", {}, outcome.message));
    } else if (outcome.status === 503) {
      fill(this.alert, t("busy"), " ", h("small", {}, outcome.message));
    } else {
      fill(this.alert, t("error", { status: outcome.status }), " ", outcome.message);
    }
  }

  showAnswer(outcome, named = this.currentNamed()) {
    const answer = outcome.answer;
    this.answer = answer;
    this.results.hidden = false;
    const isAsk = "boolean" in answer;
    const rows = isAsk ? 0 : answer.results.bindings.length;
    fill(this.status, isAsk ? "" : t("rows", { num: formatNumber(rows) }),
      outcome.elapsed !== null && outcome.elapsed !== undefined
        ? ` · ${formatNumber(outcome.elapsed, { maximumFractionDigits: 2 })} s` : "");
    this.truncated.hidden = !outcome.truncated;
    fill(this.truncated, t("truncated", { limit: formatNumber(outcome.limit || this.config.rowLimit) }));
    this.showDownloads(outcome.form, named);
    if (isAsk) {
      this.tabs.hidden = true;
      fill(this.panel, h("p", { className: "boolean" }, answer.boolean ? t("ask_true") : t("ask_false")));
      return;
    }
    this.tabs.hidden = false;
    if (!rows) {
      fill(this.panel, h("p", { className: "notice" }, t("no_rows")));
      return;
    }
    this.show(this.view === "map" && !coordinateColumns(answer) ? "table" : this.view);
  }

  show(view) {
    this.view = view;
    for (const tab of this.tabs.querySelectorAll("[role=tab]")) tab.setAttribute("aria-selected", String(tab.dataset.view === view));
    if (!this.answer || "boolean" in this.answer) return;
    const Kind = { table: ResultsTable, chart: ResultsChart, map: ResultsMap }[view];
    new Kind(this.panel, this.answer).render();
  }

  showDownloads(form, named) {
    const links = (this.config.formats[form] || []).map((key) => {
      const params = named ? new URLSearchParams({ ...named.values, format: key })
        : new URLSearchParams({ query: this.editor.state.doc.toString(), format: key });
      const href = named ? `/queries/${encodeURIComponent(named.named.name)}?${params}` : `/sparql?${params}`;
      return [h("a", { href, "data-format": key }, key), " "];
    });
    fill(this.downloads, t("download"), " ", links);
  }

  // ---------------------------------------------------------------- history (this browser only)

  loadHistory() {
    try {
      return JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
    } catch {
      return [];
    }
  }

  saveHistory(entries) {
    try {
      localStorage.setItem(HISTORY_KEY, JSON.stringify(entries.slice(0, HISTORY_SIZE)));
    } catch {
      // storage full or refused: the history is a convenience
    }
  }

  remember(entry) {
    const entries = this.loadHistory().filter((e) => e.sparql !== entry.sparql || e.named !== entry.named
      || JSON.stringify(e.values) !== JSON.stringify(entry.values));
    this.saveHistory([{ ...entry, at: new Date().toISOString() }, ...entries]);
    this.showHistory();
  }

  showHistory() {
    const entries = this.loadHistory();
    if (!entries.length) {
      fill(this.historyList, h("li", { className: "empty" }, t("history_empty")));
      return;
    }
    const when = new Intl.DateTimeFormat(this.config.lang, { dateStyle: "short", timeStyle: "short" });
    fill(this.historyList, entries.map((entry) => {
      const body = entry.sparql.split("\n").filter((line) => line.trim() && !/^\s*(PREFIX|#)/i.test(line)).join(" ");
      const name = entry.named ? `${entry.named} ${new URLSearchParams(entry.values)}` : body.slice(0, 120);
      return h("li", {}, h("button", { type: "button", className: "link", onclick: () => this.restore(entry) }, t("open")),
        " ", h("time", { dateTime: entry.at }, when.format(new Date(entry.at))), " ", h("code", {}, name));
    }));
  }

  restore(entry) {
    if (entry.named) this.openNamed(entry.named, entry.values);
    else {
      this.openNamed("");
      setText(this.editor, entry.sparql);
    }
    this.editor.focus();
  }
}

function start() {
  const root = document.getElementById("workbench");
  const data = document.getElementById("workbench-config");
  if (!root || !data) return;
  const config = JSON.parse(data.textContent);
  setConfig(config);
  document.getElementById("sparql-form").hidden = true;
  root.hidden = false;
  window.tscgraphWorkbench = new Workbench(root, getConfig());
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
