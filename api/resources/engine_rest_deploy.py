"""/engine-rest deployments and process definitions, as Camunda Modeler's Deploy and Start use them."""
import re

from flask import request
from sqlalchemy import select

from api.auth import current_actor, login_required
from api.deployment import deploy_bytes, form_facts, served_groups, served_topics
from api.extensions import db
from api.resources.engine_rest import blp
from api.resources.engine_rest_json import (
    InvalidRequest, definition_dto, deployment_dto, error, instance_dto, variables_in,
)
from api.services import engine_context, region_registry
from engine import cases, Definition, definitions, Deployment, DeployRejected, NotFound, Role, timeline

CONTROL_FIELDS = ("deployment-name", "deployment-source", "enable-duplicate-filtering", "deploy-changed-only",
                  "tenant-id", "deployment-activation-time")


def _base_url() -> str:
    return request.url_root + "engine-rest/"


@blp.route("/deployment")
@login_required(Role.ADMIN)
def list_deployments():
    """Deployments, newest first; Camunda's filters ``id``, ``name``, ``nameLike``, ``source`` are honoured."""
    query = select(Deployment).order_by(Deployment.deployed_at.desc(), Deployment.id)  # id: stable pages
    args = request.args
    if args.get("id"):
        query = query.where(Deployment.id == args["id"])
    if args.get("name"):
        query = query.where(Deployment.name == args["name"])
    if args.get("nameLike"):
        query = query.where(Deployment.name.like(args["nameLike"]))
    if args.get("source"):
        query = query.where(Deployment.source == args["source"])
    first, count = _paging(args)
    rows = db.session.scalars(query.offset(first).limit(count)).all()
    return [deployment_dto(d, _base_url()) for d in rows]


def _paging(args) -> tuple[int, int]:
    try:
        return max(int(args.get("firstResult", 0)), 0), min(max(int(args.get("maxResults", 500)), 0), 500)
    except ValueError:
        raise InvalidRequest("firstResult / maxResults 须为整数") from None


@blp.route("/deployment/<deployment_id>")
@login_required(Role.ADMIN)
def get_deployment(deployment_id):
    deployment = db.session.get(Deployment, deployment_id)
    if deployment is None:
        raise NotFound(f"Deployment with id '{deployment_id}' does not exist")
    return deployment_dto(deployment, _base_url())


@blp.route("/deployment/create", methods=["POST"])
@login_required(Role.ADMIN)
def create_deployment():
    """Multipart as Camunda Modeler sends it; every file part (any field name) is a resource.

    Identical bytes to a key's latest version deploy nothing new (duplicate filtering is always on);
    a refused diagram answers 400 ``ParseException`` listing every problem per resource.
    """
    form = request.form
    resources = [(f.filename or name, f.read()) for name, f in request.files.items(multi=True)]
    resources += [(name, value.encode()) for name, value in form.items() if name not in CONTROL_FIELDS
                  and value.lstrip().startswith("<")]  # a part sent without a filename
    if not resources:
        raise InvalidRequest("部署须至少包含一个 BPMN 资源")
    _reject_invalid(resources)
    actor, created, latest = current_actor().username, [], None
    for filename, data in resources:
        definition, new = deploy_bytes(data, filename, actor, deployment_name=form.get("deployment-name", ""),
                                       source=form.get("deployment-source"), tenant_id=form.get("tenant-id") or None)
        latest = definition
        if new:
            created.append(definition)
    deployment = db.session.get(Deployment, (created[0] if created else latest).deployment_id)
    return deployment_dto(deployment, _base_url(), created)


def _reject_invalid(resources) -> None:
    """Validate every resource before deploying any, so a deployment is all or nothing."""
    groups, topics, details, lines = served_groups(), served_topics(), {}, []
    for filename, data in resources:
        try:
            definitions.parse_diagram(data, filename, groups, topics, form_facts(data))
        except DeployRejected as exc:
            details[filename] = {"errors": [_problem_dto(p) for p in exc.problems], "warnings": []}
            lines += [f"* {p.message} | resource {filename} | {p.field} [{p.code}]" for p in exc.problems]
    if details:
        raise _Rejected(lines, details)


class _Rejected(Exception):
    def __init__(self, lines, details):
        super().__init__("\n".join(lines))
        self.lines, self.details = lines, details


@blp.errorhandler(_Rejected)
def _rejected(exc):
    message = "ENGINE-09005 Could not parse BPMN process. Errors: \n" + "\n".join(exc.lines)
    return error(400, "ParseException", message, code=0, details=exc.details)


def _problem_dto(problem) -> dict:
    line = re.search(r":(\d+)$", problem.field)
    element = re.search(r"#([^.#]+)", problem.field)
    return {"message": f"{problem.message} [{problem.code}]", "line": int(line.group(1)) if line else 0,
            "column": 0, "mainElementId": element.group(1) if element else None,
            "elementIds": [element.group(1)] if element else [], "code": problem.code, "field": problem.field}


# -- process definitions -------------------------------------------------------------------------

@blp.route("/process-definition")
@login_required(Role.ADMIN)
def list_process_definitions():
    query = select(Definition).order_by(Definition.key, Definition.version)
    if request.args.get("key"):
        query = query.where(Definition.key == request.args["key"])
    if request.args.get("deploymentId"):
        query = query.where(Definition.deployment_id == request.args["deploymentId"])
    rows = db.session.scalars(query).all()
    if request.args.get("latestVersion", "").lower() == "true":
        newest = {}
        for row in rows:
            newest[row.key] = row
        rows = list(newest.values())
    return [definition_dto(d) for d in rows]


@blp.route("/process-definition/key/<key>")
@login_required(Role.ADMIN)
def get_definition_by_key(key):
    return definition_dto(definitions.latest_definition(db.session, key))


@blp.route("/process-definition/<definition_id>")
@login_required(Role.ADMIN)
def get_definition(definition_id):
    return definition_dto(_definition(definition_id))


def _definition(definition_id: str) -> Definition:
    definition = db.session.get(Definition, definition_id)
    if definition is None:
        raise NotFound(f"No matching process definition with id {definition_id}")
    return definition


@blp.route("/process-definition/<definition_id>/start", methods=["POST"])
@login_required(Role.ADMIN)
def start_by_id(definition_id):
    """Start a case on this version with Camunda's typed ``variables`` and ``businessKey``."""
    return _start(_definition(definition_id))


@blp.route("/process-definition/key/<key>/start", methods=["POST"])
@login_required(Role.ADMIN)
def start_by_key(key):
    return _start(definitions.latest_definition(db.session, key))


def _item_names(region: str) -> dict | None:
    """The items as the region's form names them, for a case started without the form (notices, SMS)."""
    try:
        form = region_registry().get(region).form
    except NotFound:  # a process deployed for no region of bpmn/: the generic names
        return None
    return form.item_names if form else None


def _start(definition: Definition):
    body = request.get_json(silent=True)
    if body is None and request.get_data():
        raise InvalidRequest("请求体须为 JSON")
    body = body or {}
    if not isinstance(body, dict):
        raise InvalidRequest("请求体须为 JSON 对象")
    facts = variables_in(body.get("variables"))
    items = facts.pop("items", None)
    if items is not None and not isinstance(items, list):
        raise InvalidRequest("变量 items 须为 Json 列表")
    ctx = engine_context()
    region = definition.region or definition.key
    case = cases.start_case(ctx, region, list(items or []), {}, facts, business_key=body.get("businessKey"),
                            definition=definition, item_names=_item_names(region))
    timeline.audit(ctx, current_actor().username, "case_started_engine_rest", case.id,
                   detail={"definition": definition.id})
    db.session.commit()
    return instance_dto(case, _base_url())
