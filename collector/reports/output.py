"""From a report to a file: DOCX, XLSX, HTML, or PDF (the DOCX converted by LibreOffice)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from canh.atomicfile import write_atomic
from collector.reports.data import AnnualReport, ReportError

FORMATS = ("docx", "xlsx", "html", "pdf")
PDF_TIMEOUT_SECONDS = 180


def libreoffice() -> str | None:
    """The LibreOffice program, if installed (Debian: libreoffice-writer-nogui)."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx: bytes) -> bytes:
    """Convert with ``soffice --headless --convert-to pdf`` in a private profile and folder."""
    program = libreoffice()
    if program is None:
        raise ReportError(
            "PDF needs LibreOffice (apt install libreoffice-writer-nogui); "
            "or write --format html and print it to PDF"
        )
    with tempfile.TemporaryDirectory(prefix="canh-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / "report.docx"
        source.write_bytes(docx)
        # A profile of its own: a second LibreOffice (or a user's open one) cannot block it.
        profile = (folder / "profile").as_uri()
        try:
            subprocess.run(  # noqa: S603 - fixed program and arguments
                [
                    program,
                    f"-env:UserInstallation={profile}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(folder),
                    str(source),
                ],
                check=True,
                capture_output=True,
                timeout=PDF_TIMEOUT_SECONDS,
                env={**os.environ, "HOME": str(folder)},
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as err:
            raise ReportError(f"LibreOffice could not convert the report: {err}") from err
        pdf = folder / "report.pdf"
        if not pdf.exists():
            raise ReportError("LibreOffice wrote no PDF")
        return pdf.read_bytes()


def report_bytes(report: AnnualReport, fmt: str) -> bytes:
    """The report in one of :data:`FORMATS`."""
    if fmt == "docx":
        from collector.reports.docx_writer import write_docx

        return write_docx(report)
    if fmt == "xlsx":
        from collector.reports.xlsx_writer import write_xlsx

        return write_xlsx(report)
    if fmt == "html":
        from collector.reports.html_writer import write_html

        return write_html(report)
    if fmt == "pdf":
        from collector.reports.docx_writer import write_docx

        return docx_to_pdf(write_docx(report))
    raise ReportError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def write_report(report: AnnualReport, fmt: str, path: Path) -> Path:
    """Write the report atomically; returns the path."""
    write_atomic(path, report_bytes(report, fmt), 0o644)
    return path


def default_name(report: AnnualReport, fmt: str) -> str:
    """bao-cao-attt-<year>-<unit>.<fmt>."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in str(report.unit["id"]))
    return f"bao-cao-attt-{report.options.year}-{safe}.{fmt}"
