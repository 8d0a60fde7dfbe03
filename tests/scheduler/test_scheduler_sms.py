"""The SMS outbox in the production shape: the real ``python -m engine scheduler`` process sends it
(``make serve``'s API processes send nothing) to a real HTTP gateway on 127.0.0.1, each message once."""
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import select, text

from engine.deadlines.scheduler import LOCK_KEY
from engine.store.db import make_engine, make_session_factory
from engine.store.models import OutboxMessage
from tests.engine.helpers import clear_scheduler_jobs, engine_context, run_service_tasks, start_accepted_case
from tests.scheduler.test_scheduler_process import ROOT, _stop

PHONE = "13812345678"
TOKEN = "gateway-token-for-tests"


def _spawn(database_url, gateway):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SMS_NOTIFIER": "http", "SMS_GATEWAY_URL": gateway.url,
           "SMS_GATEWAY_TOKEN": TOKEN}
    return subprocess.Popen([sys.executable, "-m", "engine", "scheduler", "--database-url", database_url],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)


def _outbox(session) -> list[OutboxMessage]:
    session.rollback()
    return session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def _wait_all_sent(session, seconds=20.0) -> list[OutboxMessage]:
    """Poll until every outbox row has ``sent_at`` (the dispatcher's interval is 5 s)."""
    deadline = time.monotonic() + seconds
    rows = _outbox(session)
    while time.monotonic() < deadline and not all(r.sent_at for r in rows):
        time.sleep(0.2)
        rows = _outbox(session)
    return rows


def _sent_as_queued(rows, gateway) -> bool:
    queued = sorted((r.phone, r.text, r.dedupe_key) for r in rows)
    received = sorted((m["phone"], m["text"], m["idempotency_key"]) for m in gateway.messages)
    return queued == received


def test_the_scheduler_process_sends_the_outbox_through_the_gateway(clean_db, clock, gateway):
    clear_scheduler_jobs(clean_db)
    ctx = engine_context(clean_db, clock)
    case = start_accepted_case(ctx, phone=PHONE)          # queues 已受理 before the process starts
    process = _spawn(clean_db, gateway)
    try:
        assert process.stdout.readline().strip() == "scheduler active"
        [accepted] = _wait_all_sent(ctx.session)
        assert accepted.sent_at and accepted.template == "accepted"
        assert _sent_as_queued([accepted], gateway)
        assert gateway.messages[0]["phone"] == PHONE and case.id[:8] in gateway.messages[0]["text"]
        run_service_tasks(ctx, case.id)                   # steps while it runs queue 已办结 messages
        rows = _wait_all_sent(ctx.session)
    finally:
        _stop(process)
        clear_scheduler_jobs(clean_db)
    assert len(rows) > 1 and all(r.sent_at for r in rows)
    assert {r.template for r in rows[1:]} >= {"item_done"}
    assert _sent_as_queued(rows, gateway)                 # each once, as queued
    assert set(gateway.authorizations) == {f"Bearer {TOKEN}"}
    ctx.session.close()


def test_a_scheduler_without_its_gateway_url_refuses_to_start(clean_db):
    env = {**os.environ, "SMS_NOTIFIER": "http"}
    env.pop("SMS_GATEWAY_URL", None)
    done = subprocess.run([sys.executable, "-m", "engine", "scheduler", "--database-url", clean_db],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "短信配置无效" in done.stderr and "SMS_GATEWAY_URL" in done.stderr


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_two_standby_schedulers_send_each_message_once(clean_db, gateway):
    """Sending does not wait for the escalation lock, and two senders race for every row."""
    engine = make_engine(clean_db)
    holder = engine.connect()                             # the lock held elsewhere: both stay standby
    assert holder.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
    holder.commit()
    session = make_session_factory(engine)()
    session.add_all(OutboxMessage(dedupe_key=f"k{n}", template="accepted", phone=PHONE, created_at=datetime.now(),
                                  text=f"【新生儿出生一件事】消息{n}") for n in range(40))
    session.commit()
    one, two = _spawn(clean_db, gateway), _spawn(clean_db, gateway)
    try:
        assert one.stdout.readline().strip() == two.stdout.readline().strip() == "scheduler standby"
        rows = _wait_all_sent(session)
    finally:
        _stop(one)
        _stop(two)
        holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
        holder.close()
        session.close()
        engine.dispose()
    assert len(rows) == 40 and all(r.sent_at for r in rows)
    assert set(Counter(m["idempotency_key"] for m in gateway.messages).values()) == {1}
    assert _sent_as_queued(rows, gateway)
