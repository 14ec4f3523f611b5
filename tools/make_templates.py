"""Build the starting .docx templates in templates/ (run once; clerks edit the results).

The committed .docx files are the source of truth; this script only records how
the first versions were made: A4, GB/T 9704 margins, Simplified-Chinese faces
named in every style (East Asian font), so LibreOffice never falls back to JP.
Usage: python tools/make_templates.py [--force]
"""

import sys
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

SERIF = "Noto Serif CJK SC"  # Song (宋体) face
SANS = "Noto Sans CJK SC"  # Hei (黑体) face
OUT = Path(__file__).resolve().parent.parent / "templates"


def set_fonts(style_or_run, face, size=None, bold=None):
    font = style_or_run.font
    font.name = face
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), face)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:val"), "zh-CN")


THEME_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def drop_theme_fonts(doc):
    """Theme font attributes override named fonts; remove them so SC faces apply."""
    styles = doc.styles.element
    for fonts in styles.iter(qn("w:rFonts")):
        for attr in THEME_ATTRIBUTES:
            fonts.attrib.pop(qn(attr), None)
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), SERIF)


def new_document(*, body_size=14):
    doc = Document()
    drop_theme_fonts(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    styles = doc.styles
    set_fonts(styles["Normal"], SERIF, body_size)
    styles["Normal"].paragraph_format.space_after = Pt(0)
    styles["Normal"].paragraph_format.line_spacing = 1.25
    # No automatic gap between Chinese and digits: dates print as 2026年11月24日.
    normal_ppr = styles["Normal"].element.get_or_add_pPr()
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):
        flag = OxmlElement(tag)
        flag.set(qn("w:val"), "0")
        normal_ppr.insert_element_before(
            flag,
            "w:bidi",
            "w:adjustRightInd",
            "w:snapToGrid",
            "w:spacing",
            "w:ind",
            "w:contextualSpacing",
            "w:jc",
            "w:textDirection",
            "w:textAlignment",
            "w:outlineLvl",
        )
    title = styles["Title"]
    set_fonts(title, SERIF, 22, bold=True)
    title.font.color.rgb = RGBColor(0, 0, 0)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(12)
    # python-docx's default Title has a bottom border; official titles have none.
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)
    for level, size in ((1, 16), (2, 14)):
        heading = styles[f"Heading {level}"]
        set_fonts(heading, SANS, size, bold=False)
        heading.font.color.rgb = RGBColor(0, 0, 0)
        heading.paragraph_format.space_before = Pt(6)
        heading.paragraph_format.space_after = Pt(6)
    set_fonts(styles["Table Grid"], SERIF, 12)
    return doc


def paragraph(doc, text="", *, style=None, align=None, size=None, face=None, bold=None):
    p = doc.add_paragraph(style=style)
    if align is not None:
        p.alignment = align
    if text:
        run = p.add_run(text)
        if size or face or bold is not None:
            set_fonts(run, face or SERIF, size, bold)
    return p


def cell_text(cell, text, *, bold=False, align=WD_ALIGN_PARAGRAPH.LEFT, size=12):
    p = cell.paragraphs[0]
    p.alignment = align
    run = p.add_run(text)
    set_fonts(run, SANS if bold else SERIF, size, bold=False)


def fix_widths(table, widths):
    """Fixed column widths (LibreOffice reads the grid, Word the cells)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=False):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width


def catalog_directory():
    doc = new_document()
    paragraph(doc, "附件1", face=SANS, size=16)
    paragraph(doc, "{{ title }}", style="Title")
    table = doc.add_table(rows=3, cols=4, style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = (Mm(36), Mm(14), Mm(76), Mm(30))
    for label, cell, width in zip(
        ("类别", "序号", "事项名称", "流程图序号"), table.rows[0].cells, widths, strict=False
    ):
        cell_text(cell, label, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        cell.width = width
    cell_text(table.rows[1].cells[0], "{%tr for row in rows %}")
    values = ("{{ row.category }}", "{{ row.number }}", "{{ row.name }}", "{{ row.code }}")
    for value, cell, width in zip(values, table.rows[2].cells, widths, strict=False):
        cell_text(
            cell,
            value,
            align=WD_ALIGN_PARAGRAPH.CENTER if value != values[2] else WD_ALIGN_PARAGRAPH.LEFT,
        )
        cell.width = width
    end = table.add_row()
    cell_text(end.cells[0], "{%tr endfor %}")
    fix_widths(table, widths)
    repeat = OxmlElement("w:tblHeader")
    table.rows[0]._tr.get_or_add_trPr().append(repeat)
    paragraph(doc, "{{ edition_line }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    return doc


def flowchart_page():
    doc = new_document(body_size=12)
    section = doc.sections[0]
    # The booklet's chart pages use narrower margins to give the chart room.
    section.top_margin, section.bottom_margin = Mm(25), Mm(25)
    section.left_margin = section.right_margin = Mm(22)
    paragraph(doc, "{{ code }}", align=WD_ALIGN_PARAGRAPH.CENTER, face=SANS, size=14)
    paragraph(doc, "{{ name }}", style="Title")
    table = doc.add_table(rows=0, cols=2, style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in (
        ("事项类别", "{{ category }}（{{ aspect }}）"),
        ("行使依据", "{{ basis }}"),
        ("行使主体", "{{ acting_body }}"),
        ("经办岗位", "{{ handling_role }}　联系电话：{{ handling_phone }}"),
        ("公开要求", "{{ public_rule }}"),
        ("流程来源", "{{ provenance }}"),
    ):
        row = table.add_row()
        cell_text(row.cells[0], label, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=11)
        cell_text(row.cells[1], value, size=11)
    fix_widths(table, (Mm(24), Mm(142)))
    paragraph(doc, "{{ chart }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    p = paragraph(doc, "监督与责任追究：", face=SANS, size=11)
    run = p.add_run("{{ supervision }}{{ accountability }}")
    set_fonts(run, SERIF, 11)
    p = paragraph(doc, "监督电话：", face=SANS, size=11)
    run = p.add_run("{{ supervision_phone }}（{{ district }}）")
    set_fonts(run, SERIF, 11)
    return doc


def booklet_cover():
    doc = new_document(body_size=16)
    for _ in range(4):
        paragraph(doc)
    paragraph(doc, "{{ district }}", align=WD_ALIGN_PARAGRAPH.CENTER, face=SANS, size=22)
    paragraph(doc, "{{ title }}", style="Title")
    paragraph(doc, "{{ subtitle }}", align=WD_ALIGN_PARAGRAPH.CENTER, size=16)
    paragraph(doc)
    paragraph(
        doc,
        "版本：{{ version }}　　施行日期：{{ effective_date }}",
        align=WD_ALIGN_PARAGRAPH.CENTER,
        size=14,
    )
    paragraph(doc, "依据：{{ document_number }}", align=WD_ALIGN_PARAGRAPH.CENTER, size=14)
    for _ in range(8):
        paragraph(doc)
    paragraph(doc, "{{ publisher }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=16)
    paragraph(doc, "{{ published_on }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=16)
    return doc


def contents():
    doc = new_document(body_size=14)
    paragraph(doc, "{{ title }}", style="Title")
    table = doc.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    cell_text(table.rows[0].cells[0], "{%tr for entry in entries %}")
    cell_text(table.rows[1].cells[0], "{{ entry.indent }}{{ entry.title }}", size=12)
    cell_text(table.rows[1].cells[1], "{{ entry.page }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    end = table.add_row()
    cell_text(end.cells[0], "{%tr endfor %}")
    fix_widths(table, (Mm(140), Mm(16)))
    return doc


BUILDERS = {
    "catalog_directory.docx": catalog_directory,
    "flowchart_page.docx": flowchart_page,
    "booklet_cover.docx": booklet_cover,
    "contents.docx": contents,
}

if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for name, build in BUILDERS.items():
        target = OUT / name
        if target.exists() and "--force" not in sys.argv:
            print(f"keep {target.name} (use --force to rebuild)")
            continue
        build().save(target)
        print(f"wrote {target.name}")
