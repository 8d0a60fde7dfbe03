/* 电子监察: overdue / due-soon lists, escalations, incidents, charts and the diagram heat map.
   Uses /api/v1/supervision/* where deployed; falls back to the task list for overdue and due-soon. */
"use strict";
const LEVELS = { warning: "黄灯预警", overdue: "红灯超期", level1: "部门督办", level2: "地区督办" };
let context = null;

async function firstAvailable(urls) {
  for (const url of urls) {
    const result = await api("GET", url);
    if (result.status !== 404 && result.status !== 405) return result;
  }
  return null;
}

function itemsOf(data) { return Array.isArray(data) ? data : (data && data.items) || []; }

function taskTable(tasks) {
  if (!tasks.length) return el("p", {}, "暂无");
  return table(["灯", "任务", "部门", "事项", "期限", "处理人"], tasks.map((t) => el("tr", { "data-task-id": t.id || t.task_id },
    el("td", {}, light(t, context)), el("td", {}, el("a", { href: `/clerk/tasks/${t.id || t.task_id}` }, t.name || t.task_name)),
    el("td", {}, context.lanes[t.department] || t.department || t.lane || "—"), el("td", {}, context.items[t.item] || t.item || "—"),
    el("td", {}, fmtDate(t.due_at, true), deadlineKind(t)), el("td", {}, t.assignee || "未认领"))));
}

// 承诺时限 (told to the family) or 内部督办时限 (the operator's internal target)
function deadlineKind(row) {
  return row.deadline_label ? el("span.hint", { "data-deadline-kind": row.deadline_kind }, `（${row.deadline_label}）`) : null;
}

function caseTable(cases) {
  return table(["灯", "办件", "申请人", "办结期限", "状态"], cases.map((c) => el("tr", { "data-case-id": c.id },
    el("td", {}, el("span.light.red", { "data-light": "red" }, "红灯")), el("td", {}, c.id.slice(0, 8)),
    el("td", {}, (c.applicant && c.applicant.mother_name) || "—"), el("td", {}, fmtDate(c.deadline), deadlineKind(c)), el("td", {}, c.status))));
}

async function taskList(id, supervisionUrl, fallbackUrl, keep) {
  const result = await firstAvailable([supervisionUrl, fallbackUrl]);
  if (!result || !result.ok) { fill(id, el("p.error", {}, result ? apiError(result) : "接口暂不可用")); return; }
  const tasks = itemsOf(result.data).filter(keep || (() => true));
  const cases = (result.data && result.data.cases) || [];
  const warnings = (result.data && result.data.calendar_warnings) || [];
  fill(id, el("h3", {}, "任务"), taskTable(tasks), cases.length ? [el("h3", {}, "办件（超过办结期限）"), caseTable(cases)] : null,
    warnings.length ? el("p.hint", {}, "日历提示：", warnings.map((w) => w.message || JSON.stringify(w)).join("；")) : null,
    id === "overdue" ? fallbackHint(result.data && result.data.fallback_deadlines) : null);
}

// open deadlines computed Monday–Friday for want of holiday data; recomputed when an operator loads the year
function fallbackHint(counts) {
  if (!counts || !(counts.cases || counts.tasks)) return null;
  return el("p.hint", { id: "fallback-deadlines", "data-cases": counts.cases, "data-tasks": counts.tasks },
    `按周一至周五估算的在办期限：办件 ${counts.cases} 个、任务 ${counts.tasks} 个（缺少节假日数据，载入该年数据后自动重算）`);
}

async function escalations() {
  const result = await api("GET", "/api/v1/supervision/escalations?acknowledged=false");
  if (!result.ok) { fill("escalations", el("p.hint", {}, result.status === 404 ? "督办接口暂不可用" : apiError(result))); return; }
  const rows = itemsOf(result.data);
  fill("escalations", rows.length ? table(["级别", "对象", "部门", "时间", "操作"], rows.map((e) => el("tr", { "data-escalation": e.id },
    el("td", {}, e.label || LEVELS[e.level] || e.level), el("td", {}, context.items[e.item] || e.subject || "—"),
    el("td", {}, context.lanes[e.department] || e.department || "—"), el("td", {}, fmtDate(e.fired_at, true)),
    el("td", {}, el("button", { type: "button", onclick: () => post(`/api/v1/supervision/escalations/${e.id}/acknowledge`, "已签收督办"), "aria-label": `签收督办 ${e.id}` }, "签收")))))
    : el("p", {}, "暂无"));
}

async function incidents() {
  const result = await api("GET", "/api/v1/supervision/incidents");
  if (!result.ok) { fill("incidents", el("p.hint", {}, result.status === 404 ? "异常接口暂不可用" : apiError(result))); return; }
  const rows = itemsOf(result.data);
  fill("incidents", rows.length ? table(["环节", "原因", "次数", "操作"], rows.map((i) => el("tr", { "data-incident": i.id },
    el("td", {}, i.task_name || i.topic), el("td", {}, i.error || "—"), el("td", {}, i.attempts),
    el("td", {}, i.retryable ? el("button", { type: "button", onclick: () => post(`/api/v1/supervision/incidents/${i.id}/retry`, "已重试，部门系统将再次处理", {}), "aria-label": `重试 ${i.task_name || i.id}` }, "重试") : "—"))))
    : el("p", {}, "暂无"));
}

async function post(url, message, body) {
  const result = await api("POST", url, body);
  flash(result.ok ? message : apiError(result), result.ok ? "ok" : "error");
  load();
}

async function charts(region) {
  const result = await api("GET", `/pages-api/board-stats?region=${encodeURIComponent(region)}`);
  if (!result.ok) return;
  const s = result.data;
  const series = [{ name: "在办", cls: "bar-open" }, { name: "超期", cls: "bar-overdue" }, { name: "已办", cls: "bar-done" }];
  const rows = (list, names) => list.map((r) => ({ label: names[r.code] || r.code, values: [r.open, r.overdue, r.done] }));
  const rate = (list, names) => table(["名称", "按时办结率"], list.map((r) => el("tr", {}, el("td", {}, names[r.code] || r.code),
    el("td", {}, r.on_time_rate === null ? "—" : `${Math.round(r.on_time_rate * 100)}%`))));
  fill("chart-dept", barChart("各部门在办、超期、已办任务数", rows(s.by_department, context.lanes), series), rate(s.by_department, context.lanes));
  fill("chart-item", barChart("各事项在办、超期、已办任务数", rows(s.by_item, context.items), series), rate(s.by_item, context.items));
  fill("chart-history", barChart("近两周每日在办与超期任务数", s.history.map((h) => ({ label: fmtDate(h.date), values: [h.open, h.overdue] })), series.slice(0, 2)));
}

let viewer = null;
async function diagram(region) {
  const summary = await api("GET", `/api/v1/regions/${encodeURIComponent(region)}`);
  if (!summary.ok || !summary.data.definition_key) { fill("diagram", el("p", {}, "本地区尚未部署流程")); return; }
  const { definition_key: key, definition_version: version } = summary.data;
  const [xml, counts] = await Promise.all([api("GET", `/api/v1/definitions/${key}/versions/${version}/xml`),
    api("GET", `/pages-api/activity-counts?region=${encodeURIComponent(region)}`)]);
  viewer = await showDiagram("diagram", xml.data, viewer);
  const activities = counts.data.activities;
  document.getElementById("diagram").dataset.overlays = String(addCountOverlays(viewer, activities));
  const rows = Object.entries(activities).map(([id, c]) => el("tr", {}, el("td", {}, id), el("td", {}, c.open), el("td", {}, c.overdue)));
  fill("diagram-table", el("details", {}, el("summary", {}, "各环节任务数（表格）"), table(["环节", "在办", "超期"], rows)));
}

async function load() {
  context = await pageContext();
  const region = context.region || "gx-qinzhou-qinbei";
  document.getElementById("board-region").textContent = `监察地区：${region}　系统时间：${fmtDate(context.now, true)}`;
  const q = `region=${encodeURIComponent(region)}&per_page=200`;
  await Promise.all([
    taskList("overdue", "/api/v1/supervision/overdue", `/api/v1/tasks?overdue=true&${q}`),
    taskList("due-soon", `/api/v1/supervision/due-soon?within_working_days=1`, `/api/v1/tasks?due_before=${encodeURIComponent(context.soon_until.slice(0, 19))}&${q}`, (t) => !t.overdue),
    escalations(), incidents(), charts(region), diagram(region).catch((e) => fill("diagram", el("p.error", {}, "流程图加载失败：" + e.message)))]);
}
load();
