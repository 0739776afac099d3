"""Small server-rendered SVG charts: no JavaScript, a few kilobytes, readable by screen readers.

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>``; pages show the same
numbers in a table next to it. Colours keep 4.5:1 contrast on white.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tornado.escape import xhtml_escape

BAR = "#1f4e79"
LOW = "#a4262c"
INK = "#1b1b1b"
GRID = "#767676"


@dataclass(frozen=True)
class Bin:
    label: str
    count: int


def histogram_bins(marks: Sequence[float], width: int = 10) -> list[Bin]:
    """Count marks (0-100) into bins of ``width`` points; 100 falls in the last bin."""
    edges = list(range(0, 100, width))
    counts = [0] * len(edges)
    for mark in marks:
        counts[min(int(mark // width), len(edges) - 1)] += 1
    return [Bin(f"{lo}–{min(lo + width, 100)}", n) for lo, n in zip(edges, counts, strict=True)]


def histogram_svg(bins: Sequence[Bin], *, title: str, desc: str, axis_label: str,
                  chart_id: str) -> str:
    """Vertical bars, one per bin, count above each bar."""
    width, height, left, bottom, top = 560, 240, 36, 40, 20
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((b.count for b in bins), default=0) or 1
    step = plot_w / max(len(bins), 1)
    parts = [_open(width, height, title, desc, chart_id)]
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" '
                 f'stroke="{GRID}"/>')
    for i, b in enumerate(bins):
        h = plot_h * b.count / peak
        x = left + i * step + 3
        y = top + plot_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step - 6:.1f}" height="{h:.1f}" '
                     f'fill="{BAR}"/>')
        parts.append(_text(x + (step - 6) / 2, y - 4, str(b.count)))
        parts.append(_text(x + (step - 6) / 2, top + plot_h + 16, b.label, size=11))
    parts.append(_text(left + plot_w / 2, height - 4, axis_label))
    parts.append("</svg>")
    return "".join(parts)


def pass_rate_svg(rows: Sequence[tuple[str, float]], *, title: str, desc: str,
                  chart_id: str, low: float = 50.0) -> str:
    """Horizontal bars of pass rates (0-100), one per test; rates under ``low`` in red."""
    label_w, bar_w, row_h, top = 200, 300, 24, 8
    width, height = label_w + bar_w + 60, top * 2 + row_h * max(len(rows), 1)
    parts = [_open(width, height, title, desc, chart_id)]
    for i, (name, rate) in enumerate(rows):
        y = top + i * row_h
        colour = LOW if rate < low else BAR
        parts.append(_text(label_w - 6, y + 16, _clip(name), anchor="end"))
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w * rate / 100:.1f}" '
                     f'height="{row_h - 8}" fill="{colour}"/>')
        parts.append(_text(label_w + bar_w * rate / 100 + 6, y + 16, f"{rate:.0f}%",
                           anchor="start"))
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int, title: str, desc: str, chart_id: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="sans-serif">'
        f'<title id="{chart_id}-title">{xhtml_escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{xhtml_escape(desc)}</desc>'
    )


def _text(x: float, y: float, text: str, *, size: int = 12, anchor: str = "middle") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{INK}" '
            f'text-anchor="{anchor}">{xhtml_escape(text)}</text>')


def _clip(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
