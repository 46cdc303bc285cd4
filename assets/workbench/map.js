// A map of the answers that carry coordinates: a pair of columns named like lat/long (``?lat ?long``,
// ``?placeLat ?placeLong``…) or a WKT point (GeoSPARQL ``geo:asWKT``). Drawn in SVG over an offline world outline
// (world-atlas: Natural Earth 1:110m, served by this site) with d3-geo: no tiles, nothing from another origin.

import { geoEqualEarth, geoGraticule10, geoPath } from "d3-geo";
import { feature, mesh } from "topojson-client";
import { fill, formatNumber, getConfig, h, t } from "./dom.js";
import { fetchLabels, hrefOf } from "./labels.js";
import { numberOf, numericColumns } from "./sparql.js";
import { termText } from "./table.js";

const WKT_POINT = /^\s*(?:<[^>]*>\s*)?POINT\s*\(\s*([-+\d.eE]+)\s+([-+\d.eE]+)\s*\)\s*$/i;
const LAT = /^(.*?)(lat|latitude)$/i;
const LONG = /^(.*?)(long|lon|lng|longitude)$/i;
let outline = null; // the world outline, fetched once

/** How to read a point from a row: {lat, long} columns, or a WKT column; null when the answer has none. */
export function coordinateColumns(answer) {
  const vars = answer.head.vars;
  const rows = answer.results.bindings;
  for (const lat of vars) {
    const found = LAT.exec(lat);
    if (!found) continue;
    const long = vars.find((v) => LONG.exec(v)?.[1].toLowerCase() === found[1].toLowerCase());
    if (long && rows.some((row) => numberOf(row[lat]) !== null && numberOf(row[long]) !== null)) return { lat, long };
  }
  const wkt = vars.find((v) => rows.some((row) => row[v]?.type === "literal" && WKT_POINT.test(row[v].value)));
  return wkt ? { wkt } : null;
}

function pointOf(row, columns) {
  if (columns.wkt) {
    const found = row[columns.wkt] && WKT_POINT.exec(row[columns.wkt].value);
    return found ? [Number(found[1]), Number(found[2])] : null; // WKT (CRS84): longitude first
  }
  const lat = numberOf(row[columns.lat]);
  const long = numberOf(row[columns.long]);
  return lat === null || long === null || Math.abs(lat) > 90 || Math.abs(long) > 180 ? null : [long, lat];
}

export class ResultsMap {
  constructor(container, answer) {
    this.container = container;
    this.answer = answer;
    this.columns = coordinateColumns(answer);
  }

  async render() {
    if (!this.columns) {
      fill(this.container, h("p", { className: "notice" }, t("map_none")));
      return;
    }
    const vars = this.answer.head.vars;
    const used = new Set(Object.values(this.columns));
    const labelColumn = vars.find((v) => !used.has(v) && this.answer.results.bindings.some((row) => row[v]?.type === "uri"))
      || vars.find((v) => !used.has(v));
    const sizeColumn = numericColumns(this.answer).find((v) => !used.has(v));
    const points = this.answer.results.bindings.map((row) => ({ row, at: pointOf(row, this.columns) })).filter((p) => p.at);
    const [world] = await Promise.all([
      outline || fetch(getConfig().outline).then((response) => response.json()).then((data) => { outline = data; return data; }),
      fetchLabels(points.map((p) => p.row[labelColumn]).filter((term) => term?.type === "uri").map((term) => term.value)),
    ]);
    const width = 960;
    const height = 500;
    const projection = geoEqualEarth().fitExtent([[8, 8], [width - 8, height - 8]], { type: "Sphere" });
    const path = geoPath(projection);
    const largest = sizeColumn ? Math.max(...points.map((p) => numberOf(p.row[sizeColumn]) || 0), 1) : 1;
    const svg = h("svg:svg", { viewBox: `0 0 ${width} ${height}`, class: "map", role: "img",
      "aria-label": t("map_caption", { num: formatNumber(points.length) }) },
    h("svg:path", { class: "sphere", d: path({ type: "Sphere" }) }),
    h("svg:path", { class: "graticule", d: path(geoGraticule10()) }),
    h("svg:path", { class: "land", d: path(feature(world, world.objects.countries)) }),
    h("svg:path", { class: "borders", d: path(mesh(world, world.objects.countries, (a, b) => a !== b)) }),
    points.map(({ row, at }) => {
      const [x, y] = projection(at);
      const size = sizeColumn ? 3 + 9 * Math.sqrt((numberOf(row[sizeColumn]) || 0) / largest) : 5;
      const name = labelColumn ? termText(row[labelColumn]) : `${at[1]}, ${at[0]}`;
      const title = sizeColumn ? `${name}: ${row[sizeColumn]?.value ?? ""}` : name;
      const dot = h("svg:circle", { class: "point", cx: x.toFixed(1), cy: y.toFixed(1), r: size.toFixed(1) },
        h("svg:title", {}, title));
      const term = labelColumn && row[labelColumn];
      return term?.type === "uri" ? h("svg:a", { href: hrefOf(term.value) }, dot) : dot;
    }));
    const source = this.columns.wkt || `${this.columns.lat}, ${this.columns.long}`;
    fill(this.container, h("figure", { className: "map-box" }, svg,
      h("figcaption", {}, t("map_caption", { num: formatNumber(points.length) }), " ",
        t("map_coordinates"), " ", h("code", {}, source))));
  }
}
