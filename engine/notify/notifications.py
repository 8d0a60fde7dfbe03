"""Sending the SMS outbox: a notifier interface, its senders, and a dispatcher that sends each once.

The dispatcher claims a row with a conditional UPDATE (``sent_at IS NULL AND attempts = n``) before
sending, so two dispatchers (threads or processes) never both send the same message; a claimed row is
marked sent after the sender accepted it.
"""
import json
import logging
import urllib.request
from collections import deque
from datetime import timedelta
from typing import Protocol

from sqlalchemy import or_, select, update

from engine.background import WakeableLoop
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


def _claim(session, message: OutboxMessage, now) -> bool:
    won = session.execute(update(OutboxMessage).where(
        OutboxMessage.id == message.id, OutboxMessage.sent_at.is_(None),
        OutboxMessage.attempts == message.attempts).values(
        attempts=OutboxMessage.attempts + 1, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return bool(won)


def dispatch(session, notifier: Notifier, now, limit: int = 100) -> int:
    """Send pending messages once each; returns how many were sent by this call."""
    pending = session.scalars(select(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None),
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        .order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)).all()
    candidates = [(m.id, m.attempts, m.phone, m.text, m.dedupe_key) for m in pending]
    session.commit()
    sent = 0
    for message_id, attempts, phone, text, key in candidates:
        probe = OutboxMessage(id=message_id, attempts=attempts)
        if not _claim(session, probe, now):
            continue  # another dispatcher has it
        try:
            notifier.send(phone, text, key)
        except SendFailed as exc:
            log.warning("sms %s not sent: %s", key, exc)
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                            .values(claimed_until=None))
            session.commit()
            continue
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                        .values(sent_at=now, claimed_until=None))
        session.commit()
        sent += 1
    return sent


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
