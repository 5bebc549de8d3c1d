"""Bar charts drawn on the server as SVG: no JavaScript, no style attributes (the
Content-Security-Policy allows only the app's own stylesheet), colours from classes in
``static/css/app.css``.

A chart only repeats figures that are already in a table beside it, so it is marked as an
image with a short text alternative that points to the table; the table is what screen
readers read. A bar whose figure is hidden or missing is drawn as no bar with its words
("fewer than 5") in place of a number, and its value never reaches the SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 230
VALUE_WIDTH = 120
BAR_HEIGHT = 22
GAP = 8
PAD = 6


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (None when hidden or missing) and the words shown at its
    end (the number, or why there is none)."""

    label: str
    value: float | None
    text: str


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(
    bars: Sequence[Bar], *, title: str, chart_id: str, maximum: float | None = None
) -> Markup:
    """Horizontal bars, one per row, scaled to ``maximum`` (default: the largest value)."""
    values = [b.value for b in bars if b.value is not None]
    top = maximum if maximum is not None else max(values, default=0)
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = PAD * 2 + len(bars) * (BAR_HEIGHT + GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title" focusable="false">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for n, bar in enumerate(bars):
        y = PAD + n * (BAR_HEIGHT + GAP)
        middle = y + BAR_HEIGHT / 2
        parts.append(
            f'<text class="chart__label" x="{LABEL_WIDTH - 8}" y="{middle:.1f}" '
            f'text-anchor="end" dominant-baseline="middle">{escape(_fit(bar.label, 34))}</text>'
        )
        length = 0.0
        if bar.value is not None and top > 0:
            length = max(plot * float(bar.value) / float(top), 1.0 if bar.value > 0 else 0.0)
            parts.append(
                f'<rect class="chart__bar" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" '
                f'height="{BAR_HEIGHT}"/>'
            )
        css = "chart__value" if bar.value is not None else "chart__value chart__value--hidden"
        parts.append(
            f'<text class="{css}" x="{LABEL_WIDTH + length + 6:.1f}" y="{middle:.1f}" '
            f'dominant-baseline="middle">{escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every piece of text above is escaped
