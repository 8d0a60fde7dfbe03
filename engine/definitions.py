"""Deploying BPMN as versioned definitions, and the per-version spec cache."""
import hashlib
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from engine.bpmn import model, structure, validation, variables
from engine.bpmn.parser import NewbornParser
from engine.bpmn.safe_xml import XmlRejected, parse_bpmn_bytes
from engine.bpmn.serializer import SpecSerializer
from engine.errors import DeployRejected, NotFound, Problem
from engine.store.models import Definition, Deployment

_spec_serializer = SpecSerializer()


@dataclass
class ParsedDiagram:
    key: str
    name: str
    properties: dict
    activities: dict
    spec_json: str


@dataclass
class _Checked:
    problems: list[Problem]
    parsed: ParsedDiagram | None = None


def validate_diagram(data: bytes, filename: str = "process.bpmn", known_groups=None, known_topics=None,
                     known_facts=None) -> list[Problem]:
    """Every problem of a BPMN file at once (empty: it would deploy); stores nothing, raises nothing.

    The whole file is checked, not only what the parser reaches from the start event: XSD, flows and
    reachability, every task's groups, topics, limits and declared outputs, expressions, the promise.
    ``known_groups``/``known_topics`` (served by accounts) and ``known_facts`` (the region's form facts,
    which gateway conditions may read) are checked only when given.
    """
    return _check(data, filename, known_groups, known_topics, known_facts).problems


def parse_diagram(data: bytes, filename: str, known_groups=None, known_topics=None,
                  known_facts=None) -> ParsedDiagram:
    """Parse and validate; raise ``DeployRejected`` listing every problem found (``validate_diagram``)."""
    checked = _check(data, filename, known_groups, known_topics, known_facts)
    if checked.problems:
        raise DeployRejected("BPMN 被拒绝", checked.problems)
    return checked.parsed


def _check(data: bytes, filename: str, known_groups, known_topics, known_facts) -> _Checked:
    try:
        root = parse_bpmn_bytes(data, filename)
    except XmlRejected as exc:
        return _Checked([exc.problem])
    problems = validation.xsd_problems(root, filename) + validation.expression_problems(root, filename)
    processes = model.executable_processes(root)
    if len(processes) != 1:
        problems.append(Problem(filename, "executable_process", f"须恰有一个可执行流程，实际 {len(processes)} 个"))
        return _Checked(problems)
    problems += structure.structure_problems(root, filename)
    problems += variables.condition_problems(root, known_facts, filename)
    process = processes[0]
    key, props = process.get("id"), model.process_properties(process)
    parser = NewbornParser()
    try:
        parser.add_bpmn_xml(etree.ElementTree(root), filename)
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except Exception as exc:  # the library raises assorted errors for broken references
        if not problems:  # else the structural problems above already say what broke it
            problems.append(validation.parse_problem(exc, filename))
        unseen = structure.xml_activities(root, set())
        problems += validation.activity_problems(unseen, props, known_groups, known_topics, filename)
        return _Checked(problems)
    activities = model.describe_activities(spec, subprocess_specs, model.lane_codes(root))
    unseen = structure.xml_activities(root, set(activities))
    problems += validation.activity_problems({**activities, **unseen}, props, known_groups, known_topics, filename)
    problems += validation.promise_problems(spec, activities, props, filename)
    if problems:
        return _Checked(problems)
    return _Checked([], ParsedDiagram(key, process.get("name") or key, props, activities,
                                      _spec_serializer.dumps(spec, subprocess_specs)))


def deploy(session: Session, data: bytes, now, filename="process.bpmn", deployment_name="",
           source=None, tenant_id=None, actor=None, known_groups=None, known_topics=None,
           region: str | None = None, known_facts=None) -> tuple[Definition, bool]:
    """Deploy bytes; returns (definition, created). Identical bytes to the latest version are a no-op.

    Raises ``DeployRejected`` with every problem (``validate_diagram``); flushes, never commits.
    """
    parsed = parse_diagram(data, filename, known_groups, known_topics, known_facts)
    sha = hashlib.sha256(data).hexdigest()
    latest = latest_definition(session, parsed.key, required=False)
    if latest is not None and latest.sha256 == sha:
        return latest, False
    deployment = Deployment(id=str(uuid.uuid4()), name=deployment_name or parsed.key, source=source,
                            tenant_id=tenant_id, deployed_at=now, deployed_by=actor)
    session.add(deployment)
    session.flush()  # no ORM relationship orders the inserts for us
    version = (latest.version + 1) if latest else 1
    definition = Definition(
        id=f"{parsed.key}:{version}:{uuid.uuid4().hex[:8]}", key=parsed.key, version=version,
        name=parsed.name, region=parsed.properties.get("region") or region, sha256=sha,
        resource_name=filename, xml=data.decode("utf-8"), spec_json=parsed.spec_json,
        properties=parsed.properties, activities=parsed.activities, deployment_id=deployment.id,
        deployed_at=now)
    session.add(definition)
    session.flush()
    return definition, True


def latest_definition(session: Session, key: str, required=True) -> Definition | None:
    row = session.scalars(select(Definition).where(Definition.key == key)
                          .order_by(Definition.version.desc()).limit(1)).first()
    if row is None and required:
        raise NotFound(f"流程定义 {key} 不存在", field="key")
    return row


# each region's newest version of each of its process keys, newest deployment first; built once
_NEWEST_VERSIONS = (select(Definition.region, Definition.key, func.max(Definition.version).label("v"))
                    .group_by(Definition.region, Definition.key).subquery())
_NEWEST_OF_REGIONS = (select(Definition).join(_NEWEST_VERSIONS, (Definition.region == _NEWEST_VERSIONS.c.region)
                                              & (Definition.key == _NEWEST_VERSIONS.c.key)
                                              & (Definition.version == _NEWEST_VERSIONS.c.v))
                      .order_by(Definition.deployed_at.desc()))
_NEWEST_OF_REGION = _NEWEST_OF_REGIONS.where(Definition.region == bindparam("region"))


def latest_for_region(session: Session, region: str, required=True) -> Definition | None:
    """The region's process: the newest version of its most recently deployed key. None if the region
    has none and not ``required`` (else ``NotFound``)."""
    row = session.scalars(_NEWEST_OF_REGION, {"region": region}).first()
    if row is None and required:
        raise NotFound(f"地区 {region} 尚未部署流程", field="region")
    return row


def latest_by_region(session: Session) -> dict[str, Definition]:
    """``latest_for_region`` of every region that has a deployed process, in one query."""
    latest = {}
    for row in session.scalars(_NEWEST_OF_REGIONS):
        latest.setdefault(row.region, row)  # the first of a region is its most recently deployed
    return latest


def deploy_folder(session: Session, bpmn_root: Path, now, **kwargs) -> list[Definition]:
    """Deploy every ``<region>/*.bpmn`` under ``bpmn_root`` (the region is the folder name)."""
    deployed = []
    for path in sorted(bpmn_root.glob("*/*.bpmn")):
        definition, _ = deploy(session, path.read_bytes(), now, filename=path.name,
                               deployment_name=path.parent.name, source="bpmn-folder",
                               region=path.parent.name, **kwargs)
        deployed.append(definition)
    return deployed


@dataclass(frozen=True)
class DeployedVersion:
    """What a step needs of a definition version, held in memory: versions never change once deployed."""
    id: str
    key: str
    version: int
    name: str
    region: str | None
    properties: dict
    activities: dict


class SpecCache:
    """Parsed specs per definition version: immutable, so shared by every case and thread."""

    def __init__(self):
        self._specs: dict[str, tuple] = {}
        self._activities: dict[str, dict] = {}
        self._versions: dict[str, DeployedVersion] = {}
        self._lock = threading.Lock()

    def version(self, session: Session, definition_id: str) -> DeployedVersion:
        """The version by id, read from the database once per process (no SELECT per step)."""
        found = self._versions.get(definition_id)
        if found is None:
            row = session.get(Definition, definition_id)
            if row is None:
                raise NotFound(f"流程定义 {definition_id} 不存在", field="definition_id")
            self.get(row)
            found = DeployedVersion(row.id, row.key, row.version, row.name, row.region,
                                    row.properties, self.activities(row))
            with self._lock:
                self._versions[definition_id] = found
        return found

    def get(self, definition: Definition):
        specs = self._specs.get(definition.id)
        if specs is None:
            specs = _spec_serializer.loads(definition.spec_json)
            with self._lock:
                self._specs[definition.id] = specs
        return specs

    def activities(self, definition: Definition) -> dict:
        """The version's activities (JSON column), parsed once per process."""
        found = self._activities.get(definition.id)
        if found is None:
            found = definition.activities
            with self._lock:
                self._activities[definition.id] = found
        return found


spec_cache = SpecCache()
