"""The demo's annual report: DOCX and XLSX of the demo unit, written into the demo data dir."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from collector.reports.data import ReportOptions, build_annual
from collector.reports.output import default_name, write_report


def _database(data_dir: Path) -> Path:
    for candidate in (data_dir / "canh.db", data_dir / "collector" / "canh.db"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no canh.db in {data_dir} or {data_dir / 'collector'}")


def write_demo_reports(data_dir: Path, unit_id: str) -> list[Path]:
    """Write ``reports/bao-cao-attt-<year>-<unit>.docx`` and ``.xlsx`` under ``data_dir`` (the
    demo folder, or a collector data dir); returns the files written."""
    from collector.evaluate import Knowledge
    from collector.store import Store

    store = Store(_database(data_dir))  # reads only: the writer is never started
    try:
        report = build_annual(
            store, Knowledge(), unit_id, ReportOptions(year=datetime.now(UTC).year)
        )
        folder = data_dir / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        return [
            write_report(report, fmt, folder / default_name(report, fmt))
            for fmt in ("docx", "xlsx")
        ]
    finally:
        store.close()
