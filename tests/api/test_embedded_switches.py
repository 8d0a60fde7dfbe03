"""``python -m api`` (the embedded default) honours RUN_WORKERS / RUN_SCHEDULER as README lists them:
an operator whose real department workers serve the topics turns the simulated ones off."""
import pytest

from api import create_app
from api.__main__ import embedded_config
from tests.engine.helpers import clear_scheduler_jobs


def _started(monkeypatch, clean_db, tmp_path, clock, **env) -> list[str]:
    for name in ("RUN_WORKERS", "RUN_SCHEDULER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = create_app(embedded_config(DATABASE_URL=clean_db, VAR_DIR=tmp_path, SECRET_KEY="t" * 32), clock=clock)
    parts = app.extensions["newborn"].background
    try:
        return sorted(type(part).__name__ for part in parts)
    finally:
        for part in parts:
            part.stop()
        clear_scheduler_jobs(clean_db)


def test_the_embedded_default_runs_workers_and_scheduler(monkeypatch, clean_db, tmp_path, clock):
    assert _started(monkeypatch, clean_db, tmp_path, clock) == [
        "EscalationScheduler", "InProcessWorker", "OutboxDispatcher"]


@pytest.mark.parametrize("env, running", [
    ({"RUN_WORKERS": "0", "RUN_SCHEDULER": "0"}, []),
    ({"RUN_WORKERS": "0"}, ["EscalationScheduler"]),
    ({"RUN_SCHEDULER": "false"}, ["InProcessWorker", "OutboxDispatcher"]),
])
def test_an_operator_turns_them_off(monkeypatch, clean_db, tmp_path, clock, env, running):
    assert _started(monkeypatch, clean_db, tmp_path, clock, **env) == running
