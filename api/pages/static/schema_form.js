/* A form drawn from the region's JSON Schema: one fieldset per section, labels from titles,
   problems from the API (dotted field paths) shown next to their fields and all together on top. */
"use strict";
const EXTRA_LABELS = {
  A: "A型", B: "B型", O: "O型", AB: "AB型", unknown: "不详", resident_id: "居民身份证", mainland: "中国公民（内地）",
  hk_macao_taiwan: "港澳台居民", overseas_chinese: "华侨", foreign: "外国人", vaginal: "自然分娩", caesarean: "剖宫产",
  good: "良好", fair: "一般", poor: "差", single: "单胎", multiple: "多胎", normal: "顺产", difficult: "难产",
  bank_card: "银行卡", tax_12366: "12366 税务缴费", alipay: "支付宝", wechat_city: "微信城市服务",
  mother_son: "母子", mother_daughter: "母女",
};

function pathId(path) { return "f-" + path.replace(/\./g, "__"); }

function optionLabel(value, labels) {
  return labels[value] || EXTRA_LABELS[value] || value;
}

function schemaField(path, prop, required, labels) {
  const id = pathId(path);
  const title = prop.title || path.split(".").pop();
  const label = el("label", { for: id }, title, required ? el("span.req", { "aria-hidden": "true" }, " *") : null);
  const common = { id, name: path, "data-path": path, "aria-describedby": `${id}-error`, required: required || null };
  let input;
  if (prop.type === "array" && prop.items && prop.items.enum) {
    return el("fieldset.field.checks", { "data-field": path, id, "aria-describedby": `${id}-error` }, el("legend", {}, title),
      prop.items.enum.map((v, i) => el("label.check", { for: `${id}-${i}` },
        el("input", { type: "checkbox", id: `${id}-${i}`, name: path, value: v, "data-path": path }), optionLabel(v, labels))),
      el("p.field-error", { id: `${id}-error` }));
  }
  if (prop.enum) {
    input = el("select", common, el("option", { value: "" }, "请选择"), prop.enum.map((v) => el("option", { value: v }, optionLabel(v, labels))));
  } else if (prop.type === "boolean") {
    input = el("select", { ...common, "data-type": "boolean" }, el("option", { value: "" }, "请选择"),
      el("option", { value: "true" }, "是"), el("option", { value: "false" }, "否"));
  } else if (prop.type === "number" || prop.type === "integer") {
    input = el("input", { ...common, type: "number", step: prop.type === "integer" ? "1" : "any", min: prop.minimum, max: prop.maximum, "data-type": "number" });
  } else if (prop.format === "date") {
    input = el("input", { ...common, type: "date" });
  } else if (prop.format === "date-time") {
    input = el("input", { ...common, type: "datetime-local", "data-type": "datetime" });
  } else {
    const tel = /phone/.test(path);
    input = el("input", { ...common, type: tel ? "tel" : "text", maxlength: prop.maxLength, inputmode: /^\^\\d/.test(prop.pattern || "") ? "numeric" : null });
  }
  return el("div.field", { "data-field": path }, label, input, el("p.field-error", { id: `${id}-error` }));
}

/* order: {"": [section, ...], section: [field, ...]} as the region's form lists them */
function ordered(properties, names) {
  const keys = Object.keys(properties);
  const rank = (k) => { const i = (names || []).indexOf(k); return i < 0 ? keys.length + keys.indexOf(k) : i; };
  return keys.sort((a, b) => rank(a) - rank(b)).map((k) => [k, properties[k]]);
}

function renderSchemaForm(schema, labels, order) {
  order = order || {};
  const required = new Set(schema.required || []);
  return ordered(schema.properties, order[""]).map(([name, prop]) => {
    if (prop.type !== "object") return schemaField(name, prop, required.has(name), labels);
    const inner = new Set(prop.required || []);
    return el("fieldset.section", { id: pathId(name), "data-field": name, "aria-describedby": `${pathId(name)}-error` },
      el("legend", {}, prop.title || name, required.has(name) ? "" : "（按所选事项填写）"),
      el("p.field-error", { id: `${pathId(name)}-error` }),
      el("div.fields", {}, ordered(prop.properties || {}, order[name]).map(([key, sub]) => schemaField(`${name}.${key}`, sub, inner.has(key), labels))));
  });
}

function setPath(target, path, value) {
  const parts = path.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) node = node[part] = node[part] || {};
  node[parts[parts.length - 1]] = value;
}

function readSchemaForm(container) {
  const data = {};
  container.querySelectorAll("select[data-path], input[data-path]").forEach((input) => {
    const path = input.dataset.path;
    if (input.type === "checkbox") {
      if (input.checked) { const parts = path.split("."); const list = parts.reduce((n, p) => (n || {})[p], data) || []; list.push(input.value); setPath(data, path, list); }
      return;
    }
    if (input.value === "") return;
    let value = input.value;
    if (input.dataset.type === "number") value = Number(value);
    else if (input.dataset.type === "boolean") value = value === "true";
    else if (input.dataset.type === "datetime" && value.length === 16) value += ":00";
    setPath(data, path, value);
  });
  return data;
}

function clearProblems(container) {
  container.querySelectorAll(".field-error").forEach((p) => { p.textContent = ""; });
  container.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  container.querySelectorAll(".has-error").forEach((n) => n.classList.remove("has-error"));
}

/* Every problem next to its field (or the nearest section) and all of them in one list on top. */
function showProblems(container, summary, errors) {
  clearProblems(container);
  const items = errors.map((error) => {
    let path = (error.field || "").replace(/^form\./, "");
    let slot = null;
    while (path && !(slot = document.getElementById(`${pathId(path)}-error`))) path = path.split(".").slice(0, -1).join(".");
    let title = "";
    if (slot) {
      slot.textContent = slot.textContent ? `${slot.textContent}；${error.message}` : error.message;
      const field = slot.closest("[data-field]");
      field.classList.add("has-error");
      const input = document.getElementById(pathId(path));
      if (input) input.setAttribute("aria-invalid", "true");
      const label = field.querySelector("label, legend");
      title = label ? label.textContent.replace(/\s*\*$/, "") : "";
    }
    return el("li", { "data-code": error.code, "data-field": error.field },
      slot ? el("a", { href: `#${pathId(path)}` }, title) : null, slot ? "：" : "", error.message);
  });
  summary.replaceChildren(items.length ? el("div.error", {}, el("p", {}, `申请表共有 ${errors.length} 处问题，请一并修改：`), el("ul.problems", {}, items)) : "");
}
