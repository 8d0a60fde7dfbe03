/* 我的办件: the family's cases with their status and deadline. */
"use strict";
async function load() {
  const page = await getOrShow("cases", "/api/v1/cases?per_page=100");
  if (!page) return;
  const context = await pageContext();
  const rows = page.items.map((c) => el("tr", { "data-case-id": c.id },
    el("td", {}, el("a", { href: `/family/cases/${c.id}` }, fmtDate(c.submitted_at, true) + " 的申请")),
    el("td", {}, c.items.map((i) => context.items[i] || i).join("、")),
    el("td", {}, c.status_label), el("td", {}, fmtDate(c.deadline))));
  fill("cases", rows.length ? table(["申请", "事项", "状态", "承诺办结日期"], rows) : el("p", {}, "还没有办件"));
}
load();
