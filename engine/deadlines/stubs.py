"""Paper stubs (《出生医学证明》副页) handed to the police on the region's schedule.

000 (重庆江津): 「《出生医学证明副页》于每月底邮寄到新生儿户籍地派出所」; 002 (钦州钦北): 「副页由《出生医学证明》签发机构
于每季度末月30日移交到所在地派出所存档，双方做好交接登记」. The region's process says when and to whom
(bpmn/README.md "Paper stubs"): ``stubHandover`` = ``monthly`` (the month's last day) or ``quarterly:30``
(the 30th of March, June, September, December), and ``stubHandoverTo`` = ``hukou`` (the family's 落户派出所 from
the form, the default) or ``institution`` (the station where the issuing institution is).

A run lists every birth certificate of the region issued up to now and not yet listed: one list per police
station, each stub once. The unique ``elicence_id`` makes a second run (or two at once) list nothing twice.
The scheduler adds one APScheduler cron job per region (``engine.deadlines.stubs:run_job``, ids only).
"""
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.deadlines import escalation
from engine.store.models import Case, Definition, ELicence, StubHandover

CERTIFICATE = "birth_certificate"
SCHEDULE, STATION = "stubHandover", "stubHandoverTo"
HOUR = 17  # lists are drawn at 17:00 China time on the day the seed names
UNKNOWN_STATION = "未填写落户派出所"


class ScheduleError(ValueError):
    pass


def cron_fields(value: str) -> dict:
    """APScheduler cron fields of a ``stubHandover`` value; ``ScheduleError`` for anything else."""
    kind, _, day = (value or "").strip().partition(":")
    if day and not (day.isdigit() and 1 <= int(day) <= 31):
        raise ScheduleError(f"stubHandover 的日期须为 1–31，实际为 {value!r}")
    if kind == "monthly":
        return {"day": day or "last", "hour": HOUR}
    if kind == "quarterly":
        return {"month": "3,6,9,12", "day": day or "last", "hour": HOUR}
    raise ScheduleError(f"stubHandover 须为 monthly[:日] 或 quarterly[:日]，实际为 {value!r}")


def schedules(session) -> dict[str, dict]:
    """Region -> cron fields, from each region's newest definition that sets ``stubHandover``."""
    newest: dict = {}
    # the columns the choice needs: a pass each minute must not load every version's activities
    rows = session.execute(select(Definition.region, Definition.deployed_at, Definition.version,
                                  Definition.properties).where(Definition.region.is_not(None)))
    for definition in rows:
        held = newest.get(definition.region)
        if held is None or definition.deployed_at > held.deployed_at or \
                (definition.deployed_at == held.deployed_at and definition.version > held.version):
            newest[definition.region] = definition
    return {region: cron_fields(d.properties[SCHEDULE]) for region, d in newest.items()
            if (d.properties or {}).get(SCHEDULE)}


def station_of(case: Case, rule: str) -> str:
    """The police station a case's stub goes to: the form's 落户派出所, or the institution's local station."""
    if rule == "institution":
        return f"{case.institution or '签发机构'}所在地派出所"
    return ((case.form or {}).get("hukou") or {}).get("police_station") or UNKNOWN_STATION


def produce(session, now: datetime, region: str) -> list[StubHandover]:
    """List (and commit) every stub of ``region`` issued up to ``now`` and never listed; [] when none is new
    or another run listed them first."""
    definition = session.scalars(select(Definition).where(Definition.region == region)
                                 .order_by(Definition.deployed_at.desc(), Definition.version.desc())).first()
    rule = ((definition.properties if definition else None) or {}).get(STATION, "hukou")
    listed = select(StubHandover.elicence_id)
    rows = session.execute(select(ELicence, Case).join(Case, Case.id == ELicence.case_id).where(
        Case.region == region, ELicence.kind == CERTIFICATE, ELicence.issued_at <= now,
        ELicence.id.not_in(listed)).order_by(ELicence.issued_at, ELicence.id)).all()
    batch = f"{region}:{now:%Y-%m-%d}"
    stubs = [StubHandover(region=region, batch=batch, station=station_of(case, rule), elicence_id=lic.id,
                          case_id=case.id, certificate_number=lic.number, institution=case.institution,
                          issued_at=lic.issued_at, listed_at=now) for lic, case in rows]
    session.add_all(stubs)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return []  # a concurrent run listed (some of) them: the next run takes what is left
    return stubs


def run_job(region: str, registry: str = "default") -> int:
    """APScheduler job (``engine.deadlines.stubs:run_job``): ids only, the rest from the registry."""
    session_factory, clock, _calendar = escalation.registered(registry)
    with session_factory() as session:
        return len(produce(session, clock.now(), region))


def lists(session, region: str | None, institution: str | None = None) -> list[dict]:
    """Hand-over lists, newest first: one per run and station, with their stubs (an institution's only)."""
    stmt = select(StubHandover).order_by(StubHandover.listed_at.desc(), StubHandover.station, StubHandover.id)
    if region is not None:
        stmt = stmt.where(StubHandover.region == region)
    if institution is not None:
        stmt = stmt.where(StubHandover.institution == institution)
    grouped: dict[tuple, list[StubHandover]] = defaultdict(list)
    for row in session.scalars(stmt):
        grouped[(row.batch, row.station)].append(row)
    return [{"batch": batch, "region": rows[0].region, "station": station, "listed_at": rows[0].listed_at,
             "count": len(rows),
             "stubs": [{"case_id": r.case_id, "certificate_number": r.certificate_number,
                        "institution": r.institution, "issued_at": r.issued_at} for r in rows]}
            for (batch, station), rows in grouped.items()]
