"""The annual report as one printable HTML file (autoescaped Jinja2; charts as inline SVG; a
print stylesheet with A4 pages). It stands alone: it is downloaded and opened or printed, not
served as a page, so its style sheet travels inside it. The template is
``collector/web/templates/annual_report.html``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from collector.reports.data import AnnualReport
from collector.reports.docx_writer import form08_rows, kpi_rows, requirement_rows
from collector.reports.texts import abbreviation, day_text, report_texts
from collector.web.charts import line_chart

TEMPLATES = Path(__file__).parent.parent / "web" / "templates"


def write_html(r: AnnualReport) -> bytes:
    """The report as printable HTML (UTF-8 bytes)."""
    tx = report_texts(r.options.lang)
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    now = datetime.now(UTC)
    name = str(r.unit["name"])
    chart = ""
    if "score" in r.series:
        chart = line_chart(r.series["score"], tx["chart_score"], width=640, height=200, y_max=100.0)
    html = env.get_template("annual_report.html").render(
        r=r,
        tx=tx,
        lang=r.options.lang,
        unit=r.unit,
        owner=r.owner,
        year=r.options.year,
        number=tx["number"].format(number=r.options.number or "……", abbr=abbreviation(name)),
        date_line=tx["date_line"].format(
            place=r.options.place or "……", d=f"{now.day:02d}", m=f"{now.month:02d}", y=now.year
        ),
        basis=tx["basis"].format(
            unit=name,
            start=day_text(r.window_start),
            end=day_text(r.window_end),
            as_of=day_text(r.as_of),
        ),
        start=day_text(r.window_start),
        end=day_text(r.window_end),
        as_of=day_text(r.as_of),
        score="—" if r.score is None else f"{r.score:.1f}",
        level_met=tx["yes"] if r.level_met else tx["no"],
        form_head=[tx[f"c{i}"] for i in range(1, 13)],
        form_rows=form08_rows(r, tx),
        req_head=[
            tx[k]
            for k in ("req_id", "req_title", "req_status", "req_evidence", "req_plan", "req_target")
        ],
        req_rows=requirement_rows(r, tx),
        kpi_rows=kpi_rows(r),
        chart=Markup(chart),  # noqa: S704 - charts escape every text they draw
        incidents=[
            {
                "opened": datetime.fromtimestamp(i["opened_at"], UTC).strftime("%d/%m/%Y %H:%M"),
                "unit_name": i["unit_name"],
                "kind": i["kind"],
                "severity": tx.get(i["severity"], i["severity"]),
                "status": tx.get(i["status_then"], i["status_then"]),
            }
            for i in r.incidents
        ],
        gaps=[q for q in r.requirements if q.target is not None],
        plan_intro=tx["plan_intro"].format(
            days=r.options.remediation_days, deadline=day_text(r.deadline)
        ),
    )
    return html.encode("utf-8")
