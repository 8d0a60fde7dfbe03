/* 办事员工作台: my tasks and claimable tasks of my groups, by due date, with 红灯/黄灯. */
"use strict";

function taskRows(tasks, context, mine) {
  return tasks.map((t) => el("tr", { "data-task-id": t.id },
    el("td", {}, light(t, context)),
    el("td", {}, el("a", { href: `/clerk/tasks/${t.id}` }, t.name)),
    el("td", {}, (context.items || {})[t.item] || t.item || "—"),
    el("td", {}, (t.applicant && t.applicant.mother_name) || "—"),
    el("td", {}, fmtDate(t.due_at, true)),
    el("td", {}, mine
      ? el("button", { type: "button", onclick: () => act(t.id, "unclaim"), "aria-label": `释放任务 ${t.name}` }, "释放")
      : el("button.primary", { type: "button", onclick: () => act(t.id, "claim"), "aria-label": `认领任务 ${t.name}` }, "认领"))));
}

async function act(taskId, action) {
  const result = await api("POST", `/api/v1/tasks/${taskId}/${action}`);
  if (result.ok && action === "claim") { window.location.href = `/clerk/tasks/${taskId}`; return; }
  flash(result.ok ? "已释放任务" : apiError(result), result.ok ? "ok" : "error");
  load();
}

async function list(id, query, context, mine) {
  const page = await getOrShow(id, `/api/v1/tasks?${query}&sort=due_at&per_page=100`);
  if (!page) return;
  const tasks = page.items;
  if (!tasks.length) { fill(id, el("p", {}, "暂无任务")); return; }
  fill(id, table(["灯", "任务", "事项", "申请人", "办理期限", "操作"], taskRows(tasks, context, mine)));
}

async function load() {
  const context = await pageContext();
  await Promise.all([list("mine", "mine=true", context, true), list("claimable", "claimable=true", context, false)]);
}
load();
