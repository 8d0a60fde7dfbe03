from flask_smorest import Blueprint

blp = Blueprint("incidents", __name__, url_prefix="/api/v1/supervision", description="外部任务事件（incident）")
