/* Plain SVG bar charts (no library): horizontal bars with a label and value per row. */
"use strict";
const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/* rows: [{label, values: [n, ...]}]; series: [{name, cls}] */
function barChart(title, rows, series) {
  const rowH = 18 * series.length + 10, labelW = 150, width = 520;
  const max = Math.max(1, ...rows.flatMap((r) => r.values));
  const root = svg("svg", { viewBox: `0 0 ${width} ${rows.length * rowH + 30}`, role: "img", "aria-label": title, class: "chart" });
  root.append(svg("title", {}, title));
  rows.forEach((row, i) => {
    const y = i * rowH + 4;
    root.append(svg("text", { x: 0, y: y + 14, class: "chart-label" }, row.label.length > 11 ? row.label.slice(0, 11) + "…" : row.label));
    row.values.forEach((value, j) => {
      const w = Math.round((width - labelW - 40) * value / max);
      root.append(svg("rect", { x: labelW, y: y + j * 18, width: Math.max(w, 1), height: 14, class: series[j].cls }));
      root.append(svg("text", { x: labelW + w + 4, y: y + j * 18 + 12, class: "chart-value" }, String(value)));
    });
  });
  const legendY = rows.length * rowH + 22;
  series.forEach((s, j) => {
    root.append(svg("rect", { x: labelW + j * 90, y: legendY - 10, width: 12, height: 12, class: s.cls }));
    root.append(svg("text", { x: labelW + j * 90 + 16, y: legendY, class: "chart-label" }, s.name));
  });
  return root;
}
