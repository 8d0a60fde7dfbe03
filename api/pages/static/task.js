/* One task: its case data, e-licences and a form rendered from the task's camunda:formData. */
"use strict";
const TASK_ID = document.getElementById("task").dataset.taskId;
const STATE_LABELS = { ready: "待认领", claimed: "已认领", completed: "已完成", cancelled: "已取消", incident: "异常", locked: "处理中" };

function fieldInput(field) {
  const id = `field-${field.id}`;
  const common = { id, name: field.id, "aria-describedby": `${id}-error`, required: field.required || null };
  let input;
  if (field.options && field.options.length) {
    input = el("select", common, el("option", { value: "" }, "请选择"),
      field.options.map((o) => el("option", { value: o.id }, o.name)));
  } else if (field.type === "boolean") {
    input = el("input", { ...common, type: "checkbox" });
  } else if (field.type === "date") {
    input = el("input", { ...common, type: "date" });
  } else if (field.type === "long") {
    input = el("input", { ...common, type: "number", step: "1" });
  } else {
    input = el("input", { ...common, type: "text" });
  }
  return el("div.field", { "data-field": field.id },
    el("label", { for: id }, field.label || field.id, field.required ? el("span.req", { "aria-hidden": "true" }, " *") : null),
    input, el("p.field-error", { id: `${id}-error` }));
}

function formData(fields) {
  const data = {};
  for (const field of fields) {
    const input = document.getElementById(`field-${field.id}`);
    if (field.type === "boolean") data[field.id] = input.checked;
    else if (input.value !== "") data[field.id] = field.type === "long" ? Number(input.value) : input.value;
  }
  return data;
}

function showErrors(errors, fields) {
  document.querySelectorAll(".field-error").forEach((p) => { p.textContent = ""; });
  document.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  const general = [];
  for (const error of errors) {
    const name = (error.field || "").replace(/^data\./, "");
    const slot = document.getElementById(`field-${name}-error`);
    if (slot && fields.some((f) => f.id === name)) {
      slot.textContent = error.message;
      document.getElementById(`field-${name}`).setAttribute("aria-invalid", "true");
    } else general.push(error);
  }
  const box = document.getElementById("task-errors");
  box.replaceChildren(general.length ? el("div.error", {}, problemsList(general)) : "");
  if (!general.length && errors.length) box.append(el("p.error", {}, `有 ${errors.length} 处需要修改，请查看标红的字段`));
}

async function action(name, body) {
  const result = await api("POST", `/api/v1/tasks/${TASK_ID}/${name}`, body);
  if (result.ok) {
    flash({ claim: "已认领", unclaim: "已释放", complete: "已完成任务", delegate: "已委托" }[name]);
    if (name === "complete") { document.getElementById("task-errors").replaceChildren(); }
    load();
  } else if (result.status === 422 && name === "complete") {
    showErrors(result.data.errors || [], currentFields);
  } else flash(apiError(result), "error");
  return result;
}

let currentFields = [];

function info(task, context) {
  const rows = [["任务", task.name], ["状态", STATE_LABELS[task.state] || task.state], ["处理人", task.assignee || "—"],
    ["事项", (context.items || {})[task.item] || task.item || "—"], ["办理期限", fmtDate(task.due_at, true) + (task.deadline_label ? `（${task.deadline_label}）` : "")],
    ["时限（工作日）", task.limit_working_days || "—"]];
  return el("dl.facts", {}, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]), el("dt", {}, "灯"), el("dd", {}, light(task, context)));
}

/* the case's form as nested lists, titled from the region's JSON Schema */
function caseData(form, context, props) {
  if (!form || typeof form !== "object") return el("p", {}, "（无权查看申请表全文）");
  props = props || {};
  return el("dl.facts", {}, Object.entries(form).map(([key, value]) => {
    const prop = props[key] || {};
    const shown = value && typeof value === "object" && !Array.isArray(value) ? caseData(value, context, prop.properties)
      : Array.isArray(value) ? value.map((v) => codeLabel(context, v)).join("、")
        : typeof value === "boolean" ? (value ? "是" : "否") : String(codeLabel(context, value));
    return [el("dt", {}, prop.title || key), el("dd", {}, shown)];
  }));
}

function actions(task, context) {
  const mine = task.assignee === context.username && task.state === "claimed";
  const buttons = [];
  if (task.state === "ready") buttons.push(el("button.primary", { type: "button", id: "claim", onclick: () => action("claim") }, "认领"));
  if (mine) {
    buttons.push(el("button.primary", { type: "submit", id: "complete" }, task.delegation === "pending" ? "办理完毕交回委托人" : "完成"));
    if (task.delegation !== "pending") buttons.push(el("button", { type: "button", id: "unclaim", onclick: () => action("unclaim") }, "释放"));
  }
  document.getElementById("delegate-form").hidden = !(mine && task.delegation !== "pending");
  return buttons;
}

async function load() {
  const context = await pageContext();
  const task = await getOrShow("task-info", `/api/v1/tasks/${TASK_ID}`);
  if (!task) return;
  currentFields = (task.form && task.form.fields) || [];
  fill("task-info", info(task, context));
  const open = task.state === "claimed" && task.assignee === context.username;
  fill("task-fields", open ? currentFields.map(fieldInput) : el("p", {}, open ? "" : "认领后填写办理结果"));
  fill("task-actions", actions(task, context));
  fill("task-licences", task.elicences.length
    ? table(["证照", "编号", "签发部门", "签发时间"], task.elicences.map((l) =>
      el("tr", {}, el("td", {}, (context.items || {})[l.kind] || l.kind), el("td", {}, l.number), el("td", {}, l.issued_by || "—"), el("td", {}, fmtDate(l.issued_at, true)))))
    : el("p", {}, "暂无电子证照"));
  const c = task.case;
  const schemaResult = await api("GET", `/api/v1/regions/${encodeURIComponent(task.region)}/form-schema`);
  const schema = schemaResult.ok ? schemaResult.data : {};
  fill("task-case", el("dl.facts", {},
    el("dt", {}, "申请人"), el("dd", {}, (c.applicant && c.applicant.mother_name) || "—"),
    el("dt", {}, "申请事项"), el("dd", {}, (c.items || []).map((i) => (context.items || {})[i] || i).join("、")),
    el("dt", {}, "办件期限"), el("dd", {}, fmtDate(c.deadline))),
    el("details", {}, el("summary", {}, "申请表"), caseData(c.form, context, schema.properties)));
}

document.getElementById("task-form").addEventListener("submit", (event) => {
  event.preventDefault();
  action("complete", { data: formData(currentFields) });
});
document.getElementById("delegate-form").addEventListener("submit", (event) => {
  event.preventDefault();
  action("delegate", { user: document.getElementById("delegate-user").value.trim() });
});
load();
