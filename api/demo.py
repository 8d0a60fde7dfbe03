"""Demo users for every deployed region: admin, R.<lane> clerks, R.supervisor, R.family, a worker."""
from sqlalchemy import select

from api.auth import hash_password
from api.extensions import db
from engine import CAMUNDA_NS, FAMILY_GROUP, NS, parse_bpmn_bytes, Role, User

DEMO_PASSWORD = "demo"


def region_lanes_and_topics(region) -> tuple[dict[str, str], list[str]]:
    """Lane code -> lane name (lanes ``lane_<code>`` and candidate groups), and the topics used."""
    root = parse_bpmn_bytes((region.folder / "process.bpmn").read_bytes())
    lanes = {lane.get("id")[len("lane_"):]: lane.get("name") or lane.get("id")
             for lane in root.xpath("//bpmn:lane", namespaces=NS) if lane.get("id", "").startswith("lane_")}
    for value in root.xpath(f"//@*[namespace-uri()='{CAMUNDA_NS}' and local-name()='candidateGroups']"):
        for group in str(value).split(","):
            lanes.setdefault(group.strip(), group.strip())
    topics = {str(t) for t in root.xpath(f"//@*[namespace-uri()='{CAMUNDA_NS}' and local-name()='topic']")}
    lanes.pop(FAMILY_GROUP, None)
    return dict(sorted(lanes.items())), sorted(topics)


def seed_demo_users(regions) -> list[tuple[str, str]]:
    """Create missing demo users (idempotent); returns (username, description) for printing."""
    wanted = [("admin", Role.ADMIN, None, [], "流程设计与管理员")]
    all_topics = set()
    for region in regions:
        lanes, topics = region_lanes_and_topics(region)
        all_topics |= set(topics)
        wanted += [(f"{region.code}.{lane}", Role.CLERK, region.code, [lane], f"{region.name} · {name} 办事员")
                   for lane, name in lanes.items()]
        wanted += [(f"{region.code}.supervisor", Role.SUPERVISOR, region.code, list(lanes),
                    f"{region.name} · 电子监察"),
                   (f"{region.code}.family", Role.FAMILY, region.code, [], f"{region.name} · 申请人（新生儿母亲）")]
    wanted.append(("worker", Role.WORKER, None, sorted(all_topics), "部门系统工作者（全部主题）"))
    existing = {u.username: u for u in db.session.scalars(select(User))}
    password = hash_password(DEMO_PASSWORD)
    for username, role, region, groups, description in wanted:
        user = existing.get(username)
        if user is None:
            db.session.add(User(username=username, password_hash=password, role=role.value, region=region,
                                groups=groups, display_name=description))
        elif role == Role.WORKER:
            user.groups = sorted(set(user.groups or []) | all_topics)
    db.session.commit()
    return [(w[0], w[4]) for w in wanted]
