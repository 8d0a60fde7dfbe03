"""The outbox sender: a real HTTP SMS gateway on 127.0.0.1, each message sent once by racing dispatchers."""
import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import select

from api.extensions import db
from engine.store.models import OutboxMessage
from engine.notify import notifications
from engine.notify.notifications import HttpSmsGateway, LoggingNotifier, SendFailed, dispatch, get_notifier


def test_racing_dispatchers_send_each_message_once_through_the_gateway(app, gateway):
    url, received = gateway.url, gateway.messages
    now = datetime(2025, 9, 29, 9, 0)
    with app.app_context():
        db.session.add_all(OutboxMessage(dedupe_key=f"k{n}", template="accepted", phone="13812345678",
                                         text=f"【新生儿出生一件事】消息{n}", created_at=now) for n in range(40))
        db.session.commit()
        engine = db.engine
    from engine.store.db import make_session_factory
    factory, notifier = make_session_factory(engine), get_notifier("http", url)
    counts = []

    def run():
        with factory() as session:
            counts.append(dispatch(session, notifier, now))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 40
    assert sorted(m["idempotency_key"] for m in received) == sorted(f"k{n}" for n in range(40))
    with app.app_context():
        assert all(m.sent_at for m in db.session.scalars(select(OutboxMessage)))
        assert dispatch(db.session, notifier, now) == 0


def test_unreachable_gateway_keeps_the_message_pending(app):
    now = datetime(2025, 9, 29, 9, 0)
    with pytest.raises(SendFailed):
        HttpSmsGateway("http://127.0.0.1:9/sms", timeout=1).send("1", "x", "k")
    with app.app_context():
        db.session.add(OutboxMessage(dedupe_key="k", template="accepted", text="x", created_at=now))
        db.session.commit()
        assert dispatch(db.session, HttpSmsGateway("http://127.0.0.1:9/sms", timeout=1), now) == 0
        assert db.session.scalars(select(OutboxMessage)).one().sent_at is None


def test_the_logging_notifier_remembers_only_the_last_messages():
    notifier = LoggingNotifier(keep=2)      # a scheduler process runs it for months
    for n in range(3):
        notifier.send("13812345678", f"消息{n}", f"k{n}")
    assert [key for _, _, key in notifier.sent] == ["k1", "k2"]


class SlowGateway:
    """A gateway slow enough that one batch would outlive its claim."""

    def __init__(self, seconds: float):
        self.seconds, self.sent = seconds, []

    def send(self, phone, text, key) -> None:
        time.sleep(self.seconds)
        self.sent.append(key)


def test_a_batch_stops_before_its_claim_lapses_and_gives_the_rest_back(app, monkeypatch):
    """One UPDATE claims a batch; a dispatcher still sending when the claim could lapse would race another
    that takes the lapsed rows: it stops at half the claim and releases what it did not send."""
    monkeypatch.setattr(notifications, "CLAIM_SECONDS", 0.2)
    now = datetime(2025, 9, 29, 9, 0)
    with app.app_context():
        db.session.add_all(OutboxMessage(dedupe_key=f"k{n}", template="accepted", text=f"消息{n}",
                                         created_at=now) for n in range(3))
        db.session.commit()
        gateway = SlowGateway(0.15)
        assert dispatch(db.session, gateway, now) == 1  # 0.15 s sent one; the second would pass 0.1 s
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(r.sent_at is not None, r.claimed_until) for r in rows] == [(True, None), (False, None),
                                                                           (False, None)]
        assert dispatch(db.session, gateway, now) == 1 and dispatch(db.session, gateway, now) == 1
        assert gateway.sent == ["k0", "k1", "k2"] and dispatch(db.session, gateway, now) == 0
