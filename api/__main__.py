"""``python -m api``: the embedded default, initialised and served by waitress."""
import argparse
import logging
import os
from pathlib import Path

from waitress import serve

from api import create_app
from api.demo import seed_demo_users
from api.config import Config, env_flag


def embedded_config(**overrides) -> Config:
    """The embedded default: migrated and seeded at start, with the simulated workers (and the SMS
    outbox) and the escalation scheduler in the process unless ``RUN_WORKERS=0`` / ``RUN_SCHEDULER=0``
    (an operator whose real department workers serve the topics turns the simulated ones off)."""
    return Config(**{"RUN_WORKERS": env_flag("RUN_WORKERS", True), "RUN_SCHEDULER": env_flag("RUN_SCHEDULER", True),
                     "AUTO_INIT": True, **overrides})


def main() -> None:
    parser = argparse.ArgumentParser(description="新生儿出生“一件事” — embedded server")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # SpiffWorkflow logs every task state change at INFO: a dozen lines a step, none for an operator
    logging.getLogger("spiff").setLevel(os.environ.get("SPIFF_LOG_LEVEL", "WARNING"))
    config = embedded_config()
    Path(config.VAR_DIR).mkdir(parents=True, exist_ok=True)
    app = create_app(config)
    with app.app_context():
        users = seed_demo_users(app.extensions["newborn"].regions.all())
    url = f"http://{args.host}:{args.port}"
    print(f"\n新生儿出生“一件事” is running at {url}/  (API {url}/api/v1, OpenAPI {url}/api/v1/openapi.json)")
    print(f"Database: {config.DATABASE_URL}")
    print("Demo logins (password: demo):")
    for username, description in users:
        print(f"  {username:40s} {description}")
    serve(app, host=args.host, port=args.port, threads=8)


if __name__ == "__main__":
    main()
