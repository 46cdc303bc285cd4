// Bar, line and pie charts of any numeric column of an answer, labelled by any other column (IRIs by their label),
// drawn by Chart.js from this site's own copy (nothing is fetched elsewhere).

import {
  ArcElement, BarController, BarElement, CategoryScale, Chart, Colors, Legend, LinearScale, LineController,
  LineElement, PieController, PointElement, Tooltip,
} from "chart.js";
import { fill, h, t } from "./dom.js";
import { fetchLabels } from "./labels.js";
import { numberOf, numericColumns } from "./sparql.js";
import { termText } from "./table.js";

Chart.register(ArcElement, BarController, BarElement, CategoryScale, Colors, Legend, LinearScale, LineController,
  LineElement, PieController, PointElement, Tooltip);

const MAX_POINTS = 500; // past this a chart says nothing a table does not say better

export class ResultsChart {
  constructor(container, answer) {
    this.container = container;
    this.answer = answer;
    this.numeric = numericColumns(answer);
    const others = answer.head.vars.filter((v) => !this.numeric.includes(v));
    this.labelColumns = others.length ? others : answer.head.vars;
    this.kind = "bar";
    this.value = this.numeric[this.numeric.length - 1]; // an aggregate (COUNT, SUM) is usually the last column
    this.label = this.labelColumns[0];
    this.chart = null;
  }

  async render() {
    if (!this.numeric.length) {
      fill(this.container, h("p", { className: "notice" }, t("chart_none")));
      return;
    }
    const select = (label, options, current, onchange) => h("label", {}, label, " ",
      h("select", { onchange: (event) => { onchange(event.target.value); this.render(); } },
        options.map(([value, text]) => h("option", { value, selected: value === current }, text))));
    const controls = h("p", { className: "chart-controls" },
      select(t("chart_kind"), [["bar", t("chart_bar")], ["line", t("chart_line")], ["pie", t("chart_pie")]], this.kind,
        (v) => { this.kind = v; }), " ",
      select(t("chart_value"), this.numeric.map((v) => [v, v]), this.value, (v) => { this.value = v; }), " ",
      select(t("chart_label"), this.labelColumns.map((v) => [v, v]), this.label, (v) => { this.label = v; }));
    const rows = this.answer.results.bindings.filter((row) => numberOf(row[this.value]) !== null).slice(0, MAX_POINTS);
    await fetchLabels(rows.map((row) => row[this.label]).filter((term) => term?.type === "uri").map((term) => term.value));
    const canvas = h("canvas", { role: "img", "aria-label": `${t("chart")}: ${this.value} / ${this.label}` });
    fill(this.container, controls, h("div", { className: "chart-box" }, canvas));
    if (this.chart) this.chart.destroy();
    this.chart = new Chart(canvas, {
      type: this.kind,
      data: {
        labels: rows.map((row) => termText(row[this.label])),
        datasets: [{ label: this.value, data: rows.map((row) => numberOf(row[this.value])) }],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: this.kind === "pie" }, colors: { forceOverride: this.kind === "pie" } },
      },
    });
  }
}
