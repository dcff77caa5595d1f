"""Bar charts drawn on the server with pygal, as inline SVG that the Content-Security-Policy allows.

pygal writes a `<style>` element, a configuration `<script>`, a tooltip layer with a `style=`
attribute and random ids; the policy (headers.py) refuses inline style and script, and a page
served from a per-process copy must not change from one rendering to the next. `bar_chart`
therefore keeps pygal's geometry, axes, labels and links, removes the rest, and marks each bar
with the classes and data-* attributes the caller names: colours come from the context's own
static CSS (`.chart .bar.<class> rect`), never from the SVG.

Each bar may be a link (`href`); the value printed on it is `label` (the reader's number format).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pygal
from pygal.style import Style
from markupsafe import Markup

DROPPED = {"style", "script", "desc"}  # pygal's tree names its elements without a namespace


@dataclass(frozen=True)
class Bar:
    name: str  # the axis label, in the reader's language
    value: float
    label: str  # printed on the bar
    href: str | None = None
    css: str = ""  # extra classes of the bar's rectangle, for its colour
    data: dict[str, str] = field(default_factory=dict)  # data-* attributes of the bar's group
    title: str | None = None  # the tooltip (SVG <title>)
    group_css: str = ""  # extra classes of the bar's group


def bar_chart(chart_id: str, title: str, bars: list[Bar], *, horizontal: bool = True, width: int = 640,
              height: int | None = None, maximum: float | None = None, show_x_labels: bool = True,
              label_size: int = 14, wrap: dict[str, str] | None = None, print_values: bool = True) -> Markup:
    """One series of bars in pygal (horizontal: top to bottom in the given order), as CSP-safe inline SVG.
    `wrap`: data-* attributes of one group around the whole plot (a figure that counts as one bar)."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    ordered = list(reversed(bars)) if horizontal else bars  # pygal stacks horizontal bars from the bottom
    chart = kind(js=[], css=[], show_legend=False, print_values=print_values, width=width,
                 height=height or (max(len(bars), 1) * 44 + 40 if horizontal else 260), margin=6, spacing=6,
                 truncate_label=-1, show_x_labels=show_x_labels, show_y_guides=not horizontal,
                 show_x_guides=horizontal, range=(0, maximum) if maximum else None, include_x_axis=True,
                 style=Style(font_family="sans-serif", label_font_size=label_size, major_label_font_size=label_size,
                             value_font_size=label_size, value_label_font_size=label_size),
                 print_values_position="top" if not horizontal else "center", formatter=lambda v: "")
    chart.x_labels = [bar.name for bar in ordered]
    chart.add(title, [{"value": bar.value, "formatter": (lambda _v, text=bar.label: text),
                       **({"xlink": {"href": bar.href, "target": "_self"}} if bar.href else {})} for bar in ordered])
    root = chart.render_tree()
    return Markup(ET.tostring(_clean(root, chart_id, title, ordered, wrap), encoding="unicode"))


def _clean(root: ET.Element, chart_id: str, title: str, bars: list[Bar], wrap: dict[str, str] | None) -> ET.Element:
    for parent in list(root.iter()):
        for child in list(parent):
            if (not isinstance(child.tag, str) or child.tag in DROPPED  # comments, style, script, desc
                    or "tooltip" in (child.get("class") or "").split()):
                parent.remove(child)
        for name in [name for name in parent.attrib if str(name) == "style" or str(name).startswith("on")]:
            del parent.attrib[name]
        if parent.get("id", "").startswith("chart-"):
            del parent.attrib["id"]
        if parent.get("class") and "tooltip-trigger" in parent.get("class"):
            parent.set("class", parent.get("class").replace("tooltip-trigger", "").strip())
    for link in root.iter("a"):
        if link.get("xlink:href"):
            link.set("href", link.get("xlink:href"))  # SVG 2 browsers read href; older ones xlink:href
    root.set("id", chart_id)
    root.set("class", "chart")
    root.set("role", "img")
    root.set("aria-label", title)
    root.set("preserveAspectRatio", "xMidYMid meet")
    for element in root.iter("title"):
        if element.text == "Pygal":
            element.text = title
    groups = [g for g in root.iter("g") if g.get("class") == "bar"]
    for group, bar in zip(groups, bars):
        if bar.group_css:
            group.set("class", f"bar {bar.group_css}")
        for name, value in bar.data.items():
            group.set(f"data-{name}", value)
        for rect in group.iter("rect"):
            rect.set("class", f"{rect.get('class', '')} {bar.css}".strip())
        if bar.title:
            link = group.find("a")
            ET.SubElement(link if link is not None else group, "title").text = bar.title
    if wrap:
        plot = ET.Element("g", {"class": "bar", **{f"data-{k}": v for k, v in wrap.items()}})
        for child in list(root):
            if child.tag != "title":
                root.remove(child)
                plot.append(child)
        root.append(plot)
    return root


def init_charts(app) -> None:
    """Templates may draw a chart too: `bar_chart(...)` with `ChartBar(...)` items."""
    app.jinja_env.globals.update(bar_chart=bar_chart, ChartBar=Bar)
