/* bpmn-js NavigatedViewer (served from node_modules) and per-activity count overlays. */
"use strict";

async function showDiagram(containerId, xml, previous) {
  if (previous) previous.destroy();
  const viewer = new BpmnJS({ container: "#" + containerId });
  const { warnings } = await viewer.importXML(xml);
  viewer.get("canvas").zoom("fit-viewport");
  document.getElementById(containerId).dataset.warnings = String(warnings.length);
  document.getElementById(containerId).dataset.state = "ready";
  return viewer;
}

/* counts: {activityId: {open, overdue}} → a badge on each activity, coloured by load */
function addCountOverlays(viewer, counts) {
  const overlays = viewer.get("overlays");
  const registry = viewer.get("elementRegistry");
  let added = 0;
  for (const [activityId, count] of Object.entries(counts)) {
    if (!registry.get(activityId)) continue;
    const heat = count.overdue ? "hot" : count.open >= 5 ? "warm" : "mild";
    const badge = el("div.count-badge." + heat, { "data-activity": activityId, title: `在办 ${count.open}，超期 ${count.overdue}` },
      `在办 ${count.open}`, count.overdue ? el("span.overdue-count", {}, ` 超期 ${count.overdue}`) : null);
    overlays.add(activityId, "task-counts", { position: { top: -14, left: 0 }, html: badge });
    registry.getGraphics(activityId).classList.add("heat-" + heat);
    added += 1;
  }
  return added;
}
