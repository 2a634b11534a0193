"""The annual compliance report: data assembly as of a date (``data``), and writers for DOCX,
XLSX, HTML and PDF (``output``). Heavy libraries are imported by the writers when they run, and
the names below load on first use (PEP 562), so ``canh --help`` stays light."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collector.reports.data import (
        AnnualReport,
        ReportError,
        ReportOptions,
        build_annual,
        window,
    )
    from collector.reports.demo import write_demo_reports
    from collector.reports.output import FORMATS, report_bytes, write_report

_WHERE = {
    **dict.fromkeys(
        ("AnnualReport", "ReportError", "ReportOptions", "build_annual", "window"), "data"
    ),
    "write_demo_reports": "demo",
    **dict.fromkeys(("FORMATS", "report_bytes", "write_report"), "output"),
}

__all__ = [
    "FORMATS",
    "AnnualReport",
    "ReportError",
    "ReportOptions",
    "build_annual",
    "report_bytes",
    "window",
    "write_demo_reports",
    "write_report",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'collector.reports' has no attribute {name!r}")
    return getattr(importlib.import_module(f"collector.reports.{module}"), name)
