"""The SVG bar chart: an image with a name and a description, words on every bar, nothing
unescaped."""

from __future__ import annotations

import re

from complaints_app.charts import Bar, bar_chart


def test_a_chart_names_itself_and_writes_every_value():
    svg = str(
        bar_chart(
            "Complaints by status",
            "Bar chart of complaints by status.",
            [Bar("Submitted", 9, "9"), Bar("Closed", 3, "3"), Bar("Review", 0, "0")],
        )
    )
    title_id, desc_id = re.search(r'aria-labelledby="([^" ]+) ([^"]+)"', svg).groups()
    assert f'<title id="{title_id}">Complaints by status</title>' in svg
    assert f'<desc id="{desc_id}">Bar chart of complaints by status.</desc>' in svg
    assert 'role="img"' in svg
    assert [w for w in re.findall(r">([^<>]+)</text>", svg)] == [
        "Submitted",
        "9",
        "Closed",
        "3",
        "Review",
        "0",
    ]
    widths = [float(w) for w in re.findall(r'<rect[^>]*width="([\d.]+)"', svg)]
    # Scaled to the largest value; a zero draws no bar, only its words.
    assert len(widths) == 2 and abs(widths[0] - 3 * widths[1]) < 0.2


def test_labels_are_escaped_and_long_ones_shortened_with_the_full_text_kept():
    name = '<script>alert("x")</script> and a very long clause title indeed'
    svg = str(bar_chart("T & t", "d", [Bar(name, None, "no data")]))
    assert "<script>" not in svg
    assert "T &amp; t" in svg
    assert "&lt;script&gt;" in svg
    assert "…</text>" in svg
    assert "<rect" not in svg  # no value, no bar
    assert "indeed: no data</title>" in svg
