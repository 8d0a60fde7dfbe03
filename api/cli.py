"""``flask --app api <command>``: init, deploy, seed-demo, worker-account, cases, tasks."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from api.extensions import db
from engine import db as engine_db


def init_app(app) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(deploy_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(worker_account_command)
    app.cli.add_command(cases_command)
    app.cli.add_command(tasks_command)


def initialise(app) -> list[tuple[str, str]]:
    """Migrate, seed demo users, deploy every region: what ``make run`` does before serving."""
    from api.demo import seed_demo_users
    from api.deployment import deploy_bytes
    engine_db.upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        registry = app.extensions["newborn"].regions
        users = seed_demo_users(registry.all())
        for region in registry.all():
            path = region.folder / "process.bpmn"
            deploy_bytes(path.read_bytes(), path.name, "system", deployment_name=region.code,
                         source="bpmn-folder", region=region.code)
    return users


@click.command("init")
def init_command():
    """Apply migrations, seed demo users and deploy every region in the BPMN root."""
    for username, description in initialise(current_app):
        click.echo(f"  {username:40s} {description}")


@click.command("deploy")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def deploy_command(paths):
    """Deploy BPMN files (default: every region folder)."""
    from api.deployment import deploy_bytes
    from engine import DeployRejected
    registry = current_app.extensions["newborn"].regions
    files = list(paths) or [r.folder / "process.bpmn" for r in registry.all()]
    for path in files:
        try:
            definition, created = deploy_bytes(path.read_bytes(), path.name, "cli", region=path.parent.name)
        except DeployRejected as exc:
            for problem in exc.problems:
                click.echo(f"{path}: {problem.field} [{problem.code}] {problem.message}", err=True)
            raise SystemExit(1)
        click.echo(f"{path}: {definition.id} ({'new version' if created else 'unchanged'})")


@click.command("seed-demo")
def seed_demo_command():
    """Create the demo users (password: demo)."""
    from api.demo import seed_demo_users
    for username, description in seed_demo_users(current_app.extensions["newborn"].regions.all()):
        click.echo(f"  {username:40s} {description}")


def _names(value: str) -> list[str]:
    return sorted({name.strip() for name in value.split(",") if name.strip()})


@click.command("worker-account")
@click.argument("username")
@click.option("--topics", required=True, help="comma-separated topics the department system serves")
@click.option("--regions", default="", help="comma-separated region codes it serves (empty: every region)")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              envvar="WORKER_ACCOUNT_PASSWORD", help="or WORKER_ACCOUNT_PASSWORD")
@with_appcontext
def worker_account_command(username, topics, regions, password):
    """Create or update a department system's worker account, bound to topics and regions."""
    from api.auth import hash_password
    from engine import Role, User
    known = {r.code for r in current_app.extensions["newborn"].regions.all()}
    unknown = [r for r in _names(regions) if r not in known]
    if unknown:
        raise click.BadParameter(f"unknown region(s): {', '.join(unknown)}", param_hint="--regions")
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        user = User(username=username, role=Role.WORKER.value, display_name="部门系统工作者")
        db.session.add(user)
    elif user.role != Role.WORKER.value:
        raise click.BadParameter(f"{username} is a {user.role}, not a worker account", param_hint="USERNAME")
    user.password_hash, user.groups, user.regions = hash_password(password), _names(topics), _names(regions)
    db.session.commit()
    click.echo(f"{username}: topics {', '.join(user.groups)}; regions {', '.join(user.regions) or 'all'}")


@click.command("cases")
@click.option("--region")
def cases_command(region):
    """List cases."""
    from engine import Case
    stmt = select(Case).order_by(Case.submitted_at)
    if region:
        stmt = stmt.where(Case.region == region)
    for case in db.session.scalars(stmt):
        click.echo(f"{case.id}  {case.region:22s} {case.status:12s} deadline {case.deadline}")


@click.command("tasks")
@click.option("--case", "case_id")
def tasks_command(case_id):
    """List open tasks."""
    from engine import Task
    from engine import OPEN_TASK_STATES
    stmt = select(Task).where(Task.state.in_(OPEN_TASK_STATES)).order_by(Task.created_at)
    if case_id:
        stmt = stmt.where(Task.case_id == case_id)
    for task in db.session.scalars(stmt):
        click.echo(f"{task.id}  {task.region:22s} {task.kind:8s} {task.state:9s} {task.name} due {task.due_at}")
