"""CPU seconds spent by every process of a bench phase, and a py-spy profile of the API processes.

CPU time, unlike wall time, hardly moves when other work shares the machine: the figure to judge a
change by. Read from /proc (utime + stime, plus cutime + cstime of children a process reaped), so a
phase is ``after - before`` of the same snapshot function.
"""
import collections
import os
import shutil
import subprocess
import sys
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float, float] | None:
    """(parent pid, user and system CPU seconds of the process and the children it reaped), or None if it
    is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) "
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return int(fields[1]), (utime + cutime) / TICK, (stime + cstime) / TICK


def _all() -> dict[int, tuple[int, float, float]]:
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            found = _stat(int(name))
            if found is not None:
                out[int(name)] = found
    return out


def tree(root: int) -> float:
    """CPU seconds of ``root`` and all its descendants alive now (the ones they reaped included)."""
    return sum(tree_user_system(root))


def tree_user_system(root: int) -> tuple[float, float]:
    """User and system CPU seconds of ``root`` and all its descendants alive now."""
    table = _all()
    children = collections.defaultdict(list)
    for pid, (ppid, *_) in table.items():
        children[ppid].append(pid)
    user = system = 0.0
    todo = [root]
    while todo:
        pid = todo.pop()
        _, u, s = table.get(pid, (0, 0.0, 0.0))
        user, system = user + u, system + s
        todo += children.get(pid, [])
    return user, system


def postgres_backends(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving ``database`` (matched by its process title)."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            title = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            found = _stat(int(name))
            if found is not None:
                out[int(name)] = found[1]
    return out


def on_cpu_ns(pid: int) -> int:
    """Nanoseconds ``pid`` has run on a CPU (/proc/<pid>/schedstat): fine enough for one request, where
    /proc/<pid>/stat counts 10 ms ticks. 0 if the process is gone."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except OSError:
        return 0


class Meter:
    """CPU seconds of the server's process tree and of the database's backends between start and stop.

    Backends that end inside the window are lost (their time goes to the postmaster, shared with
    everyone): the pools keep theirs open, so the loss is small; it is an undercount, never an
    overcount."""

    def __init__(self, server_pid: int, database: str):
        self.server_pid, self.database = server_pid, database

    def start(self) -> None:
        self._server, self._pg = tree(self.server_pid), postgres_backends(self.database)
        self._roles = server_roles(self.server_pid)

    def stop(self) -> dict:
        server = tree(self.server_pid) - self._server
        pg_now = postgres_backends(self.database)
        pg = sum(v - self._pg.get(pid, 0.0) for pid, v in pg_now.items())
        roles = {role: v - self._roles.get(role, 0.0) for role, v in server_roles(self.server_pid).items()}
        return {"server_cpu_s": server, "postgres_cpu_s": pg, "roles_cpu_s": roles}


def server_roles(server_pid: int) -> dict[str, float]:
    """CPU seconds so far per role of the production shape (gunicorn, workers, scheduler) — for the report."""
    table = _all()
    out = collections.Counter()
    for pid, (ppid, *_) in table.items():
        if ppid != server_pid:
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        role = "api" if b"gunicorn" in cmd else "workers" if b"workers" in cmd else "scheduler"
        out[role] += tree(pid)
    return dict(out)


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return found if Path(found).exists() else None


def start_profile(server_pid: int, out: Path, seconds: int) -> subprocess.Popen | None:
    """py-spy over gunicorn and its API processes: sampling from outside (target not paused), only the
    thread holding the GIL (``--gil``: where CPU goes, not where threads wait)."""
    exe = py_spy()
    gunicorn = next((pid for pid, (ppid, *_) in _all().items() if ppid == server_pid
                     and b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()), None)
    if exe is None or gunicorn is None:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([exe, "record", "--pid", str(gunicorn), "--subprocesses", "--nonblocking", "--gil",
                             "--rate", "200", "--duration", str(seconds), "--format", "raw", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise(collapsed: Path, top: int = 30) -> str:
    """A text summary of a collapsed-stack profile: share by library, then the costliest functions
    by own time and by time including callees."""
    own, incl, groups, total = collections.Counter(), collections.Counter(), collections.Counter(), 0
    # py-spy may cut a frame name inside a multi-byte character (our Chinese names)
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            incl[frame] += n
        groups[_library(frames[-1])] += n
    if not total:
        return "no samples\n"
    lines = [f"{total} samples of the thread holding the GIL", "", "own time by library:"]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in groups.most_common(15)]
    lines += ["", "own time, costliest functions:"]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in own.most_common(top)]
    lines += ["", "time including callees:"]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in incl.most_common(top)]
    return "\n".join(lines) + "\n"


def _library(frame: str) -> str:
    """``fn (path/to/module.py:12)`` -> the package it belongs to."""
    path = frame[frame.rfind("(") + 1:].rsplit(":", 1)[0]
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0]
    for ours in ("engine/", "api/", "forms/", "workers/"):
        if f"/{ours}" in path or path.startswith(ours):
            return ours.rstrip("/") + " (ours)"
    if "/lib/python" in path:
        return "python stdlib"
    return path.split("/", 1)[0] if "/" in path else path or "?"  # py-spy's short path: package/module.py
