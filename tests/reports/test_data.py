"""Report content from the store: window, Form 08 fields, requirements, KPIs, reproducibility."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

from collector.reports import ReportOptions, build_annual, window
from collector.reports.data import deployment_of
from tests.reports.conftest import Data

TODAY = datetime.now(UTC).date()
YEAR = TODAY.year + 1 if date(TODAY.year, 12, 14) < TODAY else TODAY.year  # the open window


def test_window_defaults_to_the_national_cutoff_and_follows_an_earlier_deadline() -> None:
    """15/12–14/12 by default; a unit closing on 05/12 reports through 05/12."""
    assert window(2026) == (date(2025, 12, 15), date(2026, 12, 14))
    assert window(2026, "12-20") == (date(2025, 12, 15), date(2026, 12, 14))
    assert window(2026, "12-05") == (date(2025, 12, 6), date(2026, 12, 5))
    assert window(2026, "03-01") == (date(2025, 12, 15), date(2026, 12, 14))


def test_form08_column_10_follows_the_score() -> None:
    """Full when the level is met, some items above zero, none otherwise."""
    assert deployment_of(80.0, True) == "full"
    assert deployment_of(35.0, False) == "some"
    assert deployment_of(0.0, False) == "none"
    assert deployment_of(None, False) == "none"


def test_department_report_rolls_up_children(data: Data) -> None:
    """A parent's report lists every unit's system, the children, incidents and devices."""
    r = build_annual(data.store, data.knowledge, "syt", ReportOptions(year=YEAR))
    assert r.owner == "Sở Y tế tỉnh Lâm Đồng"
    assert r.systems[0].name == "Sở Y tế tỉnh Lâm Đồng"
    assert len(r.systems) == 4 and r.totals["systems"] == 4
    assert {c.name for c in r.children} == {
        "Bệnh viện Đa khoa tỉnh",
        "Trạm Y tế xã Đạ Nhim",
        "Bệnh viện Y học cổ truyền",
    }
    assert len(r.requirements) == 79
    stored = {
        q["id"]: q["status"]
        for q in __import__("json").loads(data.store.unit_score("syt")["requirements"])
    }
    assert all(q.status == stored[q.id] for q in r.requirements)
    gaps = [q for q in r.requirements if q.status != "met"]
    assert gaps and all(q.target == r.deadline + timedelta(days=90) for q in gaps)
    assert all(q.remediation for q in gaps)
    kpis = {k.key: k for k in r.kpis}
    assert {"score", "A", "N", "D", "hosts", "av_coverage", "patch_compliance"} <= set(kpis)
    assert kpis["av_coverage"].start is not None and kpis["av_coverage"].monthly
    assert [i["kind"] for i in r.incidents] == ["risky_port", "antivirus_off"]
    assert {d["ip"] for d in r.devices} == {"10.1.2.50", "10.1.3.77"}
    assert r.top_failing_by == "checks"
    assert r.top_failing[0]["id"] in ("av.installed", "ports.risky_exposed")


def test_past_date_report_uses_the_history_of_that_day(data: Data) -> None:
    """As of a past day: that day's score row, incidents and devices known then, no later data."""
    as_of = TODAY - timedelta(days=30)
    year = as_of.year if as_of <= date(as_of.year, 12, 14) else as_of.year + 1
    r = build_annual(data.store, data.knowledge, "bvdk", ReportOptions(year=year, as_of=as_of))
    row = data.store.unit_score("bvdk", as_of.isoformat())
    assert r.score == row["score"] and r.day == as_of.isoformat()
    assert r.incidents == []  # both incidents were opened later... or resolved before
    assert r.top_failing_by == "requirements"
    assert r.top_failing[0]["id"] == "L2-EPT-AV-1"
    assert r.kpis[0].monthly[-1][0] == as_of.isoformat()[:7]
    again = build_annual(data.store, data.knowledge, "bvdk", ReportOptions(year=year, as_of=as_of))
    assert (again.score, again.counts, [k.end for k in again.kpis]) == (
        r.score,
        r.counts,
        [k.end for k in r.kpis],
    )


def test_dossier_and_quyche_declarations_fill_form08(data: Data) -> None:
    """Declarations of L2-LEG-DOSSIER-1 and L2-LEG-QUYCHE-1 fill columns 6–8 and 12."""
    sha = "a" * 64

    def job(conn: sqlite3.Connection) -> None:
        for i, (rid, number, issued) in enumerate(
            (
                ("L2-LEG-QUYCHE-1", "45/QC-BV2", "2026-02-01"),
                ("L2-LEG-DOSSIER-1", "78/QĐ-SYT", "2026-03-10"),
                ("L2-LEG-ASSESS-1", "12/BB-KT", "2026-06-01"),
            )
        ):
            conn.execute(
                "INSERT INTO declarations (id, unit_id, requirement_id, doc_number, doc_date, "
                "approver, file_sha256, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    f"d_test{i}",
                    "bv2",
                    rid,
                    number,
                    issued,
                    "Giám đốc Sở",
                    sha,
                    "t",
                    datetime.fromisoformat(issued).replace(tzinfo=UTC).timestamp(),
                ),
            )

    data.store.writer.call(job)
    r = build_annual(
        data.store, data.knowledge, "bv2", ReportOptions(year=2026, as_of=date(2026, 7, 1))
    )
    system = r.systems[0]
    assert system.approval_status == "approved"
    assert system.approval_decision == "78/QĐ-SYT, 10/03/2026, Giám đốc Sở"
    assert system.quyche.startswith("45/QC-BV2, 01/02/2026")
    assert system.checked == "periodic" and system.expected_approval is None
    before = build_annual(
        data.store, data.knowledge, "bv2", ReportOptions(year=2026, as_of=date(2026, 3, 1))
    )
    assert before.systems[0].approval_status == "draft"
