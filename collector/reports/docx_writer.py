"""The annual report as DOCX in the Vietnamese administrative layout (Decree 30/2020/NĐ-CP):
issuing body and number on the left, national heading and motto on the right, place and date,
the title, numbered parts, "Nơi nhận" and the signature block; Times New Roman 13–14 pt on A4.

python-docx is imported inside :func:`write_docx` (it is only needed for reports).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from collector.reports.charts import trend_png
from collector.reports.data import AnnualReport
from collector.reports.texts import abbreviation, day_text, report_texts

FONT = "Times New Roman"


class _Doc:
    """A thin helper over a python-docx Document with the report's paragraph styles."""

    def __init__(self) -> None:
        from docx import Document
        from docx.oxml.ns import qn
        from docx.shared import Cm, Pt

        self.Pt, self.Cm, self.qn = Pt, Cm, qn
        self.doc = Document()
        normal = self.doc.styles["Normal"]
        normal.font.name = FONT
        normal.font.size = Pt(13)
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
        normal.paragraph_format.space_after = Pt(3)
        section = self.doc.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        self.margins(section)

    def margins(self, section: Any) -> None:
        """Decree 30/2020 Annex I: top and bottom 2 cm, left 3 cm, right 1.5 cm."""
        section.top_margin = section.bottom_margin = self.Cm(2.0)
        section.left_margin, section.right_margin = self.Cm(3.0), self.Cm(1.5)

    def para(
        self,
        where: Any,
        text: str,
        *,
        bold: bool = False,
        italic: bool = False,
        underline: bool = False,
        size: float = 13,
        align: str = "left",
    ) -> Any:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        paragraph = where.add_paragraph()
        paragraph.alignment = {
            "left": WD_ALIGN_PARAGRAPH.LEFT,
            "center": WD_ALIGN_PARAGRAPH.CENTER,
            "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
            "right": WD_ALIGN_PARAGRAPH.RIGHT,
        }[align]
        run = paragraph.add_run(text)
        run.bold, run.italic, run.underline = bold, italic, underline
        run.font.size = self.Pt(size)
        run.font.name = FONT
        return paragraph

    def cell_text(self, cell: Any, text: str, bold: bool = False, size: float = 11) -> None:
        paragraph = cell.paragraphs[0]
        run = paragraph.add_run(text)
        run.bold = bold
        run.font.size = self.Pt(size)
        run.font.name = FONT

    def table(
        self,
        header: list[str],
        rows: list[list[str]],
        size: float = 11,
        widths: list[float] | None = None,
    ) -> Any:
        """A grid table; ``widths`` in cm (Word needs them on every cell)."""
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.autofit = widths is None
        sizes = [self.Cm(w) for w in widths] if widths else None
        for column, column_width in zip(table.columns, sizes or [], strict=False):
            column.width = column_width  # the grid, which LibreOffice reads; Word reads the cells

        def fill(cells: Any, values: list[str], bold: bool) -> None:
            for i, (cell, text) in enumerate(zip(cells, values, strict=True)):
                if sizes:
                    cell.width = sizes[i]
                self.cell_text(cell, text, bold=bold, size=size)

        fill(table.rows[0].cells, header, True)
        for values in rows:
            fill(table.add_row().cells, values, False)
        self.doc.add_paragraph()
        return table

    def landscape(self, on: bool) -> None:
        from docx.enum.section import WD_ORIENT, WD_SECTION

        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        section.orientation = WD_ORIENT.LANDSCAPE if on else WD_ORIENT.PORTRAIT
        long, short = self.Cm(29.7), self.Cm(21.0)
        section.page_width, section.page_height = (long, short) if on else (short, long)
        self.margins(section)


def _heading(d: _Doc, r: AnnualReport, tx: dict[str, str]) -> None:
    """Issuing body and number | national heading, motto, place and date (two columns)."""
    unit_name = str(r.unit["name"])
    table = d.doc.add_table(rows=1, cols=2)
    table.autofit = False
    left, right = table.rows[0].cells
    for column, cell, width in zip(table.columns, (left, right), (6.0, 10.5), strict=True):
        column.width = cell.width = d.Cm(width)  # the grid (LibreOffice) and the cell (Word)
    left.paragraphs[0].text = ""
    owner = r.owner if r.owner != unit_name else ""
    if owner:
        d.para(left, owner.upper(), size=12, align="center")
    d.para(left, unit_name.upper(), bold=True, size=12, align="center")
    d.para(left, "———", size=10, align="center")
    number = r.options.number or "……"
    d.para(
        left,
        tx["number"].format(number=number, abbr=abbreviation(unit_name)),
        size=13,
        align="center",
    )
    right.paragraphs[0].text = ""
    d.para(right, tx["nation"], bold=True, size=12, align="center")
    d.para(right, tx["motto"], bold=True, underline=True, size=13, align="center")
    now = datetime.now(UTC)
    d.para(
        right,
        tx["date_line"].format(
            place=r.options.place or "……", d=f"{now.day:02d}", m=f"{now.month:02d}", y=now.year
        ),
        italic=True,
        size=13,
        align="center",
    )


def _signature(d: _Doc, r: AnnualReport, tx: dict[str, str]) -> None:
    table = d.doc.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.paragraphs[0].text = ""
    d.para(left, tx["recipients"], bold=True, italic=True, size=12)
    d.para(left, tx["recipient_1"].format(owner=r.owner), size=11)
    d.para(left, tx["recipient_2"], size=11)
    right.paragraphs[0].text = ""
    d.para(right, tx["signer"], bold=True, size=13, align="center")
    d.para(right, tx["sign_hint"], italic=True, size=12, align="center")


def _general(d: _Doc, r: AnnualReport, tx: dict[str, str]) -> None:
    doc = d.doc
    d.para(doc, tx["s1"], bold=True)
    lines = [
        f"{tx['owner']}: {r.owner}",
        f"{tx['operator']}: {r.unit['name']}",
        f"{tx['window']}: {day_text(r.window_start)} – {day_text(r.window_end)}",
        f"{tx['as_of']}: {day_text(r.as_of)}",
        f"{tx['score']}: {'—' if r.score is None else f'{r.score:.1f}'}",
        f"{tx['level_met']}: {tx['yes'] if r.level_met else tx['no']}",
        f"{tx['hosts']}: {r.hosts}",
        f"{tx['by_evidence']}: "
        + " / ".join(f"{r.by_evidence.get(c, 0):.0f}" for c in ("A", "N", "D")),
        f"{tx['counts']}: {r.counts['met']} / {r.counts['partly_met']} / "
        f"{r.counts['not_met']} / {r.counts['no_evidence']}",
    ]
    for line in lines:
        d.para(doc, "- " + line, align="justify")


def form08_rows(r: AnnualReport, tx: dict[str, str]) -> list[list[str]]:
    """Form 08 columns 1–12, one row per system."""
    return [
        [
            str(i),
            s.name,
            s.owner,
            s.operator,
            str(s.level),
            tx[s.approval_status],
            s.approval_decision,
            s.quyche,
            day_text(s.expected_approval),
            tx[s.deployment],
            day_text(s.expected_full),
            tx["periodic"] if s.checked == "periodic" else tx["not_checked"],
        ]
        for i, s in enumerate(r.systems, 1)
    ]


def requirement_rows(r: AnnualReport, tx: dict[str, str]) -> list[list[str]]:
    """Requirement, title, status, evidence, remediation, target date."""
    return [
        [q.id, q.title, tx.get(q.status, q.status), q.evidence, q.remediation, day_text(q.target)]
        for q in r.requirements
    ]


def kpi_rows(r: AnnualReport) -> list[list[str]]:
    """Indicator, start, end."""

    def num(v: float | None) -> str:
        return "—" if v is None else (f"{v:.0f}" if v == int(v) else f"{v:.2f}")

    return [[k.label, num(k.start), num(k.end)] for k in r.kpis]


def _indicators_and_events(d: _Doc, r: AnnualReport, tx: dict[str, str]) -> None:
    """Parts IV–IX: KPIs and the chart, incidents, failing checks, devices, children, plan."""
    doc = d.doc
    d.para(doc, tx["s4"], bold=True)
    d.table([tx["kpi"], tx["kpi_start"], tx["kpi_end"]], kpi_rows(r))
    if "score" in r.series:
        doc.add_picture(io.BytesIO(trend_png(r.series["score"], tx["chart_score"])), width=d.Cm(16))
    d.para(doc, tx["s5"], bold=True)
    if r.incidents:
        d.table(
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
        )
    else:
        d.para(doc, tx["no_incidents"])
    d.para(doc, tx["s6"], bold=True)
    if r.top_failing:
        if r.top_failing_by == "requirements":
            d.para(doc, tx["failing_by_req"], italic=True, size=12)
        d.table(
            [tx["req_id"], tx["req_title"], tx["failing_hosts"], tx["req_plan"]],
            [[f["id"], f["title"], str(f["hosts"]), f["remediation"]] for f in r.top_failing],
        )
    else:
        d.para(doc, tx["no_failing"])
    d.para(doc, tx["s7"], bold=True)
    if r.devices:
        d.table(
            [tx["inc_unit"], tx["dev_ip"], tx["dev_mac"], tx["dev_kind"], tx["dev_seen"]],
            [
                [
                    x["unit_name"],
                    x["ip"],
                    x["mac"] or "",
                    x["type_guess"] or "",
                    datetime.fromtimestamp(x["last_seen"], UTC).strftime("%d/%m/%Y"),
                ]
                for x in r.devices
            ],
        )
    else:
        d.para(doc, tx["no_devices"])
    if r.children:
        d.para(doc, tx["s8"], bold=True)
        d.table(
            [tx["child"], tx["score"], tx["level_met"], tx["hosts"], tx["c10"]],
            [
                [
                    "  " * (c.depth - 1) + c.name,
                    "—" if c.score is None else f"{c.score:.1f}",
                    tx["yes"] if c.level_met else tx["no"],
                    str(c.hosts),
                    tx[c.deployment],
                ]
                for c in r.children
            ],
        )
    d.para(doc, tx["s9"], bold=True)
    gaps = [q for q in r.requirements if q.target is not None]
    if gaps:
        d.para(
            doc,
            tx["plan_intro"].format(days=r.options.remediation_days, deadline=day_text(r.deadline)),
            align="justify",
        )
        for q in gaps:
            d.para(doc, f"- {q.id} {q.title}: {day_text(q.target)}", size=12)
    else:
        d.para(doc, tx["no_plan"])


def write_docx(r: AnnualReport) -> bytes:
    """The report as a DOCX file's bytes."""
    tx = report_texts(r.options.lang)
    d = _Doc()
    doc = d.doc
    _heading(d, r, tx)
    d.para(doc, "")
    d.para(doc, tx["doc_type"], bold=True, size=14, align="center")
    d.para(doc, tx["subject"].format(year=r.options.year), bold=True, size=14, align="center")
    d.para(doc, "")
    d.para(
        doc,
        tx["basis"].format(
            unit=r.unit["name"],
            start=day_text(r.window_start),
            end=day_text(r.window_end),
            as_of=day_text(r.as_of),
        ),
        align="justify",
    )
    _general(d, r, tx)
    d.landscape(True)
    d.para(doc, tx["s2"], bold=True)
    d.para(doc, tx["totals"].format(**r.totals), align="justify")
    d.table(
        [tx[f"c{i}"] for i in range(1, 13)],
        form08_rows(r, tx),
        size=10,
        widths=[1.0, 3.0, 2.6, 2.6, 1.4, 1.9, 2.9, 2.9, 1.9, 1.9, 1.9, 2.0],
    )
    d.para(doc, tx["s3"], bold=True)
    d.table(
        [
            tx[k]
            for k in ("req_id", "req_title", "req_status", "req_evidence", "req_plan", "req_target")
        ],
        requirement_rows(r, tx),
        size=10,
        widths=[3.3, 4.4, 2.4, 5.2, 7.6, 2.3],
    )
    d.landscape(False)
    _indicators_and_events(d, r, tx)
    d.para(doc, "")
    _signature(d, r, tx)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
