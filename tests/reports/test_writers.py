"""The written files opened with their own libraries: DOCX layout and content, XLSX tables, HTML,
PDF through LibreOffice, the CLI and the demo's reports."""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from collector.reports import ReportOptions, build_annual, report_bytes, write_demo_reports
from collector.reports.cli import add_report_parser, report_command
from collector.reports.data import AnnualReport
from tests.reports.conftest import Data

TODAY = datetime.now(UTC).date()
YEAR = TODAY.year + 1 if (TODAY.month, TODAY.day) > (12, 14) else TODAY.year


@pytest.fixture(scope="module")
def report(data: Data) -> AnnualReport:
    return build_annual(
        data.store, data.knowledge, "bvdk", ReportOptions(year=YEAR, place="Đà Lạt", number="15")
    )


def _docx_text(body: bytes) -> tuple[str, list[list[str]], object]:
    doc = Document(io.BytesIO(body))
    paragraphs = [p.text for p in doc.paragraphs]
    cells: list[list[str]] = []
    for table in doc.tables:
        for row in table.rows:
            cells.append([c.text for c in row.cells])
            for cell in row.cells:
                paragraphs.extend(p.text for p in cell.paragraphs)
    return "\n".join(paragraphs), cells, doc


def test_docx_has_the_administrative_layout(report: AnnualReport) -> None:
    """National heading, motto, number, place and date, title, signature; Times New Roman 13."""
    text, _cells, doc = _docx_text(report_bytes(report, "docx"))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "Số: 15/BC-BVDKT" in text
    assert f"Đà Lạt, ngày {TODAY.day:02d} tháng {TODAY.month:02d} năm {TODAY.year}" in text
    assert "BÁO CÁO" in text and f"Công tác bảo đảm an toàn hệ thống thông tin năm {YEAR}" in text
    assert "BỆNH VIỆN ĐA KHOA TỈNH" in text and "SỞ Y TẾ TỈNH LÂM ĐỒNG" in text
    assert "THỦ TRƯỞNG ĐƠN VỊ" in text and "Nơi nhận:" in text
    normal = doc.styles["Normal"].font  # type: ignore[attr-defined]
    assert normal.name == "Times New Roman" and normal.size.pt == 13
    assert doc.inline_shapes  # type: ignore[attr-defined]  # the trend chart picture


def test_docx_tables_hold_form08_requirements_and_kpis(report: AnnualReport) -> None:
    """Form 08 rows per system, each requirement with its status, the KPI table."""
    _text, cells, _doc = _docx_text(report_bytes(report, "docx"))
    form08 = [
        row
        for row in cells
        if row[1] in ("Bệnh viện Đa khoa tỉnh", "Trạm Y tế xã Đạ Nhim") and len(row) == 12
    ]
    assert len(form08) == 2 and form08[0][4] == "2" and form08[0][5] == "Dự thảo"
    assert form08[0][9] in ("Một số nội dung", "Đầy đủ", "Chưa triển khai")
    statuses = {row[0]: row[2] for row in cells if row[0].startswith("L2-") and len(row) == 6}
    assert len(statuses) == 79
    words = {
        "met": "Đạt",
        "partly_met": "Đạt một phần",
        "not_met": "Không đạt",
        "no_evidence": "Chưa có bằng chứng",
    }
    assert all(statuses[q.id] == words[q.status] for q in report.requirements)
    kpi_rows = {row[0] for row in cells if len(row) == 3}
    assert {"Điểm tuân thủ", "Tỷ lệ máy có phòng chống mã độc"} <= kpi_rows


def test_english_docx(data: Data) -> None:
    """--lang en writes the same document in English."""
    r = build_annual(data.store, data.knowledge, "bvdk", ReportOptions(year=YEAR, lang="en"))
    text, _cells, _doc = _docx_text(report_bytes(r, "docx"))
    assert "SOCIALIST REPUBLIC OF VIETNAM" in text and "HEAD OF UNIT" in text


def test_xlsx_has_every_table(report: AnnualReport) -> None:
    """One sheet per table, the requirement statuses, KPI months and the chart picture."""
    wb = load_workbook(io.BytesIO(report_bytes(report, "xlsx")))
    assert wb.sheetnames == [
        "Thông tin chung",
        "Mẫu 08",
        "Yêu cầu cấp độ 2",
        "Chỉ số",
        "Sự cố",
        "Kiểm tra không đạt",
        "Thiết bị chưa quản lý",
        "Đơn vị trực thuộc",
    ]
    form = wb["Mẫu 08"]
    assert form["B1"].value == "Tên hệ thống" and form["B2"].value == "Bệnh viện Đa khoa tỉnh"
    reqs = wb["Yêu cầu cấp độ 2"]
    rows = {r[0]: r[2] for r in reqs.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 79 and rows["L2-EPT-AV-1"] in (
        "Đạt một phần",
        "Không đạt",
        "Đạt",
        "Chưa có bằng chứng",
    )
    kpis = wb["Chỉ số"]
    header = [c.value for c in kpis[1]]
    assert header[:3] == ["Chỉ số", "Đầu kỳ", "Cuối kỳ"] and len(header) > 6
    assert kpis._images  # the trend picture
    incidents = [r for r in wb["Sự cố"].iter_rows(min_row=2, values_only=True)]
    assert incidents and incidents[0][2] == "antivirus_off"
    devices = [r[1] for r in wb["Thiết bị chưa quản lý"].iter_rows(min_row=2, values_only=True)]
    assert sorted(devices) == ["10.1.2.50", "10.1.3.77"]


def test_html_is_printable_and_escaped(data: Data) -> None:
    """The HTML report carries its own print style and escapes unit names."""
    data.store.update_unit("tram1", {"name": "Trạm <b>xã</b> & co"}, "test")
    try:
        r = build_annual(data.store, data.knowledge, "bvdk", ReportOptions(year=YEAR))
        html = report_bytes(r, "html").decode()
    finally:
        data.store.update_unit("tram1", {"name": "Trạm Y tế xã Đạ Nhim"}, "test")
    assert "@page { size: A4" in html and "<svg" in html
    assert "Trạm &lt;b&gt;xã&lt;/b&gt; &amp; co" in html and "<b>xã</b>" not in html


@pytest.mark.real
@pytest.mark.slow
def test_docx_renders_to_pdf_with_libreoffice(report: AnnualReport, tmp_path: Path) -> None:
    """LibreOffice headless turns the DOCX into a PDF with the heading and signature text."""
    assert shutil.which("soffice"), "LibreOffice missing: apt install libreoffice-writer-nogui"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report_bytes(report, "pdf"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(
        next(line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages:"))
    )
    assert 5 <= pages <= 60
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "THỦ TRƯỞNG ĐƠN VỊ" in text and "L2-LEG-QUYCHE-1" in text
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    assert (tmp_path / "page-01.png").exists()


def test_cli_writes_the_report_and_reports_progress(
    data: Data, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``canh report annual`` writes the file and prints its steps on stderr."""
    parser = argparse.ArgumentParser(prog="canh")
    add_report_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "r.xlsx"
    args = parser.parse_args(
        [
            "report",
            "annual",
            "--year",
            str(YEAR),
            "--unit",
            "syt",
            "--format",
            "xlsx",
            "--data-dir",
            str(data.path),
            "--out",
            str(out),
        ]
    )
    assert args.handler(args) == 0
    assert load_workbook(out)["Mẫu 08"].max_row == 5
    err = capsys.readouterr().err
    assert "[1/3]" in err and "[3/3] wrote" in err
    bad = parser.parse_args(
        [
            "report",
            "annual",
            "--unit",
            "nope",
            "--data-dir",
            str(data.path),
            "--out",
            str(tmp_path / "x.docx"),
        ]
    )
    assert report_command(bad) == 1
    assert "no unit 'nope'" in capsys.readouterr().err


def test_demo_reports_are_written_into_the_data_dir(data: Data) -> None:
    """write_demo_reports leaves a DOCX and an XLSX under DATA_DIR/reports."""
    paths = write_demo_reports(data.path, "bvdk")
    assert [p.suffix for p in paths] == [".docx", ".xlsx"]
    assert all(p.parent == data.path / "reports" and p.stat().st_size > 10_000 for p in paths)
