"""``python -m engine``: calendar YEAR | calendar check FILE | calendar load FILE | scheduler | simulate."""
import argparse
import logging
import os
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine")
    commands = parser.add_subparsers(dest="command", required=True)
    calendar = commands.add_parser("calendar", help="print a year's working days, or check a data file")
    calendar.add_argument("args", nargs="+", metavar="YEAR | check FILE | load FILE")
    calendar.add_argument("--database-url", help="load: the database whose open deadlines are recomputed")
    calendar.add_argument("--dir", help="load: operator directory to save <year>.json in "
                                        "(default WORKDAY_CALENDAR_DIR, else engine/deadlines/data/calendar)")
    scheduler = commands.add_parser("scheduler", help="run the escalation scheduler until stopped")
    scheduler.add_argument("--database-url", required=True)
    scheduler.add_argument("--reconcile-seconds", type=float, default=60)
    scheduler.add_argument("--clock-offset-seconds", type=float, default=0,
                           help="run as if the time were now + offset (tests, rehearsals)")
    scheduler.add_argument("--sms-notifier", default=os.environ.get("SMS_NOTIFIER", "logging"),
                           help="where the SMS outbox goes: logging | http (default SMS_NOTIFIER, else logging)")
    # the gateway's token only from SMS_GATEWAY_TOKEN: a command line is visible to every user (ps)
    scheduler.add_argument("--sms-gateway-url", default=os.environ.get("SMS_GATEWAY_URL"),
                           help="http: the gateway's URL (default SMS_GATEWAY_URL)")
    from engine.simulation.cli import add_arguments
    add_arguments(commands.add_parser("simulate", help="replay N cases of a region on a virtual clock"))
    args = parser.parse_args(argv)
    if args.command == "calendar" and args.args[0] == "load":
        return calendar_load_command(args)
    if args.command == "calendar":
        return calendar_command(args.args)
    if args.command == "scheduler":
        return scheduler_command(args)
    from engine.simulation.cli import run
    return run(args)


def calendar_command(args: list[str]) -> int:
    from engine.deadlines.calendar import CalendarDataError, WorkingCalendar, parse_year_file
    if args[0] == "check":
        if len(args) != 2:
            print("用法：python -m engine calendar check FILE", file=sys.stderr)
            return 2
        try:
            data = parse_year_file(Path(args[1]))
        except CalendarDataError as exc:
            print(f"无效：{exc}", file=sys.stderr)
            return 1
        print(f"有效：{data.year} 年，节假日 {len(data.holidays)} 天，调休工作日 {len(data.workdays)} 天")
        return 0
    if not args[0].isdigit():
        print("用法：python -m engine calendar YEAR", file=sys.stderr)
        return 2
    year = WorkingCalendar.from_env().year(int(args[0]))
    print(f"{year['year']} 年  来源：{year['source']}  工作日：{year['working_day_count']} 天"
          + ("  【警告：无节假日数据，按周一至周五推算】" if year["fallback"] else ""))
    print("节假日（工作日放假）：" + (", ".join(year["holidays"]) or "—"))
    print("调休上班（周末）：" + (", ".join(year["adjusted_working_days"]) or "—"))
    return 0


def calendar_load_command(args) -> int:
    """Load a year's holiday file: save it, recompute every open fallback deadline in the database.
    Running schedulers take the file at their next reconcile; restart API processes to use it."""
    import json
    from engine.deadlines.calendar import CalendarDataError, WorkingCalendar
    from engine.deadlines.recompute import load_year
    from engine.store.db import make_session_factory
    if len(args.args) != 2 or not args.database_url:
        print("用法：python -m engine calendar load FILE --database-url URL [--dir DIR]", file=sys.stderr)
        return 2
    try:
        raw = json.loads(Path(args.args[1]).read_text("utf-8"))
        with make_session_factory(args.database_url)() as session:
            data, done, path = load_year(session, WorkingCalendar.from_env(), raw, args.dir)
    except (OSError, ValueError) as exc:  # CalendarDataError is a ValueError
        print(f"无效：{exc}" if isinstance(exc, CalendarDataError) else f"无法读取：{exc}", file=sys.stderr)
        return 1
    print(f"已载入 {data.year} 年（{path}）：重算办件期限 {len(done.cases)} 个、任务期限 {len(done.tasks)} 个；"
          f"仍按周末估算 {done.still_fallback} 个")
    return 0


def scheduler_command(args) -> int:
    """Escalations (active by advisory lock, else standby) and the SMS outbox's sender."""
    from engine.deadlines.calendar import default_calendar
    from engine.deadlines.scheduler import EscalationScheduler, OffsetClock
    from engine.notify.notifications import OutboxDispatcher, get_notifier
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        notifier = get_notifier(args.sms_notifier, args.sms_gateway_url, os.environ.get("SMS_GATEWAY_TOKEN"))
    except ValueError as exc:
        print(f"短信配置无效：{exc}", file=sys.stderr)
        return 2
    clock = OffsetClock(timedelta(seconds=args.clock_offset_seconds))
    scheduler = EscalationScheduler(args.database_url, default_calendar(), clock,
                                    reconcile_seconds=args.reconcile_seconds)
    # In `make serve` nothing else sends the outbox (the API processes run no background threads).
    # Every scheduler sends, the standby too: a row is claimed by a conditional UPDATE before it goes
    # out, so two senders send it once, and SMS never wait for a takeover of the escalation lock.
    outbox = OutboxDispatcher(scheduler.session_factory, notifier, clock)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    outbox.start()
    scheduler.start()
    print("scheduler " + ("active" if scheduler.active.is_set() else "standby"), flush=True)
    announced = scheduler.active.is_set()
    while not stopped.wait(0.2):
        if not announced and scheduler.active.is_set():
            print("scheduler active", flush=True)
            announced = True
    scheduler.stop()
    outbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
