"""``make serve``'s processes as the supervisor starts them, from the environment alone."""
from api.production import commands, settings

ENV = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/x", "SECRET_KEY": "k" * 16, "SEED_DEMO": "1"}


def _flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_worker_processes_lock_and_work_as_the_environment_says():
    defaults = commands(settings(ENV), ["a.topic"])
    workers = [command for name, command in defaults.items() if name.startswith("worker-")]
    batches = {(_flag(w, "--max-tasks"), _flag(w, "--concurrency")) for w in workers}
    assert len(workers) == 2 and batches == {("5", "1")}
    tuned = commands(settings({**ENV, "WORKER_PROCESSES": "3", "WORKER_MAX_TASKS": "10", "WORKER_CONCURRENCY": "4"}),
                     ["a.topic", "b.topic"])
    workers = [command for name, command in tuned.items() if name.startswith("worker-")]
    batches = {(_flag(w, "--max-tasks"), _flag(w, "--concurrency")) for w in workers}
    assert len(workers) == 3 and batches == {("10", "4")}
    assert {_flag(w, "--topics") for w in workers} == {"a.topic,b.topic"}
