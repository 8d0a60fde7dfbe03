/* 办事群众 apply: region and items → conditions and materials first (一次告知) → the region's form. */
"use strict";
let regions = [];
let chosen = null;
let labels = {};

function selectedItems() {
  return [...document.querySelectorAll('#items input[type="checkbox"]:checked')].map((c) => c.value);
}

function drawItems() {
  const region = regions.find((r) => r.code === document.getElementById("region").value);
  const box = document.getElementById("items");
  box.replaceChildren(el("legend", {}, region.promise_working_days ? `办理事项（可多选，承诺 ${region.promise_working_days} 个工作日内办结）` : "办理事项（可多选）"),
    ...region.items.map((item, i) => el("label.check", { for: `item-${i}` },
      el("input", { type: "checkbox", id: `item-${i}`, name: "items", value: item.code, checked: true }),
      item.name, item.limit_working_days ? el("span.hint", {}, `（${item.limit_working_days} 个工作日）`) : null)));
}

async function showRequirements(event) {
  event.preventDefault();
  const region = document.getElementById("region").value;
  const items = selectedItems();
  if (!items.length) { flash("请至少选择一个事项", "error"); return; }
  const result = await api("GET", `/api/v1/regions/${encodeURIComponent(region)}/requirements?items=${items.join(",")}`);
  if (!result.ok) { flash(apiError(result), "error"); return; }
  const req = result.data;
  chosen = { region, items };
  for (const m of req.materials) labels[m.code] = m.name;
  fill("requirements",
    el("h3", {}, "办理条件"), el("ul", {}, req.conditions.map((c) => el("li", {}, c.message))),
    el("h3", {}, "所需材料"), table(["材料", "说明"], req.materials.map((m) => el("tr", {},
      el("td", {}, m.name), el("td", {}, [m.shared ? "数据共享，免于提交" : "", m.conditional ? "（视情况提供）" : "", m.note].filter(Boolean).join(" ") || "需提交")))));
  document.getElementById("requirements-card").hidden = false;
  document.getElementById("step2-h").scrollIntoView();
}

async function startForm() {
  const region = encodeURIComponent(chosen.region);
  const [result, order] = await Promise.all([api("GET", `/api/v1/regions/${region}/form-schema`),
    api("GET", `/pages-api/form-order?region=${region}`)]);
  if (!result.ok) { flash(apiError(result), "error"); return; }
  fill("form-fields", renderSchemaForm(result.data, labels, order.ok ? order.data.order : {}));
  document.getElementById("form-card").hidden = false;
  document.getElementById("step3-h").scrollIntoView();
}

async function submitCase(event) {
  event.preventDefault();
  const container = document.getElementById("form-fields");
  const summary = document.getElementById("form-errors");
  const result = await api("POST", "/api/v1/cases", { region: chosen.region, items: chosen.items, form: readSchemaForm(container) });
  if (result.ok) { window.location.href = `/family/cases/${result.data.id}`; return; }
  showProblems(container, summary, (result.data && result.data.errors) || [{ field: "", code: "error", message: apiError(result) }]);
  summary.focus();
}

async function init() {
  const context = await pageContext();
  for (const table of Object.values(context.labels || {})) Object.assign(labels, table);
  const result = await api("GET", "/api/v1/regions");
  regions = result.data;
  const select = document.getElementById("region");
  select.replaceChildren(...regions.map((r) => el("option", { value: r.code, selected: r.code === context.region }, r.name)));
  drawItems();
  select.addEventListener("change", drawItems);
  document.getElementById("choose-form").addEventListener("submit", showRequirements);
  document.getElementById("start-form").addEventListener("click", startForm);
  document.getElementById("case-form").addEventListener("submit", submitCase);
}
init();
