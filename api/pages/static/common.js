/* Shared helpers: JSON API calls with the session cookie and CSRF header, DOM building, labels. */
"use strict";
const CSRF = document.querySelector('meta[name="csrf-token"]').content;

async function api(method, url, body) {
  const init = { method, credentials: "same-origin", headers: { "Accept": "application/json" } };
  if (method !== "GET") init.headers["X-CSRF-Token"] = CSRF;
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  if (response.status === 401) { window.location.href = "/login"; }
  let data = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) data = await response.json();
  else data = await response.text();
  return { ok: response.ok, status: response.status, data };
}

/* el("tag.class", {attr: value}, child, ...) */
function el(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split(".");
  const node = document.createElement(tag);
  if (classes.length) node.className = classes.join(" ");
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function fill(id, ...children) {
  const target = document.getElementById(id);
  // as in el(): an absent part (null / undefined / false) shows nothing, never the word "null"
  target.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  target.dataset.state = "ready";
  return target;
}

function fmtDate(value, withTime) {
  if (!value) return "—";
  const text = String(value).replace("T", " ");
  return withTime ? text.slice(0, 16) : text.slice(0, 10);
}

function problemsList(errors) {
  return el("ul.problems", {}, (errors || []).map((e) => el("li", {}, e.message || e.code)));
}

function flash(message, kind) {
  const box = document.getElementById("flash");
  box.replaceChildren(el("p." + (kind || "ok"), {}, message));
}

function apiError(result) {
  const errors = (result.data && result.data.errors) || [];
  return errors.map((e) => e.message).join("；") || `请求失败（${result.status}）`;
}

/* GET url; on failure the error is shown in element ``id`` and null is returned. */
async function getOrShow(id, url) {
  const result = await api("GET", url);
  if (result.ok) return result.data;
  fill(id, el("p.error", {}, apiError(result)));
  return null;
}

function table(headers, rows, caption) {
  return el("table", {},
    caption ? el("caption", {}, caption) : null,
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows));
}

/* 红灯 overdue, 黄灯 due before the end of the next working day, else 正常 */
function light(task, context) {
  if (task.overdue) return el("span.light.red", { "data-light": "red" }, "红灯");
  if (task.due_at && context && task.due_at <= context.soon_until) return el("span.light.yellow", { "data-light": "yellow" }, "黄灯");
  return el("span.light.green", { "data-light": "green" }, "正常");
}

let contextPromise = null;
function pageContext() {
  contextPromise = contextPromise || api("GET", "/pages-api/context").then((r) => r.data);
  return contextPromise;
}

function codeLabel(context, value) {
  for (const table of Object.values(context.labels || {})) if (value in table) return table[value];
  return value;
}
