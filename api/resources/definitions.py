from flask import Response, request
from marshmallow import Schema, fields
from sqlalchemy import select

from api.auth import current_actor, login_required
from api.deployment import deploy_bytes, dry_run
from api.extensions import Blueprint, db
from api.schemas import DefinitionOut, Problem as ProblemOut
from api.services import region_registry
from engine import Definition, diff_versions, Forbidden, Invalid, NotFound, Problem, Role

blp = Blueprint("definitions", __name__, url_prefix="/api/v1/definitions", description="流程定义与版本")


@blp.route("")
@blp.response(200, DefinitionOut(many=True))
@login_required(Role.ADMIN, Role.SUPERVISOR, Role.CLERK)
def list_definitions():
    """Every deployed version, newest first per key."""
    return db.session.scalars(select(Definition).order_by(Definition.key, Definition.version.desc())).all()


@blp.route("", methods=["POST"])
@blp.response(201, DefinitionOut)
@blp.alt_response(200, schema=DefinitionOut, description="identical bytes: the existing version")
@login_required(Role.ADMIN)
def create_definition():
    """Deploy a BPMN file (multipart field ``file`` or a raw XML body); 422 lists every problem."""
    data, filename = _uploaded()
    definition, created = deploy_bytes(data, filename, current_actor().username,
                                       deployment_name=request.form.get("name", ""), source="api")
    return definition, 201 if created else 200


def _uploaded() -> tuple[bytes, str]:
    upload = request.files.get("file")
    if upload is not None:
        data, filename = upload.read(), upload.filename or "process.bpmn"
    else:
        data, filename = request.get_data(), request.args.get("filename", "process.bpmn")
    if not data:
        raise Invalid("缺少 BPMN 文件", [Problem("file", "required", "请上传 BPMN 文件")])
    return data, filename


class ValidationOut(Schema):
    valid = fields.Boolean()
    key = fields.String(allow_none=True)
    problems = fields.List(fields.Nested(ProblemOut))


class RegionFileOut(Schema):
    region = fields.String()
    name = fields.String()
    file = fields.String()


@blp.route("/validate", methods=["POST"])
@blp.response(200, ValidationOut)
@login_required(Role.ADMIN)
def validate_definition():
    """Dry run of a deploy: the same problem list a deploy would answer, and nothing is stored."""
    data, filename = _uploaded()
    key, problems = dry_run(data, filename)
    return {"valid": not problems, "key": key, "problems": [p.as_dict() for p in problems]}


@blp.route("/region-files")
@blp.response(200, RegionFileOut(many=True))
@login_required(Role.ADMIN)
def region_files():
    """The regions' own files (``bpmn/<region>/process.bpmn``), to open in the modeler."""
    return [{"region": r.code, "name": r.name, "file": f"{r.code}/process.bpmn"} for r in region_registry().all()]


@blp.route("/region-files/<region>")
@login_required(Role.ADMIN)
def region_file(region):
    """One region folder's ``process.bpmn`` as it is on disk (not necessarily deployed)."""
    folder = region_registry().get(region).folder
    return Response((folder / "process.bpmn").read_bytes(), mimetype="application/xml")


def _versions(key):
    rows = db.session.scalars(select(Definition).where(Definition.key == key)
                              .order_by(Definition.version.desc())).all()
    if not rows:
        raise NotFound(f"流程定义 {key} 不存在", field="key")
    actor = current_actor()
    if actor.role == Role.SUPERVISOR and rows[0].region != actor.region:
        raise Forbidden(f"流程定义 {key} 不属于您的地区", field="key")
    return rows


def _version(key, version: int, field="version") -> Definition:
    row = next((d for d in _versions(key) if d.version == version), None)
    if row is None:
        raise NotFound(f"流程定义 {key} 没有版本 {version}", field=field)
    return row


class DiffQuery(Schema):
    from_ = fields.Integer(required=True, data_key="from", strict=False)
    to = fields.Integer(required=True, strict=False)


class DiffOut(Schema):
    key = fields.String()
    from_ = fields.Integer(data_key="from")
    to = fields.Integer()
    changes = fields.List(fields.Dict())


@blp.route("/<key>/diff")
@blp.arguments(DiffQuery, location="query")
@blp.response(200, DiffOut)
@login_required(Role.ADMIN, Role.SUPERVISOR)
def diff(query, key):
    """What changed from one version to another, element by element (added, removed, changed)."""
    old, new = _version(key, query["from_"], "from"), _version(key, query["to"], "to")
    changes = diff_versions(old.xml.encode("utf-8"), new.xml.encode("utf-8"))
    return {"key": key, "from_": old.version, "to": new.version, "changes": changes}


@blp.route("/<key>/versions")
@blp.response(200, DefinitionOut(many=True))
@login_required(Role.ADMIN, Role.SUPERVISOR, Role.CLERK)
def versions(key):
    return _versions(key)


@blp.route("/<key>/versions/<int:version>/xml")
@login_required(Role.ADMIN, Role.SUPERVISOR, Role.CLERK)
def version_xml(key, version):
    """The deployed BPMN XML of one version, as bpmn-js and the modeler read it."""
    return Response(_version(key, version).xml, mimetype="application/xml")
