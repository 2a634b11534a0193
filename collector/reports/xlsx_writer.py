"""The annual report's tables as an XLSX workbook (openpyxl, imported inside the function): one
sheet per table, bold frozen headers, wrapped text, and the score trend as a picture."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from collector.reports.charts import trend_png
from collector.reports.data import AnnualReport
from collector.reports.docx_writer import form08_rows, requirement_rows
from collector.reports.texts import day_text, report_texts


def _sheet(
    wb: Any, title: str, header: list[str], rows: list[list[Any]], widths: list[int] | None = None
) -> Any:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.create_sheet(title[:31])
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F3")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append(row)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    for i, width in enumerate(widths or [], 1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
    ws.freeze_panes = "A2"
    return ws


def write_xlsx(r: AnnualReport) -> bytes:
    """The workbook's bytes."""
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font

    tx = report_texts(r.options.lang)
    wb = Workbook()
    for sheet in list(wb.worksheets):
        wb.remove(sheet)
    info = wb.create_sheet(tx["sheet_info"])
    info.append([tx["doc_type"] + " — " + tx["subject"].format(year=r.options.year)])
    info["A1"].font = Font(bold=True, size=13)
    for key, value in (
        ("owner", r.owner),
        ("operator", str(r.unit["name"])),
        ("window", f"{day_text(r.window_start)} – {day_text(r.window_end)}"),
        ("as_of", day_text(r.as_of)),
        ("score", r.score),
        ("level_met", tx["yes"] if r.level_met else tx["no"]),
        ("hosts", r.hosts),
    ):
        info.append([tx[key], value])
    for cls in ("A", "N", "D"):
        info.append([f"{tx['by_evidence']} — {cls}", r.by_evidence.get(cls)])
    for status in ("met", "partly_met", "not_met", "no_evidence"):
        info.append([tx[status], r.counts[status]])
    info.append([tx["totals"].format(**r.totals)])
    info.column_dimensions["A"].width = 48
    info.column_dimensions["B"].width = 40

    _sheet(
        wb,
        tx["sheet_form08"],
        [tx[f"c{i}"] for i in range(1, 13)],
        form08_rows(r, tx),
        [5, 30, 24, 24, 8, 14, 30, 30, 12, 14, 12, 12],
    )
    _sheet(
        wb,
        tx["sheet_reqs"],
        [
            tx[k]
            for k in ("req_id", "req_title", "req_status", "req_evidence", "req_plan", "req_target")
        ],
        requirement_rows(r, tx),
        [20, 40, 16, 40, 60, 12],
    )
    months = sorted({m for k in r.kpis for m, _ in k.monthly})
    kpis = _sheet(
        wb,
        tx["sheet_kpis"],
        [tx["kpi"], tx["kpi_start"], tx["kpi_end"], *months],
        [[k.label, k.start, k.end, *[dict(k.monthly).get(m) for m in months]] for k in r.kpis],
        [36, 10, 10] + [9] * len(months),
    )
    if "score" in r.series:
        picture = Image(io.BytesIO(trend_png(r.series["score"], tx["chart_score"])))
        picture.width, picture.height = 640, 244
        kpis.add_image(picture, f"A{len(r.kpis) + 4}")
    _sheet(
        wb,
        tx["sheet_incidents"],
        [tx[k] for k in ("inc_opened", "inc_unit", "inc_kind", "inc_severity", "inc_status")],
        [
            [
                datetime.fromtimestamp(i["opened_at"], UTC).strftime("%d/%m/%Y %H:%M"),
                i["unit_name"],
                i["kind"],
                tx.get(i["severity"], i["severity"]),
                tx.get(i["status_then"], i["status_then"]),
            ]
            for i in r.incidents
        ],
        [18, 30, 24, 14, 14],
    )
    _sheet(
        wb,
        tx["sheet_failing"],
        [tx["req_id"], tx["req_title"], tx["failing_hosts"], tx["req_plan"]],
        [[f["id"], f["title"], f["hosts"], f["remediation"]] for f in r.top_failing],
        [28, 40, 10, 60],
    )
    _sheet(
        wb,
        tx["sheet_devices"],
        [tx["inc_unit"], tx["dev_ip"], tx["dev_mac"], tx["dev_kind"], tx["dev_seen"]],
        [
            [
                x["unit_name"],
                x["ip"],
                x["mac"],
                x["type_guess"],
                datetime.fromtimestamp(x["last_seen"], UTC).strftime("%d/%m/%Y"),
            ]
            for x in r.devices
        ],
        [30, 16, 20, 18, 14],
    )
    _sheet(
        wb,
        tx["sheet_children"],
        [tx["child"], tx["score"], tx["level_met"], tx["hosts"], tx["c10"]],
        [
            [
                "  " * (c.depth - 1) + c.name,
                c.score,
                tx["yes"] if c.level_met else tx["no"],
                c.hosts,
                tx[c.deployment],
            ]
            for c in r.children
        ],
        [40, 12, 14, 10, 18],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
