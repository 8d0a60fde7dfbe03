from flask_smorest import Blueprint

blp = Blueprint("supervision", __name__, url_prefix="/api/v1/supervision", description="电子监察：超期、预警、督办、统计")
