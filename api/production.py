"""``make serve``: the production shape on PostgreSQL.

One supervisor starts and watches: gunicorn with several API processes, worker processes
(``python -m workers`` over /engine-rest) and scheduler processes (``python -m engine scheduler``:
one holds the advisory lock, a second waits to take over; both send the SMS outbox, which nothing
else sends here). Configuration only from the environment (passed on to every process):

    DATABASE_URL (PostgreSQL, required)   SECRET_KEY (required)   HOST (127.0.0.1)   PORT (8000)
    API_PROCESSES (2×cores)   API_THREADS (4)   WORKER_PROCESSES (2)   SCHEDULERS (2)
    WORKER_MAX_TASKS (5: tasks a worker process locks per fetch)
    WORKER_CONCURRENCY (1: tasks each worker process works at once; raise it for departments slow to answer)
    WORKER_USER (worker)   WORKER_PASSWORD (required unless SEED_DEMO=1)   SEED_DEMO (0: demo users)
    SMS_NOTIFIER (required unless SEED_DEMO=1: http with SMS_GATEWAY_URL, or logging: only logged)
    SMS_GATEWAY_TOKEN (bearer)
    TOKEN_TTL_SECONDS, LOGIN_MAX_FAILURES, LOGIN_WINDOW_SECONDS (see api/config.py)

This module is also gunicorn's config module (``-c python:api.production``): ``child_exit`` below.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

RESTART_PAUSE_SECONDS = 1.0


class ConfigurationError(SystemExit):
    def __init__(self, message: str):
        super().__init__(f"make serve: {message}")


def settings(env=os.environ) -> dict:
    """Validated settings; refuses to start without a secret or with a non-PostgreSQL database."""
    if not env.get("SECRET_KEY") or len(env["SECRET_KEY"]) < 16:
        raise ConfigurationError("SECRET_KEY must be set in the environment (16+ characters); "
                                 "production never generates or reads one from disk")
    url = env.get("DATABASE_URL", "")
    if not url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        raise ConfigurationError("DATABASE_URL must point at PostgreSQL (postgresql://user@host:port/db)")
    seed_demo = env.get("SEED_DEMO", "0").lower() in ("1", "true", "yes")
    if not seed_demo and not env.get("WORKER_PASSWORD"):
        raise ConfigurationError("WORKER_PASSWORD must be set (or SEED_DEMO=1 for the demo accounts)")
    sms_notifier = _sms_notifier(env, seed_demo)
    cores = os.cpu_count() or 1
    return {"url": url, "host": env.get("HOST", "127.0.0.1"), "port": int(env.get("PORT", "8000")),
            "api_processes": int(env.get("API_PROCESSES", str(2 * cores))),
            "api_threads": int(env.get("API_THREADS", "4")),
            "worker_processes": int(env.get("WORKER_PROCESSES", "2")),
            "worker_max_tasks": int(env.get("WORKER_MAX_TASKS", "5")),
            "worker_concurrency": int(env.get("WORKER_CONCURRENCY", "1")),
            "schedulers": int(env.get("SCHEDULERS", "2")), "seed_demo": seed_demo,
            "worker_user": env.get("WORKER_USER", "worker"),
            "worker_password": env.get("WORKER_PASSWORD") or "demo", "sms_notifier": sms_notifier}


def _sms_notifier(env, seed_demo: bool) -> str:
    """The schedulers send the SMS outbox: refuse here rather than let them exit and restart forever.
    Production says where SMS go: ``logging`` marks them sent while no family receives one, so it is
    the default of the demo (``SEED_DEMO=1``) only."""
    notifier = env.get("SMS_NOTIFIER") or ("logging" if seed_demo else None)
    if notifier is None:
        raise ConfigurationError("SMS_NOTIFIER must be set: http (with SMS_GATEWAY_URL) sends the families' "
                                 "SMS; logging only logs them (or SEED_DEMO=1 for the demo)")
    if notifier not in ("logging", "http"):
        raise ConfigurationError(f"SMS_NOTIFIER must be logging or http, not {notifier!r}")
    if notifier == "http" and not env.get("SMS_GATEWAY_URL"):
        raise ConfigurationError("SMS_GATEWAY_URL must be set when SMS_NOTIFIER=http")
    return notifier


def create_wsgi():
    """What each gunicorn process serves (no in-process workers or scheduler: they run apart)."""
    import gc

    from api import create_app
    from api.config import Config
    threads = int(os.environ.get("API_THREADS", "4"))
    slots = int(os.environ.get("LONG_POLL_SLOTS", str(max(threads // 2, 1))))  # half the threads may wait
    app = create_app(Config(RUN_WORKERS=False, RUN_SCHEDULER=False, LONG_POLL_SLOTS=slots))
    # what is loaded now (modules, parsed specs, the app) lives as long as the process: keep it out
    # of the collector's full passes, which otherwise pause a request for 80-100 ms now and then
    gc.collect()
    gc.freeze()
    # a step allocates tens of thousands of objects (a workflow loaded, rows, JSON): the collector's
    # youngest pass every 700 allocations ran ten times per request; every 10,000, about one in two
    # (bench/NOTES.md: the collector's CPU 2.9 % → 1.8 % of an API process)
    gc.set_threshold(10_000, 20, 20)
    return app


def child_exit(server, worker):  # gunicorn hook: forget a dead process's metric files
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)


def prepare(conf: dict) -> list[str]:
    """Migrate, deploy every region, make the accounts; returns every service-task topic."""
    from sqlalchemy import select

    from api import create_app
    from api.cli import initialise
    from api.config import Config
    from api.extensions import db
    from engine import Definition
    app = create_app(Config(RUN_WORKERS=False, RUN_SCHEDULER=False, TESTING=True))
    if conf["seed_demo"]:
        initialise(app)
    else:
        _initialise_without_demo(app, conf)
    with app.app_context():
        activities = db.session.scalars(select(Definition.activities)).all()
        db.engine.dispose()
    return sorted({a["topic"] for acts in activities for a in acts.values() if a.get("topic")})


def _initialise_without_demo(app, conf: dict) -> None:
    from sqlalchemy import select

    from api.auth import hash_password
    from api.extensions import db
    from engine import db as engine_db
    from engine import deploy_folder
    from engine import User
    from engine import Role
    engine_db.upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        state = app.extensions["newborn"]
        deploy_folder(db.session, app.config["BPMN_ROOT"], state.clock.now(), actor="make serve")
        user = db.session.scalars(select(User).where(User.username == conf["worker_user"])).first()
        if user is None:
            user = User(username=conf["worker_user"], role=Role.WORKER.value, groups=[], display_name="部门系统工作者")
            db.session.add(user)
        user.password_hash = hash_password(conf["worker_password"])
        db.session.commit()


def commands(conf: dict, topics: list[str]) -> dict[str, list[str]]:
    py = sys.executable
    api = [py, "-m", "gunicorn", "-c", "python:api.production", "--workers", str(conf["api_processes"]),
           "--threads", str(conf["api_threads"]), "--bind", f"{conf['host']}:{conf['port']}",
           "--graceful-timeout", "10", "--access-logfile", "-", "api.production:create_wsgi()"]
    out = {"api": api}
    for n in range(conf["worker_processes"]):
        out[f"worker-{n}"] = [py, "-m", "workers", "--url", f"http://{conf['host']}:{conf['port']}",
                              "--user", conf["worker_user"], "--topics", ",".join(topics),
                              "--max-tasks", str(conf["worker_max_tasks"]),
                              "--concurrency", str(conf["worker_concurrency"])]
    for n in range(conf["schedulers"]):
        out[f"scheduler-{n}"] = [py, "-m", "engine", "scheduler", "--database-url", conf["url"]]
    return out


class Supervisor:
    """Starts every process and restarts one that dies, until SIGTERM/SIGINT."""

    def __init__(self, commands: dict[str, list[str]], env: dict):
        self.commands, self.env = commands, env
        self.processes: dict[str, subprocess.Popen] = {}
        self.stopping = False

    def start(self, name: str) -> None:
        self.processes[name] = subprocess.Popen(self.commands[name], env=self.env)
        print(f"started {name} (pid {self.processes[name].pid})", flush=True)

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: setattr(self, "stopping", True))
        self.start("api")
        time.sleep(2)  # workers long-poll the API: let it bind first
        for name in self.commands:
            if name != "api":
                self.start(name)
        while not self.stopping:
            time.sleep(0.5)
            for name, process in list(self.processes.items()):
                if process.poll() is not None and not self.stopping:
                    print(f"{name} exited ({process.returncode}); restarting", flush=True)
                    time.sleep(RESTART_PAUSE_SECONDS)
                    self.start(name)
        return self.stop()

    def stop(self) -> int:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        return 0


def main() -> int:
    conf = settings()
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="newborn-metrics-"))
    topics = prepare(conf)
    env = {**os.environ, "WORKER_PASSWORD": conf["worker_password"]}
    print(f"新生儿出生“一件事” production shape on http://{conf['host']}:{conf['port']}/ "
          f"({conf['api_processes']} API processes, {conf['worker_processes']} workers, "
          f"{conf['schedulers']} schedulers, SMS {conf['sms_notifier']}); "
          f"database {conf['url'].split('@')[-1]}", flush=True)
    return Supervisor(commands(conf, topics), env).run()


if __name__ == "__main__":
    sys.exit(main())
