"""Monthly charts drawn by pygal on the server, shown as images: no script, no CDN.

The SVG goes into the page as a ``data:`` image, so its own styles never meet the page's
Content-Security-Policy; each chart has the same numbers in a table for screen readers.
"""

from __future__ import annotations

import base64
import functools

#: pygal's look, given as its ``Style`` takes it. pygal is imported where a chart is
#: drawn: it brings lxml, 12 MiB that a web worker showing no chart need not hold.
STYLE = dict(
    font_family="sans-serif",
    background="transparent",
    plot_background="transparent",
    foreground="#1b1b1b",
    foreground_strong="#1b1b1b",
    foreground_subtle="#6b6b6b",
    colors=("#1d4f91", "#b35900"),
    label_font_size=14,
    major_label_font_size=14,
    value_font_size=12,
)


@functools.lru_cache(maxsize=512)
def monthly_chart(labels: tuple[str, ...], values: tuple[float | None, ...]) -> str:
    """A bar per month, as a ``data:`` URI for an ``<img>``; the same figures (unchanged
    between two counts) are drawn once."""
    import pygal
    from pygal.style import Style

    chart = pygal.Bar(
        style=Style(**STYLE),
        js=[],
        disable_xml_declaration=True,
        show_legend=False,
        width=640,
        height=260,
        show_y_guides=True,
    )
    chart.x_labels = labels
    chart.add("", values)
    svg = chart.render(is_unicode=True)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
