"""``canh report annual``: the annual compliance report of a unit, from the collector's data.

The lead wires :func:`add_report_parser` into ``canh/cli.py``; :func:`report_command` returns the
exit code and prints progress on stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

EXAMPLES = """examples:
  canh report annual --year 2026 --unit bvdk --format docx --data-dir /var/lib/canh
  canh report annual --year 2026 --unit syt --format xlsx --lang en --out /tmp/syt-2026.xlsx
  canh report annual --year 2025 --unit bvdk --format pdf --as-of 2025-12-14"""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError("expected a date YYYY-MM-DD") from err


def add_report_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``report annual`` to the ``canh`` command."""
    report = subparsers.add_parser(
        "report",
        help="write compliance reports",
        description="Write compliance reports from the collector's data.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = report.add_subparsers(dest="report_kind", required=True)
    annual = sub.add_parser(
        "annual",
        help="the annual report (Decree 331/2026 Form 08, level-2 requirements, KPIs)",
        description="The annual information-security report of a unit and its child units.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    annual.add_argument(
        "--year",
        type=int,
        default=datetime.now(UTC).year,
        help="reporting year (default: this year)",
    )
    annual.add_argument("--unit", required=True, help="unit id (see 'canh unit list')")
    annual.add_argument(
        "--format",
        dest="fmt",
        choices=("docx", "xlsx", "html", "pdf"),
        default="docx",
        help="file format (default: docx)",
    )
    annual.add_argument("--lang", choices=("vi", "en"), default="vi", help="language (default: vi)")
    annual.add_argument(
        "--as-of",
        type=_day,
        default=None,
        help="report the data as it was on this day (default: window end)",
    )
    annual.add_argument(
        "--data-dir",
        type=Path,
        default=Path("/var/lib/canh"),
        help="the collector's data directory (default: /var/lib/canh)",
    )
    annual.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output file (default: bao-cao-attt-<year>-<unit>.<format>)",
    )
    annual.add_argument("--place", default="", help="place in the date line, e.g. 'Đà Lạt'")
    annual.add_argument("--number", default="", help="document number, e.g. '15'")
    annual.set_defaults(handler=report_command)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def report_command(args: argparse.Namespace) -> int:
    """Build and write the report; 0 on success, 1 with a message on stderr otherwise."""
    from collector.evaluate import Knowledge
    from collector.reports.data import ReportError, ReportOptions, build_annual
    from collector.reports.output import default_name, write_report
    from collector.settings import ConfigError, load_settings
    from collector.store import Store

    started = time.monotonic()
    try:
        settings = load_settings(args.data_dir)
    except ConfigError as err:
        _say(f"error: {err}")
        return 1
    _say(f"[1/3] reading {settings.db_path}")
    store = Store(settings.db_path)
    try:
        options = ReportOptions(
            year=args.year,
            lang=args.lang,
            as_of=args.as_of,
            place=args.place,
            number=args.number,
        )
        try:
            report = build_annual(store, Knowledge(), args.unit, options)
        except ReportError as err:
            _say(f"error: {err}")
            return 1
        _say(
            f"[2/3] {report.unit['name']}: {len(report.requirements)} requirements, "
            f"{len(report.systems)} systems, {len(report.incidents)} incidents, window "
            f"{report.window_start:%d/%m/%Y}–{report.window_end:%d/%m/%Y}, as of "
            f"{report.as_of:%d/%m/%Y}"
        )
        out = args.out or Path(default_name(report, args.fmt))
        try:
            write_report(report, args.fmt, out)
        except ReportError as err:
            _say(f"error: {err}")
            return 1
        except OSError as err:
            _say(f"error: cannot write {out}: {err.strerror}")
            return 1
    finally:
        store.close()
    _say(f"[3/3] wrote {out} in {time.monotonic() - started:.1f} s")
    return 0
