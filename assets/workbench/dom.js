// Small helpers shared by the workbench's parts: building elements (never from HTML text: values from the data
// become text nodes), the page's messages, numbers in the reader's language.

let config = { messages: {}, lang: "en" };

export function setConfig(value) {
  config = value;
}

export function getConfig() {
  return config;
}

/** The message ``key`` in the page's language, its ``%(name)s`` placeholders filled from ``vars``. */
export function t(key, vars = {}) {
  const text = config.messages[key] ?? key;
  return text.replace(/%\((\w+)\)s/g, (_all, name) => (name in vars ? String(vars[name]) : ""));
}

export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(config.lang, options).format(value);
}

/** ``h("a", {href: "/x", className: "y"}, "text", child)``: properties set as properties, ``aria-*``/``data-*``
 * and a few others as attributes; ``on*`` functions as listeners. */
export function h(tag, props = {}, ...children) {
  const element = tag.includes(":")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.split(":")[1])
    : document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (element instanceof SVGElement || name.startsWith("aria-") || name.startsWith("data-")
      || ["role", "for", "hidden", "download", "lang", "scope", "colspan"].includes(name)) {
      element.setAttribute(name, value === true ? "" : String(value));
    } else {
      element[name] = value;
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace what ``element`` holds by ``children``. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}
