"""Inline SVG charts: pure functions, text escaped, gaps and empty series handled."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from collector.web.charts import line_chart, score_bar, status_bars


def test_line_chart_escapes_labels_and_breaks_at_gaps() -> None:
    """A hostile label is escaped; a None value splits the line into two polylines."""
    points = [
        ("2026-01-01", 10.0),
        ("2026-01-02", 20.0),
        ("2026-01-03", None),
        ("2026-01-04", 30.0),
        ("2026-01-05", 40.0),
    ]
    svg = line_chart(points, '<script>alert("x")</script>', y_max=100.0)
    root = ET.fromstring(svg)  # well-formed XML
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    polylines = [e for e in root.iter() if e.tag.endswith("polyline")]
    assert len(polylines) == 2
    assert "01/01" in svg and "05/01" in svg and ">40<" in svg


def test_line_chart_of_nothing_is_an_empty_frame() -> None:
    """No points: a frame without lines, still valid SVG."""
    root = ET.fromstring(line_chart([], "Điểm"))
    assert not [e for e in root.iter() if e.tag.endswith("polyline")]


def test_score_bar_and_status_bars() -> None:
    """The bar's fill follows the score; the stacked bar labels each status with its count."""
    assert 'width="80"' in score_bar(50, True, "Điểm 50", width=160)
    svg = status_bars([("Đạt", 3, "#0f0"), ("Không đạt", 1, "#f00")], "Yêu cầu & <b>")
    ET.fromstring(svg)
    assert "Đạt: 3" in svg and "Không đạt: 1" in svg and "&amp; &lt;b&gt;" in svg
