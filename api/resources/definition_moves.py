"""Moving running cases to another version of their definition (Camunda 7's migration): API."""
from marshmallow import fields, Schema

from api.auth import current_actor, login_required
from api.services import engine_context
from api.extensions import Blueprint
from engine import Role, version_moves

blp = Blueprint("definition_moves", __name__, url_prefix="/api/v1/definitions",
                description="运行中办件迁移到新版本")


class MoveIn(Schema):
    from_version = fields.Integer(required=True, strict=True)
    to_version = fields.Integer(required=True, strict=True)
    mapping = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    dry_run = fields.Boolean(load_default=True)
    case_ids = fields.List(fields.String(), load_default=None)


class CaseMoveOut(Schema):
    case_id = fields.String()
    movable = fields.Boolean()
    moved = fields.Boolean()
    active = fields.List(fields.Dict())
    reasons = fields.List(fields.Dict())


class MoveOut(Schema):
    key = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    mapping = fields.Dict()
    dry_run = fields.Boolean()
    movable = fields.Integer()
    moved = fields.Integer()
    cases = fields.List(fields.Nested(CaseMoveOut))


@blp.route("/<key>/migrations", methods=["POST"])
@blp.arguments(MoveIn)
@blp.response(200, MoveOut)
@login_required(Role.ADMIN)
def move(body, key):
    """Dry run (the default) lists which running cases of ``from_version`` can move and why others cannot;
    ``dry_run: false`` moves each movable case in its own transaction, audited on its timeline."""
    return version_moves.move_cases(engine_context(), key, body["from_version"], body["to_version"],
                                    body["mapping"], body["dry_run"], current_actor().username,
                                    body["case_ids"])
