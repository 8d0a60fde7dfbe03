from flask_smorest import Blueprint

blp = Blueprint("engine_rest", __name__, url_prefix="/engine-rest", description="Camunda 7 兼容接口（部署、外部任务、启动流程）")
