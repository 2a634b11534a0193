"""The annual compliance report: data assembly as of a date (``data``), and writers for DOCX,
XLSX, HTML and PDF (``output``). Heavy libraries are imported by the writers when they run."""

from collector.reports.data import AnnualReport, ReportError, ReportOptions, build_annual, window
from collector.reports.demo import write_demo_reports
from collector.reports.output import FORMATS, report_bytes, write_report

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
