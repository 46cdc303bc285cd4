// The SPARQL editor: CodeMirror 6 with its SPARQL mode (highlighting), completion from our own data
// (/sparql/completions: prefixes, classes and properties, GBF targets, CBD articles and places by any of their
// labels), and syntax errors marked where the server's parser stopped ("error at L:C").

import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, defaultHighlightStyle, indentOnInput, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { getConfig, t } from "./dom.js";

const KEYWORDS = ["SELECT", "DISTINCT", "WHERE", "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH", "SERVICE", "BIND",
  "VALUES", "GROUP BY", "HAVING", "ORDER BY", "LIMIT", "OFFSET", "CONSTRUCT", "DESCRIBE", "ASK", "PREFIX", "COUNT",
  "SAMPLE", "GROUP_CONCAT", "LANG", "LANGMATCHES", "STR", "CONTAINS", "STRSTARTS", "REGEX", "COALESCE", "EXISTS",
  "NOT EXISTS", "DESC", "ASC", "AS"];
const KIND_ORDER = { target: 0, article: 1, place: 2, class: 3, property: 4 };
/** A local name that may follow ``prefix:`` as it is (SPARQL's PN_LOCAL, kept simple); others are written <IRI>. */
const PLAIN_LOCAL = /^[A-Za-z_][A-Za-z0-9_-]*$/;

let vocabulary = null;

function loadVocabulary() {
  vocabulary ||= fetch(getConfig().completions, { headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : { prefixes: {}, terms: [] }))
    .then((data) => {
      for (const term of data.terms) {
        const texts = [...Object.values(term.labels), ...term.alt];
        term.keys = texts.map(fold);
        term.curie = curieOf(term.iri, data.prefixes);
      }
      return data;
    })
    .catch(() => ({ prefixes: {}, terms: [] }));
  return vocabulary;
}

/** Case, accents and apostrophes ignored, as the loaders' label resolver compares labels. */
export function fold(text) {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[’']/g, "'").toLowerCase().replace(/\s+/g, " ").trim();
}

function curieOf(iri, prefixes) {
  let best = null;
  for (const [prefix, namespace] of Object.entries(prefixes)) {
    if (iri.startsWith(namespace) && (!best || namespace.length > best[1].length)) best = [prefix, namespace];
  }
  return best ? { prefix: best[0], namespace: best[1], local: iri.slice(best[1].length) } : null;
}

function shortName(term) {
  return term.curie ? `${term.curie.prefix}:${term.curie.local}` : term.iri;
}

function labelFor(term) {
  const lang = getConfig().lang;
  return term.labels[lang] || term.labels.en || Object.values(term.labels)[0] || shortName(term);
}

/** Insert ``term`` in place of from..to: as prefix:local (declaring the prefix when the query lacks it) or <IRI>. */
function insertTerm(view, term, from, to) {
  const curie = term.curie;
  if (!curie || !PLAIN_LOCAL.test(curie.local)) {
    view.dispatch({ changes: { from, to, insert: `<${term.iri}>` }, selection: { anchor: from + term.iri.length + 2 } });
    return;
  }
  const text = `${curie.prefix}:${curie.local}`;
  const changes = [{ from, to, insert: text }];
  let shift = 0;
  const declaration = declarationOf(view.state.doc.toString(), curie.prefix, curie.namespace);
  if (declaration) {
    changes.push(declaration);
    shift = declaration.insert.length;
  }
  view.dispatch({ changes, selection: { anchor: from + text.length + shift } });
}

/** The change that declares ``prefix`` at the top of the query (after its other PREFIX lines), or null if declared. */
function declarationOf(doc, prefix, namespace) {
  if (new RegExp(`PREFIX\\s+${prefix}:`, "i").test(doc)) return null;
  const declarations = [...doc.matchAll(/^\s*PREFIX\s+[^\n]*\n/gim)];
  const at = declarations.length ? declarations[declarations.length - 1].index + declarations[declarations.length - 1][0].length : 0;
  return { from: at, insert: `PREFIX ${prefix}: <${namespace}>\n` };
}

function termOption(term, shown) {
  return {
    label: shown,
    detail: shortName(term),
    info: `${t(`completion_${term.kind}`)} · ${term.iri}${term.count ? ` · ${t("uses", { num: term.count })}` : ""}`,
    type: term.kind === "property" ? "property" : term.kind === "class" ? "class" : "constant",
    boost: -KIND_ORDER[term.kind],
    apply: (view, _completion, from, to) => insertTerm(view, term, from, to),
  };
}

async function complete(context) {
  const line = context.state.doc.lineAt(context.pos);
  const before = line.text.slice(0, context.pos - line.from);
  if (/<[^>\s]*$/.test(before) || (before.split('"').length % 2 === 0)) return null; // inside an IRI or a string
  const data = await loadVocabulary();

  const declaring = /\bPREFIX\s+([A-Za-z][\w.-]*)?$/i.exec(before);
  if (declaring) {
    const typed = declaring[1] || "";
    const options = Object.entries(data.prefixes).filter(([p]) => p.startsWith(typed)).map(([prefix, namespace]) => ({
      label: `${prefix}:`, detail: namespace, type: "namespace", info: t("completion_prefix"),
      apply: `${prefix}: <${namespace}>`,
    }));
    return { from: context.pos - typed.length, options, filter: false };
  }

  const prefixed = /(?:^|[^\w:/<?$])([A-Za-z][\w.-]*)?:([\w./-]*)$/.exec(before);
  if (prefixed && (prefixed[1] || "") in data.prefixes) {
    const prefix = prefixed[1] || "";
    const local = prefixed[2].toLowerCase();
    const options = data.terms.filter((term) => term.curie?.prefix === prefix && term.curie.local.toLowerCase().startsWith(local))
      .slice(0, 200).map((term) => termOption(term, `${prefix}:${term.curie.local} — ${labelFor(term)}`));
    return { from: context.pos - prefixed[0].length + prefixed[0].indexOf(prefixed[1] || ":"), options, filter: false };
  }

  // words before the cursor, longest run first: "Target 3", "Mayotte", "cible 12", "Art 8"
  const words = /([\p{L}\p{N}][\p{L}\p{N}'’.-]*(?: [\p{L}\p{N}'’.-]+){0,3})$/u.exec(before);
  if (!words) return context.explicit ? { from: context.pos, options: keywordOptions(""), filter: false } : null;
  const parts = words[1].split(" ");
  for (let n = parts.length; n >= 1; n -= 1) {
    const typed = parts.slice(parts.length - n).join(" ");
    const key = fold(typed);
    if (key.length < 2 || (n === 1 && key.length < 3 && !context.explicit)) continue;
    const matches = [];
    for (const term of data.terms) {
      if (!(term.kind in KIND_ORDER)) continue;
      const rank = Math.min(...term.keys.map((k) => (k === key ? 0 : k.startsWith(key) ? 1 : k.includes(` ${key}`) ? 2 : 9)));
      if (rank < 9) matches.push([rank, term]);
    }
    const keywords = n === 1 ? keywordOptions(typed) : [];
    if (matches.length || keywords.length) {
      matches.sort((a, b) => a[0] - b[0] || KIND_ORDER[a[1].kind] - KIND_ORDER[b[1].kind]);
      const options = matches.slice(0, 60).map(([_rank, term]) => {
        const hit = [...Object.values(term.labels), ...term.alt].find((text) => fold(text).includes(key)) || labelFor(term);
        const shown = hit === labelFor(term) ? hit : `${hit} — ${labelFor(term)}`;
        return termOption(term, shown);
      });
      return { from: context.pos - typed.length, options: [...options, ...keywords], filter: false };
    }
  }
  return null;
}

function keywordOptions(typed) {
  const key = typed.toUpperCase();
  return KEYWORDS.filter((k) => k.startsWith(key) && k !== key).map((k) => ({ label: k, type: "keyword", boost: -10 }));
}

const theme = EditorView.theme({
  "&": { minHeight: "14rem", maxHeight: "32rem", fontSize: "14px", backgroundColor: "#fff" },
  ".cm-scroller": { fontFamily: "ui-monospace, monospace", lineHeight: "1.45" },
  "&.cm-focused": { outline: "3px solid #f0b400", outlineOffset: "1px" },
  ".cm-gutters": { backgroundColor: "#f5f7f6", color: "#5b6b63", borderRight: "1px solid #d9e2dc" },
  ".cm-tooltip-autocomplete ul li[aria-selected]": { backgroundColor: "#1f6f4a", color: "#fff" },
  ".cm-completionDetail": { marginLeft: "1em", color: "#5b6b63", fontStyle: "normal" },
  ".cm-tooltip-autocomplete ul li[aria-selected] .cm-completionDetail": { color: "#e4f1ea" },
});

/** Text typed or pasted over a selection of several lines is put in by the editor itself: left to the browser,
 * Chrome's editing tries to keep the replaced lines' look with a ``style`` attribute, which the CSP refuses
 * (harmlessly, but as a violation in the console). */
const replaceSelection = EditorView.domEventHandlers({
  beforeinput(event, view) {
    const range = view.state.selection.main;
    if (range.empty || event.isComposing || view.state.doc.lineAt(range.from).number === view.state.doc.lineAt(range.to).number) {
      return false;
    }
    const text = event.inputType === "insertText" ? event.data
      : event.inputType === "insertFromPaste" ? event.dataTransfer?.getData("text/plain") : null;
    if (text === null || text === undefined) return false;
    event.preventDefault();
    view.dispatch({ ...view.state.replaceSelection(text), userEvent: event.inputType === "insertText" ? "input.type" : "input.paste",
      scrollIntoView: true });
    return true;
  },
});

/** An editor in ``parent`` holding ``text``; ``onRun`` on Ctrl/Cmd-Enter, ``onChange(text)`` after each edit.
 *
 * It lives in a shadow root of ``parent``: there CodeMirror's styles are constructed style sheets, which the
 * page's CSP (``style-src 'self'``, no inline style) allows, where in the document they would be ``<style>``
 * elements, which it refuses. */
export function createEditor(parent, text, onRun, onChange = () => {}) {
  const root = parent.attachShadow({ mode: "open" });
  const mount = document.createElement("div");
  root.append(mount);
  return new EditorView({
    parent: mount,
    root,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        StreamLanguage.define(sparql),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        autocompletion({ override: [complete], activateOnTyping: true, maxRenderedOptions: 60 }),
        lintGutter(),
        keymap.of([{ key: "Mod-Enter", run: () => { onRun(); return true; } },
          ...closeBracketsKeymap, ...completionKeymap, ...historyKeymap, ...defaultKeymap]),
        EditorView.contentAttributes.of({ "aria-label": t("editor") }),
        EditorView.lineWrapping,
        replaceSelection,
        EditorView.updateListener.of((update) => { if (update.docChanged) onChange(update.state.doc.toString()); }),
        theme,
      ],
    }),
  });
}

export function setText(view, text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

/** Mark the error at (line, column) — 1-based, as the server says it — from there to the end of its line. */
export function markError(view, position, message) {
  const doc = view.state.doc;
  const line = doc.line(Math.min(Math.max(position.line, 1), doc.lines));
  const from = Math.min(line.from + Math.max(position.column - 1, 0), line.to);
  const to = from < line.to ? line.to : Math.min(from + 1, doc.length);
  const start = from === to && from > line.from ? from - 1 : from;
  view.dispatch(setDiagnostics(view.state, [{ from: start, to: Math.max(to, start), severity: "error", message }]));
}

export function clearErrors(view) {
  view.dispatch(setDiagnostics(view.state, []));
}
