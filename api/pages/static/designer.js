/* Definitions and versions; each version drawn by bpmn-js; upload a new version (admin). */
"use strict";
let designerViewer = null;

async function view(key, version) {
  const result = await api("GET", `/api/v1/definitions/${encodeURIComponent(key)}/versions/${version}/xml`);
  if (!result.ok) { flash(apiError(result), "error"); return; }
  document.getElementById("viewing").textContent = `${key} 第 ${version} 版`;
  designerViewer = await showDiagram("diagram", result.data, designerViewer);
}

async function loadDefinitions() {
  const definitions = await getOrShow("definitions", "/api/v1/definitions");
  if (!definitions) return [];
  const rows = definitions.map((d) => el("tr", { "data-key": d.key, "data-version": d.version },
    el("td", {}, d.name || d.key), el("td", {}, d.region || "—"), el("td", {}, `v${d.version}`),
    el("td", {}, fmtDate(d.deployed_at || d.created_at, true)),
    el("td", {}, el("button", { type: "button", onclick: () => view(d.key, d.version), "aria-label": `查看 ${d.key} 第 ${d.version} 版流程图` }, "查看"))));
  fill("definitions", table(["流程", "地区", "版本", "部署时间", "流程图"], rows));
  return definitions;
}

const uploadForm = document.getElementById("upload-form");
if (uploadForm) uploadForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = document.getElementById("bpmn-file").files[0];
  const box = document.getElementById("upload-result");
  if (!file) { box.replaceChildren(el("p.error", {}, "请选择 BPMN 文件")); return; }
  const body = new FormData();
  body.append("file", file);
  const result = await api("POST", "/api/v1/definitions", body);
  if (result.ok) {
    box.replaceChildren(el("p.ok", {}, result.status === 201 ? `已部署 ${result.data.key} 第 ${result.data.version} 版` : `内容未变化，仍为第 ${result.data.version} 版`));
    await loadDefinitions();
    view(result.data.key, result.data.version);
  } else {
    const errors = (result.data && result.data.errors) || [];
    box.replaceChildren(el("div.error", { "data-errors": errors.length }, el("p", {}, `部署被拒绝：共 ${errors.length} 个问题`),
      el("ul.problems", {}, errors.map((e) => el("li", {}, e.field ? `${e.field}：` : "", e.message, ` [${e.code}]`)))));
  }
});

loadDefinitions().then((defs) => { if (defs.length) view(defs[0].key, defs[0].version); });
