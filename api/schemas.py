"""Request and response schemas; flask-smorest turns them into the OpenAPI document."""
from marshmallow import Schema, fields, validate

from engine import CHINA, TaskKind, TaskState

# ``state`` filters of the task list: the open ones together, each state but cancelled, or all
TASK_STATE_FILTERS = ["open", *(s.value for s in TaskState if s is not TaskState.CANCELLED), "all"]


class ChinaDateTime(fields.DateTime):
    """Stored times are naive China Standard Time; on the wire they carry their +08:00 offset
    (RFC 3339), and incoming aware times are converted to China time."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=CHINA)
        return super()._serialize(value, attr, obj, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.astimezone(CHINA).replace(tzinfo=None) if moment.tzinfo else moment


class Strict(Schema):
    """Unknown fields are refused (marshmallow's default RAISE), so typos never pass silently."""


class Problem(Strict):
    field = fields.String()
    code = fields.String()
    message = fields.String()
    elements = fields.List(fields.String())  # BPMN ids a problem spans (the critical path), when it does


class Errors(Strict):
    """What api/errors.py returns for every error: {"errors": [{field, code, message}]}."""
    errors = fields.List(fields.Nested(Problem))


class TokenRequest(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=120))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class TokenResponse(Strict):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    role = fields.String()
    region = fields.String(allow_none=True)


class RegionItem(Strict):
    code = fields.String()
    name = fields.String()
    limit_working_days = fields.Integer(allow_none=True)


class RegionSummary(Strict):
    code = fields.String()
    name = fields.String()
    promise_working_days = fields.Integer(allow_none=True)
    items = fields.List(fields.Nested(RegionItem))
    definition_key = fields.String(allow_none=True)
    definition_version = fields.Integer(allow_none=True)
    eligibility = fields.Raw()
    item_choice = fields.String(allow_none=True)  # free (any non-empty subset) / bundle (all items at once)
    item_choice_label = fields.String(allow_none=True)


class CaseCreate(Strict):
    """``region``, ``items`` and ``form`` are checked with the form itself, so one 422 lists them all."""
    region = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    items = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list)
    form = fields.Dict(load_default=dict)
    phone = fields.String(validate=validate.Length(max=20))


class SupplementRequest(Strict):
    form = fields.Dict(load_default=dict)
    materials = fields.List(fields.String(validate=validate.Length(max=200)), load_default=list)
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class EvaluationRequest(Strict):
    score = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class DeliveryRequest(Strict):
    item = fields.String(required=True)
    method = fields.String(required=True, validate=validate.OneOf(["pickup", "post"]))
    place = fields.String(validate=validate.Length(max=200))
    address = fields.String(validate=validate.Length(max=300))


class TaskComplete(Strict):
    data = fields.Dict(load_default=dict)


class TaskDelegate(Strict):
    user = fields.String(required=True, validate=validate.Length(min=1, max=120))


class TaskQuery(Strict):
    mine = fields.Boolean()
    claimable = fields.Boolean()
    group = fields.String()
    department = fields.String()
    region = fields.String()
    institution = fields.String()
    case = fields.String()
    overdue = fields.Boolean()
    due_before = ChinaDateTime()
    state = fields.String(validate=validate.OneOf(TASK_STATE_FILTERS))
    kind = fields.String(validate=validate.OneOf([kind.value for kind in TaskKind]))
    sort = fields.String(validate=validate.OneOf(["due_at", "-due_at", "created_at", "-created_at"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class CaseQuery(Strict):
    region = fields.String()
    status = fields.String()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class TaskOut(Strict):
    id = fields.String()
    case_id = fields.String()
    region = fields.String()
    name = fields.String()
    bpmn_id = fields.String()
    kind = fields.String()
    lane = fields.String(allow_none=True)
    candidate_groups = fields.List(fields.String())
    topic = fields.String(allow_none=True)
    form_key = fields.String(allow_none=True)
    item = fields.String(allow_none=True)
    institution = fields.String(allow_none=True)
    state = fields.String()
    assignee = fields.String(allow_none=True)
    owner = fields.String(allow_none=True)
    delegation = fields.String(allow_none=True)
    limit_working_days = fields.Integer(allow_none=True)
    due_at = ChinaDateTime(allow_none=True)
    due_fallback = fields.Boolean()
    deadline_kind = fields.String(allow_none=True)   # promise (承诺时限) / target (内部督办时限)
    deadline_label = fields.String(allow_none=True)
    overdue = fields.Boolean()
    created_at = ChinaDateTime()
    claimed_at = ChinaDateTime(allow_none=True)
    completed_at = ChinaDateTime(allow_none=True)
    applicant = fields.Dict(allow_none=True)


class Page(Strict):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class TaskPage(Page):
    items = fields.List(fields.Nested(TaskOut))
    # true: counting stopped at ``total`` (1000, or one past the page asked for); there are at least as many
    total_capped = fields.Boolean()


class DefinitionOut(Strict):
    id = fields.String()
    key = fields.String()
    version = fields.Integer()
    name = fields.String()
    region = fields.String(allow_none=True)
    sha256 = fields.String()
    resource_name = fields.String()
    deployment_id = fields.String()
    deployed_at = ChinaDateTime()
    properties = fields.Dict()
