from flask_smorest import Blueprint

blp = Blueprint("health", __name__, url_prefix=None, description="健康检查与指标")
