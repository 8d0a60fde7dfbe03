/* Definitions and versions: each version drawn by bpmn-js, uploads (admin), version diff, moving cases. */
"use strict";
const ROOT_DATA = document.getElementById("designer-root").dataset;
const IS_ADMIN = ROOT_DATA.role === "admin";
let designerViewer = null;
let diffViewer = null;
let allDefinitions = [];

async function view(key, version) {
  const result = await api("GET", `/api/v1/definitions/${encodeURIComponent(key)}/versions/${version}/xml`);
  if (!result.ok) { flash(apiError(result), "error"); return; }
  document.getElementById("viewing").textContent = `${key} 第 ${version} 版`;
  designerViewer = await showDiagram("diagram", result.data, designerViewer);
}

function definitionRow(d) {
  const buttons = [el("button", { type: "button", onclick: () => view(d.key, d.version), "aria-label": `查看 ${d.key} 第 ${d.version} 版流程图` }, "查看")];
  if (IS_ADMIN) buttons.push(el("button", { type: "button", "data-edit": `${d.key}:${d.version}`, onclick: () => window.openVersionInModeler(d.key, d.version),
    "aria-label": `在设计器中打开 ${d.key} 第 ${d.version} 版` }, "编辑"));
  return el("tr", { "data-key": d.key, "data-version": d.version },
    el("td", {}, d.name || d.key), el("td", {}, d.region || "—"), el("td", {}, `v${d.version}`),
    el("td", {}, fmtDate(d.deployed_at || d.created_at, true)), el("td", {}, buttons));
}

async function loadDefinitions() {
  const definitions = await getOrShow("definitions", "/api/v1/definitions");
  if (!definitions) return [];
  allDefinitions = definitions;
  fill("definitions", table(["流程", "地区", "版本", "部署时间", "操作"], definitions.map(definitionRow)));
  fillKeyChoosers();
  return definitions;
}

/* ---------------------------------------------------------------- key and version choosers */
function ownKeys() {
  const mine = allDefinitions.filter((d) => IS_ADMIN || d.region === ROOT_DATA.region);
  return [...new Map(mine.map((d) => [d.key, d])).values()];
}

function versionsOf(key) {
  return allDefinitions.filter((d) => d.key === key).map((d) => d.version).sort((a, b) => a - b);
}

function fillVersions(selectId, key, pick) {
  const select = document.getElementById(selectId);
  if (!select) return;
  const versions = versionsOf(key);
  select.replaceChildren(...versions.map((v) => el("option", { value: v }, `v${v}`)));
  if (versions.length) select.value = String(pick(versions));
}

function wireChooser(prefix) {
  const keySelect = document.getElementById(`${prefix}-key`);
  if (!keySelect) return;
  const keep = keySelect.value;
  keySelect.replaceChildren(...ownKeys().map((d) => el("option", { value: d.key }, `${d.name || d.key}（${d.region || "—"}）`)));
  if (keep && versionsOf(keep).length) keySelect.value = keep;
  const refill = () => {
    fillVersions(`${prefix}-from`, keySelect.value, (v) => v.length > 1 ? v[v.length - 2] : v[0]);
    fillVersions(`${prefix}-to`, keySelect.value, (v) => v[v.length - 1]);
  };
  keySelect.onchange = refill;
  refill();
}

function fillKeyChoosers() {
  wireChooser("diff");
  wireChooser("move");
}

/* ---------------------------------------------------------------- version diff */
function describeValue(value) {
  return value === null || value === undefined ? "（无）" : String(value);
}

function diffRows(changes) {
  return changes.map((c) => el("tr", { "data-element": c.id, "data-change": c.change },
    el("td", {}, { added: "新增", removed: "删除", changed: "修改" }[c.change]), el("td", {}, c.name || "—"),
    el("td", {}, el("code", {}, c.id)), el("td", {}, c.type),
    el("td", {}, c.properties.length ? el("ul.problems", {}, c.properties.map((p) =>
      el("li", { "data-property": p.name }, `${p.name}：${describeValue(p.from)} → ${describeValue(p.to)}`))) : "—")));
}

async function runDiff() {
  const key = document.getElementById("diff-key").value;
  const from = document.getElementById("diff-from").value;
  const to = document.getElementById("diff-to").value;
  const box = document.getElementById("diff-list");
  const result = await api("GET", `/api/v1/definitions/${encodeURIComponent(key)}/diff?from=${from}&to=${to}`);
  if (!result.ok) { box.replaceChildren(el("p.error", {}, apiError(result))); return; }
  const changes = result.data.changes;
  box.replaceChildren(el("p", {}, `第 ${from} 版 → 第 ${to} 版：${changes.length} 处变化`),
    changes.length ? table(["变化", "名称", "元素", "类型", "属性"], diffRows(changes), `${key} 版本差异`) : "");
  const xml = await api("GET", `/api/v1/definitions/${encodeURIComponent(key)}/versions/${to}/xml`);
  if (!xml.ok) return;
  if (diffViewer) diffViewer.destroy();
  diffViewer = DesignerKit.createViewer(document.getElementById("diff-diagram"));
  await diffViewer.importXML(xml.data);
  diffViewer.get("canvas").zoom("fit-viewport");
  markDiff(diffViewer, changes);
  document.getElementById("diff-diagram").dataset.state = "ready";
}

function markDiff(viewer, changes) {
  const registry = viewer.get("elementRegistry");
  const canvas = viewer.get("canvas");
  const overlays = viewer.get("overlays");
  for (const change of changes) {
    if (change.change === "removed" || !registry.get(change.id)) continue;
    canvas.addMarker(change.id, `diff-${change.change}`);
    const label = change.change === "added" ? "新增" : change.properties.map((p) => p.name).join("、");
    overlays.add(change.id, "diff", { position: { top: -12, right: 12 },
      html: el(`span.diff-badge.${change.change}`, { "data-element": change.id, title: label }, label) });
  }
}

/* ---------------------------------------------------------------- moving running cases */
function parseMapping(text) {
  const mapping = {};
  for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const [from, to] = line.split("=").map((s) => (s || "").trim());
    if (from && to) mapping[from] = to;
  }
  return mapping;
}

function moveRows(cases) {
  return cases.map((c) => el("tr", { "data-case": c.case_id, "data-movable": String(c.movable), "data-moved": String(c.moved) },
    el("td", {}, el("code", {}, c.case_id.slice(0, 8))),
    el("td", {}, c.moved ? "已迁移" : c.movable ? "可迁移" : "不可迁移"),
    el("td", {}, c.active.map((a) => `${a.from} → ${a.to || "（无）"}`).join("；") || "—"),
    el("td", {}, c.reasons.map((r) => r.message).join("；") || "—")));
}

async function runMove(dryRun) {
  const key = document.getElementById("move-key").value;
  const box = document.getElementById("move-result");
  const body = { from_version: Number(document.getElementById("move-from").value),
    to_version: Number(document.getElementById("move-to").value),
    mapping: parseMapping(document.getElementById("move-mapping").value), dry_run: dryRun };
  // moving running cases cannot be undone: the administrator confirms the versions first
  if (!dryRun && !window.confirm(`确定将「${key}」第 ${body.from_version} 版的运行中办件迁移到第 ${body.to_version} 版？`
      + "迁移后不可撤销；建议先试运行。")) {
    box.replaceChildren(el("p", { "data-cancelled": "true" }, "已取消，未做任何更改"));
    return;
  }
  const result = await api("POST", `/api/v1/definitions/${encodeURIComponent(key)}/migrations`, body);
  if (!result.ok) { box.replaceChildren(el("div.error", {}, problemsList(result.data.errors || []))); return; }
  const r = result.data;
  const summary = dryRun ? `试运行：${r.cases.length} 件运行中，${r.movable} 件可迁移（未做任何更改）`
    : `已迁移 ${r.moved} 件；其余在原版本上办结`;
  box.replaceChildren(el("p", { "data-dry-run": String(dryRun) }, summary),
    r.cases.length ? table(["办件", "结果", "活动对应", "原因"], moveRows(r.cases), "迁移结果") : "");
}

/* ---------------------------------------------------------------- upload (admin) */
function showDeployResult(box, result) {
  if (result.ok) {
    box.replaceChildren(el("p.ok", {}, result.status === 201 ? `已部署 ${result.data.key} 第 ${result.data.version} 版` : `内容未变化，仍为第 ${result.data.version} 版`));
    return true;
  }
  const errors = (result.data && result.data.errors) || [];
  box.replaceChildren(el("div.error", { "data-errors": errors.length }, el("p", {}, `部署被拒绝：共 ${errors.length} 个问题`),
    el("ul.problems", {}, errors.map((e) => el("li", {}, e.field ? `${e.field}：` : "", e.message, ` [${e.code}]`)))));
  return false;
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
  if (showDeployResult(box, result)) {
    await loadDefinitions();
    view(result.data.key, result.data.version);
  }
});

document.getElementById("diff-run").addEventListener("click", runDiff);
if (IS_ADMIN) {
  document.getElementById("move-dry").addEventListener("click", () => runMove(true));
  document.getElementById("move-run").addEventListener("click", () => runMove(false));
}
loadDefinitions().then(() => {
  const first = ownKeys()[0];  // a supervisor reads the diagrams of the own region only
  if (first) view(first.key, first.version);
});
