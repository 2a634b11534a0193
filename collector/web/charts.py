"""Charts as inline SVG, drawn on the server: pure functions from numbers to SVG text.

No script and no style attribute (the CSP forbids inline styles): colours are presentation
attributes. Every text that reaches the SVG is escaped here, so a caller may mark the result safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

GREEN, RED, ORANGE, BLUE, GREY = "#2e7d32", "#c62828", "#ef6c00", "#1565c0", "#9e9e9e"
Point = tuple[str, float | None]  # (ISO day, value or None for a gap)


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def _day(iso: str) -> str:
    """dd/mm from an ISO day."""
    return f"{iso[8:10]}/{iso[5:7]}" if len(iso) >= 10 else iso


def score_bar(score: float | None, ok: bool, label: str, width: int = 160) -> str:
    """A horizontal 0–100 bar, green when the level is met, red otherwise."""
    value = max(0.0, min(100.0, score or 0.0))
    filled = round(width * value / 100)
    colour = GREEN if ok else RED
    return (
        f'<svg class="bar" width="{width}" height="12" viewBox="0 0 {width} 12" role="img" '
        f'aria-label="{escape(label)}"><rect width="{width}" height="12" rx="2" fill="#e0e0e0"/>'
        f'<rect width="{filled}" height="12" rx="2" fill="{colour}"/></svg>'
    )


def line_chart(
    points: Sequence[Point],
    label: str,
    width: int = 320,
    height: int = 120,
    y_min: float | None = 0.0,
    y_max: float | None = None,
    colour: str = BLUE,
    unit: str = "",
) -> str:
    """A trend line over days, with the first and last day and the value range labelled.

    ``None`` values break the line (no data that day); an empty series draws an empty frame."""
    pad_l, pad_r, pad_t, pad_b = 34, 8, 8, 18
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    values = [v for _, v in points if v is not None]
    low = y_min if y_min is not None else (min(values) if values else 0.0)
    high = y_max if y_max is not None else (max(values) if values else 1.0)
    if values and y_max is None:
        high = max(high, *values)
    if high <= low:
        high = low + 1.0
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>',
        f'<rect x="{pad_l}" y="{pad_t}" width="{plot_w}" height="{plot_h}" fill="#fafafa" '
        f'stroke="#ccc"/>',
        f'<text x="{pad_l - 4}" y="{pad_t + 9}" text-anchor="end" font-size="10" '
        f'fill="#555">{escape(_fmt(high) + unit)}</text>',
        f'<text x="{pad_l - 4}" y="{pad_t + plot_h}" text-anchor="end" font-size="10" '
        f'fill="#555">{escape(_fmt(low) + unit)}</text>',
    ]
    n = len(points)
    if n:
        step = plot_w / max(n - 1, 1)
        segments: list[list[str]] = [[]]
        for i, (_, value) in enumerate(points):
            if value is None:
                if segments[-1]:
                    segments.append([])
                continue
            x = pad_l + i * step
            y = pad_t + plot_h - (value - low) / (high - low) * plot_h
            segments[-1].append(f"{x:.1f},{y:.1f}")
        for seg in segments:
            if len(seg) == 1:
                cx, cy = seg[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{colour}"/>')
            elif seg:
                parts.append(
                    f'<polyline points="{" ".join(seg)}" fill="none" stroke="{colour}" '
                    f'stroke-width="1.5"/>'
                )
        first, last = points[0][0], points[-1][0]
        parts.append(
            f'<text x="{pad_l}" y="{height - 4}" font-size="10" fill="#555">'
            f"{escape(_day(first))}</text>"
        )
        parts.append(
            f'<text x="{width - pad_r}" y="{height - 4}" text-anchor="end" font-size="10" '
            f'fill="#555">{escape(_day(last))}</text>'
        )
        if values:
            latest = next(v for _, v in reversed(points) if v is not None)
            parts.append(
                f'<text x="{width - pad_r - 2}" y="{pad_t + 11}" text-anchor="end" '
                f'font-size="11" font-weight="bold" fill="{colour}">'
                f"{escape(_fmt(latest) + unit)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def status_bars(counts: Sequence[tuple[str, int, str]], label: str, width: int = 320) -> str:
    """One stacked bar of requirement statuses: (name, count, colour) segments with a legend."""
    total = sum(c for _, c, _ in counts) or 1
    parts = [
        f'<svg class="stack" width="{width}" height="34" viewBox="0 0 {width} 34" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
    ]
    x = 0.0
    for _name, count, colour in counts:
        w = width * count / total
        if w > 0:
            parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="14" fill="{colour}"/>')
        x += w
    x = 0.0
    for name, count, colour in counts:
        parts.append(f'<rect x="{x:.0f}" y="20" width="10" height="10" fill="{colour}"/>')
        text = f"{name}: {count}"
        parts.append(
            f'<text x="{x + 13:.0f}" y="29" font-size="10" fill="#333">{escape(text)}</text>'
        )
        x += 13 + 6.2 * len(text) + 8
    parts.append("</svg>")
    return "".join(parts)
