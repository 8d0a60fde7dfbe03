/* One case for its family: items 未办结/已办结 with deadlines, e-licences, notices, delivery, 好差评. */
"use strict";
const CASE_ID = document.getElementById("case").dataset.caseId;
const EVENTS = { case_submitted: "提交申请", task_completed: "办理完成", task_claimed: "窗口认领", delivery_chosen: "选择送达方式",
  case_accepted: "已受理", item_completed: "事项办结", case_completed: "全部办结", evaluated: "已评价" };

function deliveryForm(item, index) {
  const id = `delivery-${index}`;
  const current = item.delivery || {};
  const form = el("form.inline.delivery", { "data-item": item.code, novalidate: true },
    el("div.field", {}, el("label", { for: `${id}-method` }, `${item.name}送达方式`),
      el("select", { id: `${id}-method`, name: "method" },
        el("option", { value: "pickup", selected: current.method !== "post" }, "自取"),
        el("option", { value: "post", selected: current.method === "post" }, "邮寄"))),
    el("div.field", {}, el("label", { for: `${id}-where` }, "自取地点或邮寄地址"),
      el("input", { id: `${id}-where`, name: "where", value: current.place || current.address || "" })),
    el("button", { type: "submit" }, "保存"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const method = form.elements.method.value;
    const where = form.elements.where.value.trim();
    const body = { item: item.code, method, ...(where ? { [method === "post" ? "address" : "place"]: where } : {}) };
    const result = await api("POST", `/api/v1/cases/${CASE_ID}/delivery`, body);
    flash(result.ok ? `已保存「${item.name}」的送达方式` : apiError(result), result.ok ? "ok" : "error");
  });
  return form;
}

function evaluation(c) {
  if (c.evaluation) return el("p", { id: "evaluated" }, `您已评价：${c.evaluation.score} 分。${c.evaluation.comment || ""}`);
  const form = el("form", { id: "eval-form", novalidate: true },
    el("fieldset", {}, el("legend", {}, "服务评分（1 非常不满意 — 5 非常满意）"),
      [1, 2, 3, 4, 5].map((n) => el("label.check", { for: `score-${n}` }, el("input", { type: "radio", id: `score-${n}`, name: "score", value: n }), `${n} 分`))),
    el("div.field", {}, el("label", { for: "eval-comment" }, "意见建议"), el("textarea", { id: "eval-comment", name: "comment", rows: 2 })),
    el("p.field-error", { id: "eval-error", role: "alert" }),
    el("button.primary", { type: "submit" }, "提交评价"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const score = form.querySelector('input[name="score"]:checked');
    if (!score) { document.getElementById("eval-error").textContent = "请选择评分"; return; }
    const result = await api("POST", `/api/v1/cases/${CASE_ID}/evaluation`, { score: Number(score.value), comment: form.elements.comment.value });
    if (result.ok) { flash("感谢您的评价"); load(); } else document.getElementById("eval-error").textContent = apiError(result);
  });
  return form;
}

async function load() {
  const context = await pageContext();
  const c = await getOrShow("case-summary", `/api/v1/cases/${CASE_ID}`);
  if (!c) return;
  fill("case-summary", el("dl.facts", {},
    el("dt", {}, "状态"), el("dd", { id: "case-status" }, c.status_label, c.paused ? "（补正中，计时暂停）" : ""),
    el("dt", {}, "提交时间"), el("dd", {}, fmtDate(c.submitted_at, true)),
    // only a promise (承诺时限) is a date told to the family; a region without one shows none
    c.promise_working_days ? [el("dt", {}, "承诺时限"), el("dd", {}, `${c.promise_working_days} 个工作日`),
      el("dt", {}, "承诺办结日期"), el("dd", {}, fmtDate(c.deadline), c.deadline_fallback ? "（按周末估算）" : "")]
      : [el("dt", {}, "办理时限"), el("dd", { id: "no-promise" }, "本地区未公布承诺办结时限，请留意短信通知")],
    c.outcome_reason ? [el("dt", {}, "说明"), el("dd", {}, c.outcome_reason)] : null));
  const items = c.items.filter((i) => i.status !== "not_applicable");
  fill("case-items", table(["事项", "进度", "办理期限", "办结时间"], items.map((i) => el("tr", { "data-item": i.code },
    el("td", {}, i.name), el("td", {}, el("span.status." + (i.label === "已办结" ? "done" : "open"), { "data-status": i.label }, i.label)),
    el("td", {}, fmtDate(i.deadline)), el("td", {}, fmtDate(i.completed_at, true))))),
    el("h3", {}, "证件送达方式"), items.map(deliveryForm));
  fill("case-licences", c.elicences.length ? table(["证照", "编号", "签发部门", "签发时间"], c.elicences.map((l) => el("tr", { "data-kind": l.kind },
    el("td", {}, l.name), el("td", {}, l.number), el("td", {}, l.issued_by || "—"), el("td", {}, fmtDate(l.issued_at, true))))) : el("p", {}, "暂无"));
  fill("case-notices", c.notices.length ? el("ul", {}, c.notices.map((n) => el("li", {}, `${n.title || n.kind}（${n.number || ""}） `,
    el("a", { href: n.html, target: "_blank", rel: "noopener" }, "网页版"), " ", el("a", { href: n.pdf, download: "" }, "PDF 下载")))) : el("p", {}, "暂无"));
  fill("case-evaluation", c.status === "completed" ? evaluation(c) : el("p", {}, "全部事项办结后可以评价。"));
  fill("case-timeline", el("ol.timeline", {}, c.timeline.map((e) => el("li", {}, `${fmtDate(e.at, true)} ${EVENTS[e.kind] || e.kind}`,
    e.detail && e.detail.name ? `：${e.detail.name}` : ""))));
}
load();
