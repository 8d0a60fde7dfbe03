/* The modeler (admin): open a version, a region's file or a blank process; every edit is checked by the
   server's deploy rules (dry run, debounced) and marked on its element; bpmnlint runs in the page. */
"use strict";
(function () {
  const container = document.getElementById("modeler");
  if (!container) return;
  const modeler = DesignerKit.createModeler(container, "#properties");
  const VALIDATE_DELAY_MS = 600;
  const BLANK = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="definitions_new" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="newborn_new_process" name="新流程" isExecutable="true"><bpmn:startEvent id="start" name="开始"/></bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_new"><bpmndi:BPMNPlane id="plane_new" bpmnElement="newborn_new_process">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" width="36" height="36"/></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;
  let timer = null;
  let run = 0;
  let marked = [];
  let lintIssues = [];
  let serverProblems = [];

  async function openXml(xml, label) {
    const { warnings } = await modeler.importXML(xml);
    modeler.get("canvas").zoom("fit-viewport");
    document.getElementById("editing").textContent = label;
    container.dataset.warnings = String(warnings.length);
    container.dataset.state = "ready";
    listElements();
    schedule(0);
  }

  function namedElements() {
    return modeler.get("elementRegistry").filter((e) => e.businessObject && e.businessObject.id && !e.labelTarget
      && e.type !== "bpmndi:BPMNDiagram");
  }

  function listElements() {
    document.getElementById("element-ids").replaceChildren(...namedElements().map((e) =>
      el("option", { value: e.id }, e.businessObject.name || e.id)));
  }

  /* keyboard- and test-friendly selection: the properties panel then edits the element */
  function findElement() {
    const wanted = document.getElementById("find-element").value.trim();
    const found = namedElements().find((e) => e.id === wanted) || namedElements().find((e) => e.businessObject.name === wanted);
    if (!found) { flash(`没有元素 ${wanted}`, "error"); return; }
    modeler.get("canvas").scrollToElement(found);
    modeler.get("selection").select(found);
    container.dataset.selected = found.id;
  }

  window.openVersionInModeler = async function (key, version) {
    const result = await api("GET", `/api/v1/definitions/${encodeURIComponent(key)}/versions/${version}/xml`);
    if (!result.ok) { flash(apiError(result), "error"); return; }
    await openXml(result.data, `编辑自 ${key} 第 ${version} 版`);
    container.scrollIntoView({ block: "nearest" });
  };

  async function loadRegionFiles() {
    const result = await api("GET", "/api/v1/definitions/region-files");
    if (!result.ok) return;
    document.getElementById("region-file").replaceChildren(
      ...result.data.map((r) => el("option", { value: r.region }, `${r.name}（${r.file}）`)));
  }

  async function openRegion() {
    const region = document.getElementById("region-file").value;
    const result = await api("GET", `/api/v1/definitions/region-files/${encodeURIComponent(region)}`);
    if (!result.ok) { flash(apiError(result), "error"); return; }
    await openXml(result.data, `地区文件 ${region}/process.bpmn`);
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(validate, delay);
  }

  function asUpload(xml) {
    const body = new FormData();
    body.append("file", new Blob([xml], { type: "application/xml" }), "process.bpmn");
    return body;
  }

  async function validate() {
    const mine = ++run;
    container.dataset.validating = "true";
    const { xml } = await modeler.saveXML();
    const result = await api("POST", "/api/v1/definitions/validate", asUpload(xml));
    if (mine !== run) return;  // a newer edit is being checked: this answer is stale
    serverProblems = result.ok ? result.data.problems : (result.data.errors || []);
    render();
    container.dataset.validating = "false";
    container.dataset.validated = String(mine);
    container.dataset.problems = String(serverProblems.length);
  }

  function elementOf(problem) {
    const match = /#([A-Za-z_][\w-]*)/.exec(problem.field || "");
    return match ? match[1] : null;
  }

  /* the path step with the largest limit carries the badge: "名称(n) → 名称(m)" in the message */
  function heaviestStep(problem) {
    const steps = problem.message.split("：").slice(1).join("：").split(" → ");
    const days = steps.map((s) => Number((/\((\d+)\)$/.exec(s.trim()) || [0, 0])[1]));
    return problem.elements[days.indexOf(Math.max(...days))] || problem.elements[problem.elements.length - 1];
  }

  function clearMarks() {
    const canvas = modeler.get("canvas");
    for (const [id, cls] of marked) canvas.removeMarker(id, cls);
    marked = [];
    modeler.get("overlays").remove({ type: "problem" });
  }

  function mark(id, cls) {
    if (!modeler.get("elementRegistry").get(id)) return false;
    modeler.get("canvas").addMarker(id, cls);
    marked.push([id, cls]);
    return true;
  }

  function badge(id, problem) {
    modeler.get("overlays").add(id, "problem", { position: { bottom: 4, left: -6 },
      html: el("span.problem-badge", { "data-code": problem.code, "data-element": id, title: problem.message }, `⚠ ${problem.code}`) });
  }

  function render() {
    clearMarks();
    const items = serverProblems.map((problem) => {
      const path = problem.elements || [];
      for (const id of path) mark(id, "critical-path");
      const target = path.length ? heaviestStep(problem) : elementOf(problem);
      if (target && mark(target, "problem")) badge(target, problem);
      return el("li", { "data-code": problem.code, "data-element": target || "", "data-elements": path.join(" ") },
        target ? el("code", {}, target) : "", target ? "：" : "", problem.message, ` [${problem.code}]`);
    });
    const lint = lintIssues.map((i) => el("li.lint", { "data-rule": i.rule }, `bpmnlint ${i.rule}：`, el("code", {}, i.id), ` ${i.message}`));
    document.getElementById("problems").replaceChildren(...items, ...lint);
    document.getElementById("validation-summary").textContent = serverProblems.length
      ? `服务器校验：${serverProblems.length} 个问题（部署会被拒绝）；bpmnlint：${lintIssues.length} 条提示`
      : `服务器校验通过（未部署）；bpmnlint：${lintIssues.length} 条提示`;
  }

  modeler.on("linting.completed", ({ issues }) => {
    lintIssues = Object.entries(issues || {}).flatMap(([id, list]) => list.map((i) => ({ id, rule: i.rule, message: i.message })));
    render();
  });
  modeler.on("commandStack.changed", () => schedule(VALIDATE_DELAY_MS));

  async function download() {
    const { xml } = await modeler.saveXML({ format: true });
    const link = el("a", { href: URL.createObjectURL(new Blob([xml], { type: "application/xml" })), download: "process.bpmn" });
    document.body.append(link);
    link.click();
    link.remove();
  }

  async function deploy() {
    const { xml } = await modeler.saveXML({ format: true });
    const result = await api("POST", "/api/v1/definitions", asUpload(xml));
    if (showDeployResult(document.getElementById("deploy-result"), result)) await loadDefinitions();
  }

  document.getElementById("open-region").addEventListener("click", openRegion);
  document.getElementById("find-go").addEventListener("click", findElement);
  modeler.on("selection.changed", ({ newSelection }) => { container.dataset.selected = newSelection.length ? newSelection[0].id : ""; });
  document.getElementById("new-blank").addEventListener("click", () => openXml(BLANK, "新建流程"));
  document.getElementById("download-xml").addEventListener("click", download);
  document.getElementById("deploy-modeler").addEventListener("click", deploy);
  loadRegionFiles();
})();
