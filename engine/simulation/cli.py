"""``python -m engine simulate``: run a simulation, print the forecast table, write CSV and PNG."""
import csv
import sys
import time
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

from engine.simulation.replay import Simulation, SimulationConfig, totals


def add_arguments(parser) -> None:
    parser.add_argument("--region", default="gx-qinzhou-qinbei")
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--capacity", default="", help="department=tasks per working day, e.g. health=50,police=40")
    parser.add_argument("--default-capacity", type=int, default=10_000)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", default="2025-09-29", help="first virtual day (YYYY-MM-DD)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--out", default="simulation-out")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def parse_capacity(text: str) -> dict[str, int]:
    capacity = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        if not value.strip().isdigit():
            raise SystemExit(f"--capacity：无效的部门产能 {part!r}（应为 部门=数量）")
        capacity[name.strip()] = int(value)
    return capacity


def progress_bar(done: int, total: int) -> None:
    filled = int(30 * done / total)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} 天")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run(args) -> int:
    config = SimulationConfig(region=args.region, cases=args.cases, days=args.days,
                              capacity=parse_capacity(args.capacity), default_capacity=args.default_capacity,
                              failure_rate=args.failure_rate, seed=args.seed,
                              start=datetime.combine(date.fromisoformat(args.start), datetime.min.time()),
                              database_url=args.database_url)
    began = time.perf_counter()
    result = Simulation(config, progress=None if args.quiet else progress_bar).run()
    elapsed = time.perf_counter() - began
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print_table(result.rows)
    write_csv(result.rows, out / "forecast.csv")
    write_chart(result.rows, out / "forecast.png")
    print(f"\n{result.started} 件办件，{config.days} 个虚拟日，用时 {elapsed:.1f} 秒"
          f"（{result.steps} 步，每秒 {result.steps / max(elapsed, 1e-9):.0f} 步）；"
          f"督办/预警合计：{dict(sorted(totals(result.rows).items()))}")
    print(f"数据库：{result.database_url}\n表格：{out / 'forecast.csv'}\n图表：{out / 'forecast.png'}")
    return 0


def print_table(rows) -> None:
    print(f"{'日期':<12}{'部门':<20}{'在办':>6}{'超期':>6}{'新增督办':>8}")
    for row in rows:
        print(f"{row.day:<12}{row.department:<20}{row.open:>8}{row.overdue:>8}{row.escalated:>10}")


def write_csv(rows, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["day", "department", "open", "overdue", "escalated"])
        writer.writerows([r.day, r.department, r.open, r.overdue, r.escalated] for r in rows)


def write_chart(rows, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot
    series = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        for measure in ("open", "overdue", "escalated"):
            series[measure][row.department][row.day] = getattr(row, measure)
    days = sorted({row.day for row in rows})
    figure, axes = pyplot.subplots(3, 1, figsize=(11, 10), sharex=True)
    for axis, measure in zip(axes, ("open", "overdue", "escalated")):
        for department, values in sorted(series[measure].items()):
            axis.plot(range(len(days)), [values.get(d, 0) for d in days], label=department)
        axis.set_ylabel(measure)
        axis.grid(alpha=0.3)
    axes[0].legend(loc="upper left", fontsize="small", ncol=3)
    axes[-1].set_xticks(range(0, len(days), max(1, len(days) // 10)))
    axes[-1].set_xticklabels(days[::max(1, len(days) // 10)], rotation=30, fontsize="small")
    figure.suptitle("Forecast per department: open, overdue, escalations fired")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    pyplot.close(figure)
