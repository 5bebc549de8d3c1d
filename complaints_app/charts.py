"""Bar charts drawn on the server as SVG: no JavaScript, nothing fetched, readable without
colour.

Each chart is an image with a name (``role="img"``, ``<title>`` and ``<desc>`` referenced by
``aria-labelledby``) whose every bar carries its label and its value as text, so the chart
says the same thing in greyscale, zoomed, or read aloud. It is meant to sit beside a data
table holding the same figures, which is what a screen reader user will read.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Each bar sits under its label, so the chart stays narrow enough for a phone without
# shrinking its words.
LABEL_HEIGHT = 20
BAR_HEIGHT = 18
ROW_GAP = 12
ROW_HEIGHT = LABEL_HEIGHT + BAR_HEIGHT + ROW_GAP
WIDTH = 320
VALUE_WIDTH = 100
BAR_WIDTH = WIDTH - VALUE_WIDTH - 8
LABEL_CHARS = 36


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    #: What is written at the end of the bar (e.g. "12", "4.5 hours", "no data").
    text: str


def _short(text: str) -> str:
    # The full label stays in the bar's own <title> and in the table beside the chart.
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def bar_chart(title: str, description: str, bars: Sequence[Bar]) -> Markup:
    """A horizontal bar chart, bars scaled to the largest value (a zero or missing value
    draws no bar, and its text says so)."""
    uid = "chart-" + secrets.token_hex(4)
    top = max((b.value or 0 for b in bars), default=0)
    height = max(1, len(bars)) * ROW_HEIGHT + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{uid}-title {uid}-desc">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(description)}</desc>',
    ]
    for i, bar in enumerate(bars):
        y = 4 + i * ROW_HEIGHT
        bar_y = y + LABEL_HEIGHT
        length = 0.0 if not top or not bar.value else max(2.0, BAR_WIDTH * bar.value / top)
        parts.append("<g>")
        parts.append(f"<title>{escape(bar.label)}: {escape(bar.text)}</title>")
        parts.append(
            f'<text class="chart__label" x="0" y="{y + LABEL_HEIGHT - 5}">'
            f"{escape(_short(bar.label))}</text>"
        )
        if length:
            parts.append(
                f'<rect class="chart__bar" x="0" y="{bar_y}" '
                f'width="{length:.1f}" height="{BAR_HEIGHT}"/>'
            )
        parts.append(
            f'<text class="chart__value" x="{length + 6:.1f}" y="{bar_y + BAR_HEIGHT / 2:.1f}" '
            f'dominant-baseline="middle">{escape(bar.text)}</text>'
        )
        parts.append("</g>")
    parts.append("</svg>")
    # Every text above went through escape(), so the joined SVG is safe to mark as markup.
    return Markup("".join(parts))  # noqa: S704  # nosec B704
