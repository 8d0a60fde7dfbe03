"""Deploying diagrams from the API: known groups and topics come from the accounts that serve them."""
from sqlalchemy import select

from api.extensions import db
from api.services import engine_context, region_registry
from engine import (
    definitions, executable_processes, FAMILY_GROUP, NotFound, parse_bpmn_bytes, Problem, process_properties, Role,
    User
)


def served_groups() -> set[str]:
    clerks = db.session.scalars(select(User.groups).where(User.role == Role.CLERK.value)).all()
    return {g for groups in clerks for g in (groups or [])} | {FAMILY_GROUP}


def served_topics() -> set[str]:
    workers = db.session.scalars(select(User.groups).where(User.role == Role.WORKER.value)).all()
    return {t for topics in workers for t in (topics or [])}


def form_facts(data: bytes, region: str | None = None) -> set[str] | None:
    """The facts the region's form derives (gateway conditions may read them), by the diagram's
    ``region`` property (else ``region``); None when the region has no form here (the check is skipped)."""
    try:
        processes = executable_processes(parse_bpmn_bytes(data, "process.bpmn"))
        region = process_properties(processes[0]).get("region") or region
        form = region_registry().get(region or "").form
    except Exception:  # noqa: BLE001 - a broken file or no form: validation names what matters
        return None
    return set(form.facts({}, []))


def deploy_bytes(data: bytes, filename: str, actor: str, **kwargs):
    """Validate and deploy one file; commits. Returns (definition, created)."""
    ctx = engine_context()
    definition, created = definitions.deploy(
        db.session, data, ctx.now(), filename=filename, actor=actor,
        known_groups=served_groups(), known_topics=served_topics(),
        known_facts=form_facts(data, kwargs.get("region")), **kwargs)
    db.session.commit()
    return definition, created


def dry_run(data: bytes, filename: str) -> tuple[str | None, list[Problem]]:
    """The problems a deploy of these bytes would answer (``validate_diagram`` with the same known groups,
    topics and form facts), and the process key when there are none; reads accounts only, writes nothing."""
    problems = definitions.validate_diagram(data, filename, served_groups(), served_topics(), form_facts(data))
    key = None if problems else executable_processes(parse_bpmn_bytes(data, filename))[0].get("id")
    return key, problems
