"""Sending the SMS outbox: a notifier interface, its senders, and a dispatcher that sends each once.

The dispatcher claims a batch of rows in one UPDATE (``… WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)``,
as workers lock external tasks) before sending, so two dispatchers (threads or processes) never both
send the same message; each claimed row is marked sent after the sender accepted it. A claim lapses
after ``CLAIM_SECONDS`` (a dispatcher that died mid-batch): a batch stops sending well before that and
gives back what it did not send.
"""
import json
import logging
import time
import urllib.request
from collections import deque
from datetime import timedelta
from typing import Protocol

from sqlalchemy import bindparam, or_, select, update

from engine.background import WakeableLoop
from engine.store.transaction import autocommit_connection
from engine.store.models import OutboxMessage

log = logging.getLogger(__name__)
CLAIM_SECONDS = 60  # a dispatcher that died mid-send frees its claim after this


class SendFailed(Exception):
    pass


class Notifier(Protocol):
    def send(self, phone: str | None, text: str, key: str) -> None:
        """Deliver one SMS; ``key`` is the message's dedupe key (gateways use it as idempotency key)."""


class LoggingNotifier:
    """The default: log that a message went out (never the phone number or text)."""

    def __init__(self, keep: int = 1000):
        # the last ``keep`` only: a scheduler process logs for months
        self.sent: deque[tuple[str | None, str, str]] = deque(maxlen=keep)

    def send(self, phone, text, key) -> None:
        self.sent.append((phone, text, key))
        log.info("sms sent key=%s chars=%d", key, len(text))


class HttpSmsGateway:
    """POST {"phone", "text", "idempotency_key"} as JSON to an SMS gateway; 2xx means accepted."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0):
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, phone, text, key) -> None:
        body = json.dumps({"phone": phone, "text": text, "idempotency_key": key}, ensure_ascii=False)
        request = urllib.request.Request(self.url, data=body.encode("utf-8"), method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                if not 200 <= response.status < 300:
                    raise SendFailed(f"gateway answered {response.status}")
        except OSError as exc:
            raise SendFailed(f"gateway unreachable: {exc}") from exc


def get_notifier(kind: str = "logging", url: str | None = None, token: str | None = None) -> Notifier:
    if kind == "logging":
        return LoggingNotifier()
    if kind == "http":
        if not url:
            raise ValueError("the http notifier needs SMS_GATEWAY_URL")
        return HttpSmsGateway(url, token)
    raise ValueError(f"unknown notifier {kind!r}; expected logging or http")


OUTBOX = OutboxMessage.__table__
# built once (a statement's construction and cache key cost more than its database work: bench/NOTES.md)
CLAIM_BATCH = (update(OUTBOX).where(OUTBOX.c.id.in_(
    select(OUTBOX.c.id).where(OUTBOX.c.sent_at.is_(None),
                              or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until < bindparam("now")))
    .order_by(OUTBOX.c.id).limit(bindparam("limit")).with_for_update(skip_locked=True).scalar_subquery()))
    .values(attempts=OUTBOX.c.attempts + 1, claimed_until=bindparam("until"))
    .returning(OUTBOX.c.id, OUTBOX.c.phone, OUTBOX.c.text, OUTBOX.c.dedupe_key))
MARK_SENT = (update(OUTBOX).where(OUTBOX.c.id == bindparam("message_id"))
             .values(sent_at=bindparam("now"), claimed_until=None))
RELEASE = (update(OUTBOX).where(OUTBOX.c.id.in_(bindparam("message_ids", expanding=True)),
                                OUTBOX.c.sent_at.is_(None))
           .values(claimed_until=None))


def dispatch(session, notifier: Notifier, now, limit: int = 100) -> int:
    """Send pending messages once each; returns how many were sent by this call.

    Each statement here is a transaction of its own (the claim, each message marked sent the moment it
    went, a release): they run in autocommit, which spares each a BEGIN and a COMMIT round trip."""
    connection = autocommit_connection(session)  # whatever the caller's session held is committed first
    try:
        claimed = connection.execute(CLAIM_BATCH, {
            "now": now, "limit": limit, "until": now + timedelta(seconds=CLAIM_SECONDS)}).all()
        started, sent, ordered = time.monotonic(), 0, sorted(claimed, key=lambda row: row.id)
        for n, message in enumerate(ordered):
            if time.monotonic() - started >= CLAIM_SECONDS / 2:  # never past the claim (a slow gateway)
                connection.execute(RELEASE, {"message_ids": [unsent.id for unsent in ordered[n:]]})
                break
            try:
                notifier.send(message.phone, message.text, message.dedupe_key)
            except SendFailed as exc:  # given back: the next round sends it
                log.warning("sms %s not sent: %s", message.dedupe_key, exc)
                connection.execute(RELEASE, {"message_ids": [message.id]})
                continue
            connection.execute(MARK_SENT, {"message_id": message.id, "now": now})
            sent += 1
        return sent
    finally:
        session.commit()  # returns the connection (nothing is left to commit)


class OutboxDispatcher(WakeableLoop):
    """Dispatch every ``interval`` seconds and, as the embedded default's engine listener (``make run``),
    after commits; each ``python -m engine scheduler`` process (``make serve``) runs one that only polls."""

    thread_name = "outbox-dispatcher"

    def __init__(self, session_factory, notifier: Notifier, clock, interval: float = 5.0):
        super().__init__()
        self.session_factory, self.notifier, self.clock, self.interval = session_factory, notifier, clock, interval

    def after_commit(self, ctx, changes) -> None:
        self.wake()

    def run_once(self) -> int:
        with self.session_factory() as session:
            return dispatch(session, self.notifier, self.clock.now())
