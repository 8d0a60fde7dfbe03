"""Builds bpmn/<region>/process.bpmn with diagram interchange on a lane/column grid.

The regions themselves are described in tools/bpmn_regions.py; this module only knows
how to write a Camunda-7-flavoured BPMN file from such a description:

    .venv/bin/python tools/bpmn_regions.py        # regenerates all five files

After generating, designers may keep editing the files in Camunda Modeler; the
generator is a starting point, not the source of truth.
"""
from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
MODELER = "http://camunda.org/schema/modeler/1.0"
NSMAP = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "xsi": XSI, "camunda": CAMUNDA, "modeler": MODELER}

COL_W, ROW_H = 150, 120
LANE_LABEL_W, POOL_LABEL_W = 30, 30
POOL_X, POOL_Y = 160, 80
SIZES = {"task": (100, 80), "event": (36, 36), "gateway": (50, 50)}
KIND_TAG = {
    "start": "startEvent", "end": "endEvent", "milestone": "intermediateThrowEvent",
    "user": "userTask", "service": "serviceTask", "xor": "exclusiveGateway",
    "and": "parallelGateway", "boundary": "boundaryEvent",
}
KIND_SHAPE = {"start": "event", "end": "event", "milestone": "event", "boundary": "event",
              "user": "task", "service": "task", "xor": "gateway", "and": "gateway"}


def q(ns, tag):
    return f"{{{ns}}}{tag}"


class Process:
    def __init__(self, key, name, lanes, **properties):
        self.key, self.name = key, name
        self.lanes = lanes  # [(code, Chinese name)] top to bottom
        self.properties = properties
        self.nodes = {}
        self.flows = []
        self.errors = {}  # errorCode -> Chinese name

    # --- nodes ---------------------------------------------------------
    def _node(self, kind, node_id, name, lane, col, row=0, **extra):
        assert node_id not in self.nodes, node_id
        assert lane in dict(self.lanes), lane
        self.nodes[node_id] = dict(kind=kind, id=node_id, name=name, lane=lane, col=col, row=row,
                                   props=extra.pop("props", {}), **extra)
        return node_id

    def start(self, node_id, name, lane, col, row=0):
        return self._node("start", node_id, name, lane, col, row)

    def end(self, node_id, name, lane, col, row=0, **props):
        return self._node("end", node_id, name, lane, col, row, props=props)

    def user(self, node_id, name, lane, col, row=0, *, group=None, form_key=None, fields=(), **props):
        return self._node("user", node_id, name, lane, col, row, props=props, group=group or lane,
                          form_key=form_key, fields=fields)

    def service(self, node_id, name, lane, col, row=0, *, topic, **props):
        return self._node("service", node_id, name, lane, col, row, props=props, topic=topic)

    def milestone(self, node_id, name, lane, col, row=0, *, item, status="done", reason=None):
        props = {"item": item, "itemStatus": status}
        if reason:
            props["reasonVariable"] = reason
        return self._node("milestone", node_id, name, lane, col, row, props=props)

    def xor(self, node_id, name, lane, col, row=0):
        return self._node("xor", node_id, name, lane, col, row)

    def par(self, node_id, name, lane, col, row=0):
        return self._node("and", node_id, name, lane, col, row)

    def boundary_error(self, node_id, name, host, code, error_name):
        self.errors[code] = error_name
        h = self.nodes[host]
        return self._node("boundary", node_id, name, h["lane"], h["col"], h["row"], host=host, code=code)

    def flow(self, src, tgt, name=None, cond=None, default=False, route=None):
        """`route` only changes the drawing: "under" passes below the shapes of the rows it spans
        (a skip flow beside the steps it skips), "across" goes sideways first, then up or down into
        the target (into a join from a column where the lanes between are empty)."""
        assert route in (None, "under", "across"), route
        flow_id = f"flow_{src}_to_{tgt}"
        self.flows.append(dict(id=flow_id, src=src, tgt=tgt, name=name, cond=cond, route=route))
        if default:
            self.nodes[src]["default"] = flow_id
        return flow_id

    def chain(self, *ids):
        for a, b in zip(ids, ids[1:]):
            self.flow(a, b)

    # --- layout --------------------------------------------------------
    def _layout(self):
        rows = {code: 1 for code, _ in self.lanes}
        cols = 1
        for n in self.nodes.values():
            rows[n["lane"]] = max(rows[n["lane"]], n["row"] + 1)
            cols = max(cols, n["col"] + 1)
        lane_box, y = {}, POOL_Y
        width = LANE_LABEL_W + cols * COL_W + 20
        for code, _ in self.lanes:
            lane_box[code] = (POOL_X + POOL_LABEL_W, y, width, rows[code] * ROW_H)
            y += rows[code] * ROW_H
        self.pool_box = (POOL_X, POOL_Y, POOL_LABEL_W + width, y - POOL_Y)
        self.lane_box = lane_box
        self.bounds = {}
        for n in self.nodes.values():
            if n["kind"] == "boundary":
                continue
            lx, ly, _, _ = lane_box[n["lane"]]
            cx = lx + LANE_LABEL_W + n["col"] * COL_W + COL_W / 2
            cy = ly + n["row"] * ROW_H + ROW_H / 2
            w, h = SIZES[KIND_SHAPE[n["kind"]]]
            self.bounds[n["id"]] = (cx - w / 2, cy - h / 2, w, h)
        for n in self.nodes.values():
            if n["kind"] == "boundary":
                hx, hy, hw, hh = self.bounds[n["host"]]
                self.bounds[n["id"]] = (hx + hw - 40, hy + hh - 18, 36, 36)

    def _waypoints(self, f):
        s, t = self.nodes[f["src"]], self.nodes[f["tgt"]]
        sx, sy, sw, sh = self.bounds[s["id"]]
        tx, ty, tw, th = self.bounds[t["id"]]
        scx, scy, tcx, tcy = sx + sw / 2, sy + sh / 2, tx + tw / 2, ty + th / 2
        s_edge = sy if tcy < scy else sy + sh  # leave through top or bottom
        t_edge = ty + th if scy > tcy else ty  # enter through bottom or top
        if s["kind"] == "boundary":
            return [(scx, sy + sh), (scx, tcy), (tx, tcy)]
        if f.get("route") == "under":
            below = max(self._row_bottom(s), self._row_bottom(t)) - 10
            return [(scx, sy + sh), (scx, below), (tcx, below), (tcx, ty + th)]
        if f.get("route") == "across":
            return [(sx + sw, scy) if tcx > scx else (sx, scy), (tcx, scy), (tcx, t_edge)]
        if abs(scy - tcy) < 1:
            return [(sx + sw, scy), (tx, tcy)] if tcx > scx else [(sx, scy), (tx + tw, tcy)]
        if abs(scx - tcx) < 1:
            return [(scx, s_edge), (tcx, t_edge)]
        if s["kind"] in ("xor", "and") and tcx > scx:
            return [(scx, s_edge), (scx, tcy), (tx, tcy)]
        if t["kind"] in ("xor", "and"):
            return [(sx + sw, scy) if tcx > scx else (sx, scy), (tcx, scy), (tcx, t_edge)]
        mx = tx - 25
        return [(sx + sw, scy), (mx, scy), (mx, tcy), (tx, tcy)]

    def _row_bottom(self, n):
        return self.lane_box[n["lane"]][1] + (n["row"] + 1) * ROW_H

    # --- XML -----------------------------------------------------------
    def to_xml(self):
        self._layout()
        E = etree.Element
        defs = E(q(BPMN, "definitions"), nsmap=NSMAP, id=f"definitions_{self.key}",
                 targetNamespace="http://newborn-onething.gov.cn/bpmn", exporter="newborn-onething tools/bpmn_gen.py",
                 exporterVersion="1.0")
        defs.set(q(MODELER, "executionPlatform"), "Camunda Platform")
        defs.set(q(MODELER, "executionPlatformVersion"), "7.21.0")
        for code, name in self.errors.items():
            etree.SubElement(defs, q(BPMN, "error"), id=f"error_{code}", name=name, errorCode=code)
        collab = etree.SubElement(defs, q(BPMN, "collaboration"), id=f"collaboration_{self.key}")
        etree.SubElement(collab, q(BPMN, "participant"), id=f"participant_{self.key}", name=self.name,
                         processRef=self.key)
        proc = etree.SubElement(defs, q(BPMN, "process"), id=self.key, name=self.name, isExecutable="true")
        self._properties(proc, self.properties)
        lane_set = etree.SubElement(proc, q(BPMN, "laneSet"), id=f"lanes_{self.key}")
        for code, name in self.lanes:
            lane = etree.SubElement(lane_set, q(BPMN, "lane"), id=f"lane_{code}", name=name)
            for n in self.nodes.values():
                if n["lane"] == code:
                    etree.SubElement(lane, q(BPMN, "flowNodeRef")).text = n["id"]
        incoming, outgoing = {}, {}
        for f in self.flows:
            outgoing.setdefault(f["src"], []).append(f["id"])
            incoming.setdefault(f["tgt"], []).append(f["id"])
        for n in self.nodes.values():
            self._node_xml(proc, n, incoming.get(n["id"], []), outgoing.get(n["id"], []))
        for f in self.flows:
            el = etree.SubElement(proc, q(BPMN, "sequenceFlow"), id=f["id"], sourceRef=f["src"], targetRef=f["tgt"])
            if f["name"]:
                el.set("name", f["name"])
            if f["cond"]:
                c = etree.SubElement(el, q(BPMN, "conditionExpression"))
                c.set(q(XSI, "type"), "bpmn:tFormalExpression")
                c.text = f["cond"]
        self._diagram(defs)
        return etree.tostring(defs, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    @staticmethod
    def _properties(parent, props, ext=None):
        if not props:
            return ext
        ext = ext if ext is not None else etree.SubElement(parent, q(BPMN, "extensionElements"))
        holder = etree.SubElement(ext, q(CAMUNDA, "properties"))
        for k, v in props.items():
            etree.SubElement(holder, q(CAMUNDA, "property"), name=k, value=str(v))
        return ext

    def _node_xml(self, proc, n, incoming, outgoing):
        el = etree.SubElement(proc, q(BPMN, KIND_TAG[n["kind"]]), id=n["id"], name=n["name"])
        ext = None
        if n["kind"] == "user":
            el.set(q(CAMUNDA, "candidateGroups"), n["group"])
            if n["form_key"]:
                el.set(q(CAMUNDA, "formKey"), n["form_key"])
            if n["fields"]:
                ext = etree.SubElement(el, q(BPMN, "extensionElements"))
                form = etree.SubElement(ext, q(CAMUNDA, "formData"))
                for field in n["fields"]:
                    self._field(form, *field)
        elif n["kind"] == "service":
            el.set(q(CAMUNDA, "type"), "external")
            el.set(q(CAMUNDA, "topic"), n["topic"])
        elif n["kind"] == "boundary":
            el.set("attachedToRef", n["host"])
            el.set("cancelActivity", "true")
        if n.get("default"):
            el.set("default", n["default"])
        self._properties(el, n["props"], ext)
        for f in incoming:
            etree.SubElement(el, q(BPMN, "incoming")).text = f
        for f in outgoing:
            etree.SubElement(el, q(BPMN, "outgoing")).text = f
        if n["kind"] == "boundary":
            etree.SubElement(el, q(BPMN, "errorEventDefinition"), id=f"{n['id']}_definition",
                             errorRef=f"error_{n['code']}")

    @staticmethod
    def _field(form, field_id, label, field_type, values=None, required=True):
        el = etree.SubElement(form, q(CAMUNDA, "formField"), id=field_id, label=label, type=field_type)
        if required:
            validation = etree.SubElement(el, q(CAMUNDA, "validation"))
            etree.SubElement(validation, q(CAMUNDA, "constraint"), name="required")
        for value_id, value_name in (values or {}).items():
            etree.SubElement(el, q(CAMUNDA, "value"), id=value_id, name=value_name)

    def _diagram(self, defs):
        diagram = etree.SubElement(defs, q(BPMNDI, "BPMNDiagram"), id=f"diagram_{self.key}")
        plane = etree.SubElement(diagram, q(BPMNDI, "BPMNPlane"), id=f"plane_{self.key}",
                                 bpmnElement=f"collaboration_{self.key}")

        def shape(element_id, box, **attrs):
            s = etree.SubElement(plane, q(BPMNDI, "BPMNShape"), id=f"{element_id}_di", bpmnElement=element_id)
            for k, v in attrs.items():
                s.set(k, v)
            x, y, w, h = box
            etree.SubElement(s, q(DC, "Bounds"), x=f"{x:g}", y=f"{y:g}", width=f"{w:g}", height=f"{h:g}")

        shape(f"participant_{self.key}", self.pool_box, isHorizontal="true")
        for code, _ in self.lanes:
            shape(f"lane_{code}", self.lane_box[code], isHorizontal="true")
        for n in self.nodes.values():
            attrs = {"isMarkerVisible": "true"} if n["kind"] == "xor" else {}
            shape(n["id"], self.bounds[n["id"]], **attrs)
        for f in self.flows:
            e = etree.SubElement(plane, q(BPMNDI, "BPMNEdge"), id=f"{f['id']}_di", bpmnElement=f["id"])
            for x, y in self._waypoints(f):
                etree.SubElement(e, q(DI, "waypoint"), x=f"{x:g}", y=f"{y:g}")


def acceptance(p, lane, col=0, group=None, row=0, entry=None):
    """Start → review ⇄ supplement → accept/refuse, as bpmn/README.md specifies.

    Returns the id of the decision gateway; the caller connects its `accept` flow.
    Uses columns col..col+3 of `lane` (row `row` and row+1) and the applicant lane.
    With `entry` (a node id, flow name, condition) the review follows that node instead of a start event.
    """
    if entry is None:
        p.start("start", "提交新生儿出生“一件事”申请", lane, col, row)
        p.flow("start", "merge_review")
    else:
        p.flow(*entry)
    p.xor("merge_review", "汇合受理审查", lane, col + 1, row)
    p.user("acceptance_review", "受理审查", lane, col + 2, row, group=group or lane, form_key="acceptance_review",
           fields=[("decision", "受理结果", "enum", {"accept": "受理", "correct": "补正（一次性告知）", "refuse": "不予受理"}),
                   ("materials", "需补正的材料（一次性告知）", "string", None, False),
                   ("refusal_reason", "不予受理原因", "string", None, False)])
    p.xor("decision_gateway", "受理结果？", lane, col + 3, row)
    p.user("supplement", "补正材料", "applicant", col + 3, group="applicant", form_key="supplement")
    p.end("end_refused", "不予受理", lane, col + 3, row + 1, caseOutcome="refused", reasonVariable="refusal_reason")
    p.chain("merge_review", "acceptance_review", "decision_gateway")
    p.flow("decision_gateway", "supplement", "补正", "decision == 'correct'")
    p.flow("supplement", "merge_review")
    p.flow("decision_gateway", "end_refused", "不予受理", "decision == 'refuse'")
    return "decision_gateway"


def write(process, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(process.to_xml())
