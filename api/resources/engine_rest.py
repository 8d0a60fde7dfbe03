"""Camunda 7 compatible REST under /engine-rest: version, deployments, process definitions, external tasks.

Routes live in ``engine_rest_deploy`` and ``engine_rest_tasks``; this module owns the blueprint, so
the app factory registers one blueprint. Errors here answer in Camunda's shape {"type", "message"}.
"""
from api.extensions import Blueprint
from api.resources.engine_rest_json import register_errors

blp = Blueprint("engine_rest", __name__, url_prefix="/engine-rest",
                description="Camunda 7 兼容接口（部署、外部任务、启动流程）")
register_errors(blp)

CAMUNDA_VERSION = "7.21.0"


@blp.route("/version")
def version():
    """The engine version Camunda Modeler checks before deploying (no authentication, as in Camunda)."""
    return {"version": CAMUNDA_VERSION}


from api.resources import engine_rest_deploy, engine_rest_tasks  # noqa: E402,F401  (routes on blp)
