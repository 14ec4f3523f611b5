"""Draw an item's flow as a flowchart (流程图): boxes, arrows, actors and time limits.

Charts are drawn by Graphviz as vector PDF, their text kept as text: a reader can
find, copy and have read aloud every step of every flow. The booklet's page
template holds a blank image of the chart's proportions; once the page is
converted, :func:`place_chart` puts the vector chart where that image was.
"""

from __future__ import annotations

import hashlib
import math
import textwrap
from pathlib import Path

import pikepdf
from PIL import Image as PILImage

from pipeline.catalog.model import CatalogItem, DayUnit, Step, TimeLimit
from pipeline.documents.messages import CHART_SLOT_NOT_FOUND
from pipeline.errors import TemplateError
from pipeline.programs.fonts import SANS, SERIF, FontSetup
from pipeline.programs.graphviz import render_dot

# Drawing area on the booklet page, in inches (fits under the item's table on A4).
CHART_WIDTH_IN = 6.3
CHART_HEIGHT_IN = 4.4
_WRAP = 18  # CJK characters per line inside a box
_PLACEHOLDER_WIDTH_PX = 400


def describe_time_limit(limit: TimeLimit | None, note: str | None = None) -> str:
    """A time limit in words: 5个工作日, 7日, or the source's own words."""
    if limit is not None:
        unit = "个工作日" if limit.unit == DayUnit.WORKING else "日"
        return f"{limit.days}{unit}"
    return note or ""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _wrap(text: str, width: int = _WRAP) -> str:
    # Never cut: a long step makes the chart taller, and the page scales it down.
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
    """Draw ``item``'s flowchart as a one-page vector PDF at ``target``."""
    return render_dot(flowchart_dot(item), target, fonts, output="pdf")


def chart_placeholder(chart: Path, target: Path) -> Path:
    """A blank PNG with the proportions of ``chart`` (a PDF), for a template's image slot."""
    with pikepdf.open(chart) as pdf:
        box = pdf.pages[0].mediabox
        width, height = float(box[2]) - float(box[0]), float(box[3]) - float(box[1])
    size = (_PLACEHOLDER_WIDTH_PX, max(1, round(_PLACEHOLDER_WIDTH_PX * height / width)))
    PILImage.new("RGB", size, "white").save(target)
    return target


def place_chart(page_pdf: Path, chart: Path) -> None:
    """Put the vector ``chart`` where the page's one image (its placeholder) is drawn.

    The image's resource becomes a form XObject holding the chart's page, mapped
    onto the image's unit square, so it lands exactly where the image was.

    Raises:
        TemplateError: The page has no image, or more than one.
    """
    with (
        pikepdf.open(page_pdf, allow_overwriting_input=True) as pdf,
        pikepdf.open(chart) as drawn,
    ):
        slots = [
            (xobjects, name)
            for page in pdf.pages
            for xobjects in [page.resources.get("/XObject", pikepdf.Dictionary())]
            for name, xobject in xobjects.items()
            if xobject.get("/Subtype") == "/Image"
        ]
        if len(slots) != 1:
            raise TemplateError(CHART_SLOT_NOT_FOUND(page=page_pdf.name, count=len(slots)))
        xobjects, name = slots[0]
        box = [float(v) for v in drawn.pages[0].mediabox]
        width, height = box[2] - box[0], box[3] - box[1]
        form = pdf.copy_foreign(drawn.pages[0].as_form_xobject())
        form.Matrix = pikepdf.Array(
            [1 / width, 0, 0, 1 / height, -box[0] / width, -box[1] / height]
        )
        xobjects[name] = form
        pdf.save(page_pdf)


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
