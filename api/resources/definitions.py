from flask import Response, request
from flask_smorest import Blueprint
from sqlalchemy import select

from api.auth import current_actor, login_required
from api.deployment import deploy_bytes
from api.extensions import db
from api.schemas import DefinitionOut
from engine import Definition, Invalid, NotFound, Problem, Role

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
    upload = request.files.get("file")
    if upload is not None:
        data, filename = upload.read(), upload.filename or "process.bpmn"
    else:
        data, filename = request.get_data(), request.args.get("filename", "process.bpmn")
    if not data:
        raise Invalid("缺少 BPMN 文件", [Problem("file", "required", "请上传 BPMN 文件")])
    definition, created = deploy_bytes(data, filename, current_actor().username,
                                       deployment_name=request.form.get("name", ""), source="api")
    return definition, 201 if created else 200


def _versions(key):
    rows = db.session.scalars(select(Definition).where(Definition.key == key)
                              .order_by(Definition.version.desc())).all()
    if not rows:
        raise NotFound(f"流程定义 {key} 不存在", field="key")
    return rows


@blp.route("/<key>/versions")
@blp.response(200, DefinitionOut(many=True))
@login_required(Role.ADMIN, Role.SUPERVISOR, Role.CLERK)
def versions(key):
    return _versions(key)


@blp.route("/<key>/versions/<int:version>/xml")
@login_required(Role.ADMIN, Role.SUPERVISOR, Role.CLERK)
def version_xml(key, version):
    """The deployed BPMN XML of one version, as bpmn-js and the modeler read it."""
    row = next((d for d in _versions(key) if d.version == version), None)
    if row is None:
        raise NotFound(f"流程定义 {key} 没有版本 {version}", field="version")
    return Response(row.xml, mimetype="application/xml")
