"""Draw an item's flow as a flowchart (流程图): boxes, arrows, actors and time limits."""

from __future__ import annotations

import hashlib
import math
import textwrap
from pathlib import Path

from pipeline.catalog.model import CatalogItem, DayUnit, Step, TimeLimit
from pipeline.programs.fonts import SANS, SERIF, FontSetup
from pipeline.programs.graphviz import render_dot

# Drawing area on the booklet page, in inches (fits under the item's table on A4).
CHART_WIDTH_IN = 6.3
CHART_HEIGHT_IN = 4.4
_WRAP = 18  # CJK characters per line inside a box
_MAX_ACTION = 110  # longer texts are cut in the box; the full text stays in the catalog


def describe_time_limit(limit: TimeLimit | None, note: str | None = None) -> str:
    """A time limit in words: 5个工作日, 7日, or the source's own words."""
    if limit is not None:
        unit = "个工作日" if limit.unit == DayUnit.WORKING else "日"
        return f"{limit.days}{unit}"
    return note or ""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _wrap(text: str, width: int = _WRAP) -> str:
    if len(text) > _MAX_ACTION:
        text = text[: _MAX_ACTION - 1] + "…"
    return "<BR/>".join(_escape(line) for line in textwrap.wrap(text, width) or [""])


def _node_label(number: int, step: Step) -> str:
    limit = describe_time_limit(step.time_limit, step.time_limit_note)
    footer = f"办理：{step.actor}" + (f"　时限：{limit}" if limit else "")
    public = "　【公开】" if step.public else ""
    return (
        f'<<FONT FACE="{SANS}" POINT-SIZE="13">{number}. {_escape(step.name)}{public}</FONT><BR/>'
        f'<FONT POINT-SIZE="10">{_wrap(step.action)}</FONT><BR/>'
        f'<FONT FACE="{SANS}" POINT-SIZE="9" COLOR="#7a0000">{_wrap(footer, 30)}</FONT>>'
    )


def flowchart_dot(item: CatalogItem, *, phone: bool = False) -> str:
    """The DOT text of an item's flow.

    For the booklet's page (the default) long flows snake over two columns filling
    the page's drawing area; for a phone's screen (``phone``) the steps go down one
    column at their natural size.
    """
    steps = item.steps
    rows = len(steps) if phone or len(steps) <= 5 else math.ceil(len(steps) / 2)
    # Fill the page's drawing area: the boxes keep their size, the spacing stretches.
    area = "" if phone else f'size="{CHART_WIDTH_IN},{CHART_HEIGHT_IN}!", ratio=fill, '
    lines = [
        "digraph flow {",
        f"  graph [rankdir=TB, {area}nodesep=0.4, ranksep=0.3, margin=0.05];",
        f'  node [shape=box, style="rounded,filled", fillcolor="#fffdf7", color="#333333",'
        f' fontname="{SERIF}", penwidth=1.2, margin="0.15,0.08"];',
        '  edge [color="#333333", arrowsize=0.8, penwidth=1.2];',
    ]
    for index, step in enumerate(steps):
        shape = ', fillcolor="#fff2e8"' if step.public else ""
        lines.append(f"  s{index} [label={_node_label(index + 1, step)}{shape}];")
    for index in range(len(steps) - 1):
        crossing = (index + 1) % rows == 0
        lines.append(f"  s{index} -> s{index + 1}" + (" [constraint=false];" if crossing else ";"))
    if rows < len(steps):
        # Keep the second column beside the first, row by row.
        for row in range(rows):
            partner = row + rows
            if partner < len(steps):
                lines.append(f"  {{rank=same; s{row}; s{partner};}}")
        lines.append(f"  s{rows - 1} -> s{rows} [style=invis];" if rows < len(steps) else "")
    lines.append("}")
    return "\n".join(line for line in lines if line)


def render_flowchart(item: CatalogItem, target: Path, fonts: FontSetup) -> Path:
    """Draw ``item``'s flowchart as a PNG at ``target``."""
    return render_dot(flowchart_dot(item), target, fonts)


def flowchart_svg(item: CatalogItem, cache: Path, fonts: FontSetup) -> str:
    """``item``'s flow for a phone's screen, as SVG text (its text selectable).

    Drawn once per flow: the file is kept in ``cache`` under the hash of its DOT
    text, so a new catalog edition that changes the flow draws it anew. The XML
    prolog is left out, for the SVG to go inline in a page.
    """
    source = flowchart_dot(item, phone=True)
    target = cache / f"{hashlib.sha256(source.encode()).hexdigest()[:32]}.svg"
    if not target.is_file():
        render_dot(source, target, fonts, output="svg")
    text = target.read_text(encoding="utf-8")
    return text[text.index("<svg") :]
