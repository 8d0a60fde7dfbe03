from flask import abort, current_app

from api.auth import check_credentials, issue_token
from api.extensions import Blueprint
from api.schemas import TokenRequest, TokenResponse

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录与令牌")


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequest)
@blp.response(200, TokenResponse)
def token(body):
    """Exchange username and password for a bearer token."""
    user = check_credentials(body["username"], body["password"])
    if user is None:
        abort(401, description="用户名或密码错误")
    return {"access_token": issue_token(user), "token_type": "Bearer",
            "expires_in": current_app.config["TOKEN_TTL_SECONDS"], "role": user.role, "region": user.region}
