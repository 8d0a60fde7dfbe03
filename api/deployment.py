"""Deploying diagrams from the API: known groups and topics come from the accounts that serve them."""
from sqlalchemy import select

from api.extensions import db
from api.services import engine_context
from engine import definitions, Role, User

FAMILY_GROUP = "applicant"


def served_groups() -> set[str]:
    clerks = db.session.scalars(select(User.groups).where(User.role == Role.CLERK.value)).all()
    return {g for groups in clerks for g in (groups or [])} | {FAMILY_GROUP}


def served_topics() -> set[str]:
    workers = db.session.scalars(select(User.groups).where(User.role == Role.WORKER.value)).all()
    return {t for topics in workers for t in (topics or [])}


def deploy_bytes(data: bytes, filename: str, actor: str, **kwargs):
    """Validate and deploy one file; commits. Returns (definition, created)."""
    ctx = engine_context()
    definition, created = definitions.deploy(
        db.session, data, ctx.now(), filename=filename, actor=actor,
        known_groups=served_groups(), known_topics=served_topics(), **kwargs)
    db.session.commit()
    return definition, created
