"""Trend charts as PNG pictures for the DOCX, XLSX and HTML reports (matplotlib, Agg backend).

matplotlib is imported inside the function: it is heavy and only the report needs it.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from collector.reports.history import Series


def trend_png(
    points: Series, title: str, percent: bool = True, width: float = 6.3, height: float = 2.4
) -> bytes:
    """A line chart of daily values (gaps left open), as PNG bytes at 150 dpi."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure

    xs: list[Any] = [date.fromisoformat(day) for day, _ in points]  # matplotlib plots dates
    ys = [float("nan") if v is None else v for _, v in points]
    fig = Figure(figsize=(width, height), dpi=150)
    ax = fig.add_subplot()
    ax.plot(xs, ys, color="#1565c0", linewidth=1.6)
    if percent:
        ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=10, fontfamily="DejaVu Sans")
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m/%Y"))  # type: ignore[no-untyped-call]
    ax.tick_params(labelsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
