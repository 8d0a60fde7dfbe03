from marshmallow import Schema, fields

from api.auth import login_required
from api.extensions import Blueprint, db
from api.schemas import RegionSummary
from api.services import region_registry
from engine import latest_by_region, latest_for_region, notices

blp = Blueprint("regions", __name__, url_prefix="/api/v1/regions", description="地区、事项与表单")


class RequirementsQuery(Schema):
    items = fields.String(load_default="")


def _item_limits(definition) -> dict:
    limits = {}
    for act in (definition.activities if definition else {}).values():
        item, limit = act.get("item"), act.get("properties", {}).get("limitWorkingDays")
        if item and limit and item not in limits:
            limits[item] = int(limit)
    return limits


def summary(region, definition) -> dict:
    """The region as ``GET /regions`` shows it, with its latest deployed process (None: none deployed)."""
    limits = _item_limits(definition)
    form = _form_or_none(region)
    return {"code": region.code, "name": region.name, "promise_working_days": region.promise_working_days,
            # as the region's form names them (its seed's wording), as the case and its notices will
            "items": [{"code": i, "name": notices.named(form.item_names if form else None, i),
                       "limit_working_days": limits.get(i)} for i in region.items],
            "definition_key": definition.key if definition else None,
            "definition_version": definition.version if definition else None,
            "eligibility": form.summary() if form else None,
            **(form.item_rule() if form else {"item_choice": None, "item_choice_label": None})}


def _form_or_none(region):
    try:
        return region.form
    except FileNotFoundError:
        return None


@blp.route("")
@blp.response(200, RegionSummary(many=True))
@login_required()
def list_regions():
    latest = latest_by_region(db.session)
    return [summary(r, latest.get(r.code)) for r in region_registry().all()]


@blp.route("/<code>")
@blp.response(200, RegionSummary)
@login_required()
def get_region(code):
    region = region_registry().get(code)
    return summary(region, latest_for_region(db.session, region.code, required=False))


@blp.route("/<code>/form-schema")
@blp.response(200)
@login_required()
def form_schema(code):
    """JSON Schema of the region's unified form (一表申请)."""
    return region_registry().get(code).form.json_schema()


@blp.route("/<code>/requirements")
@blp.arguments(RequirementsQuery, location="query")
@blp.response(200)
@login_required()
def requirements(query, code):
    """Conditions and materials for the chosen items, before applying (一次告知)."""
    items = [i for i in query["items"].split(",") if i] or region_registry().get(code).items
    return region_registry().get(code).form.requirements(items)
