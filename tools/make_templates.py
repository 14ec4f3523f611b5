"""Build the starting .docx templates in templates/ (run once; clerks edit the results).

The committed .docx files are the source of truth; this script only records how
the first versions were made: A4, GB/T 9704 margins, Simplified-Chinese faces
named in every style (East Asian font), so LibreOffice never falls back to JP.
Usage: python tools/make_templates.py [--force]
"""

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
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


def label_table(doc, rows, widths, *, size):
    """A two-column table: a bold label, then its value (template field)."""
    table = doc.add_table(rows=0, cols=2, style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in rows:
        row = table.add_row()
        cell_text(row.cells[0], label, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=size)
        cell_text(row.cells[1], value, size=size)
    fix_widths(table, widths)
    return table


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
    label_table(
        doc,
        (
            ("事项类别", "{{ category }}（{{ aspect }}）"),
            ("行使依据", "{{ basis }}"),
            ("行使主体", "{{ acting_body }}"),
            ("经办岗位", "{{ handling_role }}　联系电话：{{ handling_phone }}"),
            ("公开要求", "{{ public_rule }}"),
            ("流程来源", "{{ provenance }}"),
        ),
        (Mm(24), Mm(142)),
        size=11,
    )
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


# --- Case documents (申请表, 告知单, 回执, 委托书, 会议记录, 公示, 结果公开) ---------------

FORM_WIDTHS = (Mm(32), Mm(124))  # label | value, 156 mm of text width


def body_text(doc, text, *, size, indent=True, align=None):
    """A body paragraph; official text indents its first line by two characters."""
    p = paragraph(doc, text, size=size, align=align)
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    return p


def labelled(doc, label, value, *, size):
    """`label` in the Hei face followed by `value` in the Song face, on one line."""
    p = paragraph(doc, label, face=SANS, size=size)
    run = p.add_run(value)
    set_fonts(run, SERIF, size)
    return p


def form_table(doc, rows, *, size=12, widths=FORM_WIDTHS, tall=()):
    """A two-column form (label | value); rows named in `tall` get room to write."""
    table = doc.add_table(rows=0, cols=2, style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in rows:
        row = table.add_row()
        row.height = Mm(28 if label in tall else 10)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        cell_text(row.cells[0], label, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=size)
        cell_text(row.cells[1], value, size=size)
        for cell in row.cells:
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    fix_widths(table, widths)
    return table


def loop_table(doc, headers, values, widths, *, size, loop="for row in rows"):
    """A table with a header row (repeated on each page) and one row per list item."""
    table = doc.add_table(rows=3, cols=len(headers), style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, cell in zip(headers, table.rows[0].cells, strict=True):
        cell_text(cell, label, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=size)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    cell_text(table.rows[1].cells[0], f"{{%tr {loop} %}}", size=size)
    for (value, align), cell in zip(values, table.rows[2].cells, strict=True):
        cell_text(cell, value, align=align, size=size)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    end = table.add_row()
    cell_text(end.cells[0], "{%tr endfor %}", size=size)
    fix_widths(table, widths)
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    return table


def signature_line(doc, text, *, size, before=12):
    p = paragraph(doc, text, size=size)
    p.paragraph_format.space_before = Pt(before)
    return p


def issuer_block(doc, *, size, blank_lines=3, date="{{ issued_on }}"):
    """The issuer's name and the date, right-aligned four characters from the edge.

    The issuer (`{{ issuer }}`) is a paragraph of its own: the seal is stamped by
    code over this text, so nothing above it may print the same name.
    """
    for _ in range(blank_lines):
        paragraph(doc)
    for text in ("{{ issuer }}", date):
        p = paragraph(doc, text, align=WD_ALIGN_PARAGRAPH.RIGHT, size=size)
        p.paragraph_format.right_indent = Pt(size * 4)


def verification_footer(doc):
    """Page footer: the QR image (`{{ qr }}`) beside the verification code line."""
    set_fonts(doc.styles["Footer"], SERIF, 10)
    footer = doc.sections[0].footer
    footer.is_linked_to_previous = False
    spacer = footer.paragraphs[0]
    table = footer.add_table(rows=1, cols=2, width=Mm(156))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    qr_cell, text_cell = table.rows[0].cells
    qr_cell.paragraphs[0].add_run("{{ qr }}")
    qr_cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    text_cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    cell_text(text_cell, "核验码：{{ verification_code }}", bold=True, size=14)
    note = text_cell.add_paragraph()
    run = note.add_run(
        "办件编号：{{ case_id }}。扫描左侧二维码，或在村务公开核验页面输入核验码，"
        "可核对本件与存档原件是否一致。"
    )
    set_fonts(run, SERIF, 10)
    fix_widths(table, (Mm(26), Mm(130)))
    # A footer must end with a paragraph: move the empty one below the table, keep it tiny.
    footer._element.append(spacer._p)
    set_fonts(spacer.add_run(""), SERIF, 2)
    spacer.paragraph_format.line_spacing = Pt(2)


def application():
    doc = new_document(body_size=12)
    paragraph(doc, "{{ place_name }}", align=WD_ALIGN_PARAGRAPH.CENTER, face=SANS, size=14)
    paragraph(doc, "{{ title }}", style="Title")
    paragraph(doc, "编号：{{ case_id }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    form_table(
        doc,
        (
            ("事项", "{{ item_name }}（{{ item_code }}）"),
            ("申请人", "{{ name }}"),
            ("身份证号", "{{ id_number }}"),
            ("联系电话", "{{ phone }}"),
            ("住址", "{{ address }}"),
            ("家庭人口", "{{ household_size }}"),
            ("共同申请人", "{{ co_applicants }}"),
            ("事由", "{{ reason }}"),
            ("金额（元）", "{{ amount }}"),
            ("代办情况", "{{ proxy_line }}"),
            ("申请日期", "{{ applied_on }}"),
            ("首问负责人", "{{ first_contact_officer }}"),
        ),
        tall=("事由",),
    )
    body_text(
        doc,
        "本人承诺以上填写内容和提交的材料真实、完整，如有虚假，愿意承担相应责任。",
        size=12,
    ).paragraph_format.space_before = Pt(12)
    signature_line(
        doc, "申请人（签字或按手印）：________________　　　　____年____月____日", size=12
    )
    signature_line(doc, "受理人（签字）：________________", size=12)
    return doc


def notification():
    doc = new_document(body_size=14)
    paragraph(doc, "{{ place_name }}", align=WD_ALIGN_PARAGRAPH.CENTER, face=SANS, size=14)
    paragraph(doc, "一次性告知单", style="Title")
    paragraph(doc, "编号：{{ case_id }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    body_text(doc, "{{ name }}：", size=14, indent=False)
    body_text(
        doc,
        "您申请办理的“{{ item_name }}”事项，需提交下列材料。材料齐全的当场受理；"
        "缺少的材料请按本单一次补齐，不再另行要求。",
        size=14,
    )
    center, left = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT
    loop_table(
        doc,
        ("序号", "材料名称", "说明", "收取情况"),
        (
            ("{{ row.number }}", center),
            ("{{ row.name }}", left),
            ("{{ row.note }}", left),
            ("{{ row.status }}", center),
        ),
        (Mm(16), Mm(66), Mm(50), Mm(24)),
        size=12,
        loop="for row in materials",
    )
    paragraph(doc)
    labelled(doc, "办理时限：", "{{ time_limit }}", size=14)
    labelled(doc, "经办岗位：", "{{ handling_role }}　服务电话：{{ service_phone }}", size=14)
    labelled(doc, "首问负责人：", "{{ first_contact_officer }}", size=14)
    labelled(
        doc,
        "监督电话：",
        "村务监督委员会 {{ village_supervision_phone }}；区 {{ district_supervision_phone }}",
        size=14,
    )
    issuer_block(doc, size=14, blank_lines=2)
    return doc


def receipt():
    doc = new_document(body_size=14)
    paragraph(doc, "{{ place_name }}", align=WD_ALIGN_PARAGRAPH.CENTER, face=SANS, size=14)
    paragraph(doc, "受理回执", style="Title")
    form_table(
        doc,
        (
            ("受理编号", "{{ case_id }}"),
            ("办理事项", "{{ item_name }}"),
            ("申请人", "{{ name }}"),
            ("身份证号", "{{ id_number }}"),
            ("受理日期", "{{ received_on }}"),
            ("已收材料", "{{ materials_received }}"),
            ("首问负责人", "{{ first_contact_officer }}"),
            ("承诺办结时限", "{{ due_on }}"),
            ("服务电话", "{{ service_phone }}"),
            ("监督电话", "{{ village_supervision_phone }}"),
        ),
        size=14,
        widths=(Mm(40), Mm(116)),
    )
    body_text(
        doc,
        "您的申请已受理。请凭本回执查询办理进度；超过承诺时限未办结的，可拨打监督电话反映。",
        size=14,
    ).paragraph_format.space_before = Pt(12)
    signature_line(doc, "受理人（签字）：________________", size=14)
    issuer_block(doc, size=14, blank_lines=2)
    return doc


def proxy_authorisation():
    doc = new_document(body_size=14)
    paragraph(doc, "{{ place_name }}", align=WD_ALIGN_PARAGRAPH.CENTER, face=SANS, size=14)
    paragraph(doc, "代办委托书", style="Title")
    paragraph(doc, "编号：{{ case_id }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    labelled(doc, "委托人：", "{{ name }}", size=14)
    labelled(doc, "身份证号：", "{{ id_number }}", size=14)
    labelled(doc, "联系电话：", "{{ phone }}", size=14)
    labelled(doc, "住址：", "{{ address }}", size=14)
    labelled(doc, "受托人（村民事务代办员）：", "{{ proxy_name }}", size=14)
    body_text(
        doc,
        "本人自愿委托{{ proxy_name }}代为办理“{{ item_name }}”事项，包括提交申请和材料、"
        "查询办理进度、领取办理结果。受托人应如实提交材料，及时告知办理情况，"
        "不得收取任何费用。",
        size=14,
    ).paragraph_format.space_before = Pt(12)
    body_text(doc, "委托期限：自{{ authorised_on }}起至本事项办结之日止。", size=14)
    signature_line(doc, "委托人（签字或按手印）：________________", size=14, before=24)
    signature_line(doc, "受托人（签字）：________________", size=14)
    p = paragraph(doc, "{{ authorised_on }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=14)
    p.paragraph_format.space_before = Pt(24)
    p.paragraph_format.right_indent = Pt(14 * 4)
    return doc


def meeting_record():
    """The minutes of a meeting: every topic with its vote, a place to sign for each present."""
    doc = new_document(body_size=12)
    paragraph(doc, "{{ place_name }}", align=WD_ALIGN_PARAGRAPH.CENTER, face=SANS, size=14)
    paragraph(doc, "{{ meeting_kind }}记录", style="Title")
    paragraph(doc, "记录编号：{{ meeting_number }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    form_table(
        doc,
        (
            ("时间", "{{ held_on }}"),
            ("地点", "{{ location }}"),
            ("主持人", "{{ chair }}"),
            ("记录人", "{{ recorder }}"),
            ("参会人数", "{{ attendance }}"),
        ),
    )
    paragraph(doc, "议题及表决结果", face=SANS, size=12).paragraph_format.space_before = Pt(8)
    center = WD_ALIGN_PARAGRAPH.CENTER
    loop_table(
        doc,
        ("序号", "议题", "关联办件", "同意", "反对", "弃权"),
        (
            ("{{ row.number }}", center),
            ("{{ row.topic }}", WD_ALIGN_PARAGRAPH.LEFT),
            ("{{ row.case_id }}", center),
            ("{{ row.votes_for }}", center),
            ("{{ row.votes_against }}", center),
            ("{{ row.abstentions }}", center),
        ),
        (Mm(12), Mm(70), Mm(36), Mm(14), Mm(14), Mm(14)),
        size=11,
        loop="for row in topics",
    )
    form_table(doc, (("决议", "{{ resolution }}"),), tall=("决议",))
    signature_line(
        doc, "主持人（签字）：________________　　记录人（签字）：________________", size=12
    )
    paragraph(doc, "参会人员签到", face=SANS, size=12).paragraph_format.space_before = Pt(12)
    signers = loop_table(
        doc,
        ("序号", "姓名", "签字", "序号", "姓名", "签字"),
        (
            ("{{ row.left_number }}", center),
            ("{{ row.left_name }}", center),
            ("", center),
            ("{{ row.right_number }}", center),
            ("{{ row.right_name }}", center),
            ("", center),
        ),
        (Mm(12), Mm(25), Mm(43), Mm(12), Mm(25), Mm(43)),
        size=11,
        loop="for row in signers",
    )
    signers.rows[2].height = Mm(11)  # room for a signature in a hand's size
    signers.rows[2].height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    paragraph(doc, "{{ signing_note }}", size=11)
    return doc


NOTICE_TITLE_SIZE = 26
NOTICE_BODY_SIZE = 16


def people_table(doc):
    """The notices' table of the people concerned (masked data in the public sheet)."""
    center = WD_ALIGN_PARAGRAPH.CENTER
    loop_table(
        doc,
        ("序号", "姓名", "身份证号", "家庭人口", "金额（元）"),
        (
            ("{{ row.number }}", center),
            ("{{ row.name }}", center),
            ("{{ row.id_number }}", center),
            ("{{ row.household_size }}", center),
            ("{{ row.amount }}", WD_ALIGN_PARAGRAPH.RIGHT),
        ),
        (Mm(14), Mm(34), Mm(52), Mm(26), Mm(30)),
        size=14,
    )


def public_notice():
    doc = new_document(body_size=NOTICE_BODY_SIZE)
    paragraph(doc, "{{ place_name }}", align=WD_ALIGN_PARAGRAPH.CENTER, face=SANS, size=16)
    paragraph(doc, "关于{{ item_name }}的公示", style="Title", size=NOTICE_TITLE_SIZE, bold=True)
    body_text(
        doc,
        "经{{ procedure }}等程序，现将{{ item_name }}有关情况予以公示，接受群众监督。",
        size=NOTICE_BODY_SIZE,
    )
    body_text(doc, "拟办理意见：{{ proposal }}", size=NOTICE_BODY_SIZE)
    people_table(doc)
    paragraph(doc)
    body_text(doc, "公示期：{{ start }}至{{ end }}（{{ duration }}）。", size=NOTICE_BODY_SIZE)
    body_text(
        doc,
        "如有异议，请在公示期内向村务监督委员会反映，监督电话：{{ village_supervision_phone }}；"
        "区监督电话：{{ district_supervision_phone }}。",
        size=NOTICE_BODY_SIZE,
    )
    issuer_block(doc, size=NOTICE_BODY_SIZE)
    verification_footer(doc)
    return doc


def result_notice():
    doc = new_document(body_size=NOTICE_BODY_SIZE)
    paragraph(doc, "{{ place_name }}", align=WD_ALIGN_PARAGRAPH.CENTER, face=SANS, size=16)
    paragraph(doc, "{{ item_name }}办理结果公开", style="Title", size=NOTICE_TITLE_SIZE, bold=True)
    body_text(
        doc,
        "{{ item_name }}事项已于{{ result_on }}办理完毕，现将办理结果公开如下：",
        size=NOTICE_BODY_SIZE,
    )
    people_table(doc)
    paragraph(doc)
    body_text(doc, "办理结果：{{ result }}", size=NOTICE_BODY_SIZE)
    body_text(
        doc,
        "如对办理结果有异议，请向村务监督委员会反映，监督电话：{{ village_supervision_phone }}；"
        "区监督电话：{{ district_supervision_phone }}。",
        size=NOTICE_BODY_SIZE,
    )
    issuer_block(doc, size=NOTICE_BODY_SIZE)
    verification_footer(doc)
    return doc


def objection_record():
    """异议处理记录: a villager's objection or report and the supervision committee's handling."""
    doc = new_document(body_size=12)
    paragraph(doc, "{{ place_name }}", align=WD_ALIGN_PARAGRAPH.CENTER, face=SANS, size=14)
    paragraph(doc, "{{ title }}", style="Title")
    paragraph(doc, "回执码：{{ receipt }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    form_table(
        doc,
        (
            ("类　　别", "{{ kind }}"),
            ("事　　项", "{{ subject }}"),
            ("收到日期", "{{ received_on }}"),
            ("反 映 人", "{{ contact_name }}"),
            ("联系电话", "{{ contact_phone }}"),
            ("内　　容", "{{ text }}"),
            ("答复期限", "{{ due_on }}"),
            ("核实情况", "{{ findings }}"),
            ("处理意见", "{{ decision }}"),
            ("答复日期", "{{ answered_on }}"),
            ("记 录 人", "{{ answered_by }}"),
        ),
        size=12,
        tall=("内　　容", "核实情况"),
    )
    body_text(doc, "{{ note }}", size=12).paragraph_format.space_before = Pt(12)
    issuer_block(doc, size=12, blank_lines=1)
    return doc


def case_file_cover():
    """案卷封面: the case file's cover, as archives print it."""
    doc = new_document(body_size=16)
    paragraph(doc, "全宗号：{{ fonds }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    paragraph(doc, "档号：{{ archival_code }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    for _ in range(3):
        paragraph(doc)
    paragraph(doc, "{{ place_name }}", align=WD_ALIGN_PARAGRAPH.CENTER, face=SANS, size=18)
    paragraph(doc, "{{ title }}", style="Title")
    paragraph(doc, "案　卷", align=WD_ALIGN_PARAGRAPH.CENTER, face=SANS, size=22)
    for _ in range(3):
        paragraph(doc)
    label_table(
        doc,
        (
            ("办件编号", "{{ case_id }}"),
            ("事　　项", "{{ item }}"),
            ("起止日期", "{{ period }}"),
            ("保管期限", "{{ retention }}"),
            ("件　　数", "{{ document_count }} 件，共 {{ page_count }} 页"),
            ("立卷单位", "{{ issuer }}"),
            ("立卷日期", "{{ filed_on }}"),
        ),
        (Mm(36), Mm(110)),
        size=14,
    )
    return doc


def case_file_contents():
    """卷内目录: one row per document of the case file, with its page."""
    doc = new_document(body_size=12)
    paragraph(doc, "卷内目录", style="Title")
    paragraph(doc, "档号：{{ archival_code }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    loop_table(
        doc,
        ("序号", "责任者", "文件题名", "日期", "页号", "备注"),
        (
            ("{{ row.number }}", WD_ALIGN_PARAGRAPH.CENTER),
            ("{{ row.author }}", WD_ALIGN_PARAGRAPH.LEFT),
            ("{{ row.title }}", WD_ALIGN_PARAGRAPH.LEFT),
            ("{{ row.date }}", WD_ALIGN_PARAGRAPH.CENTER),
            ("{{ row.page }}", WD_ALIGN_PARAGRAPH.CENTER),
            ("{{ row.note }}", WD_ALIGN_PARAGRAPH.LEFT),
        ),
        (Mm(12), Mm(30), Mm(56), Mm(24), Mm(14), Mm(20)),
        size=11,
    )
    return doc


# --- Monthly disclosure pack (月度公开材料, 五公开) and the district summary ----------------

LANDSCAPE_TEXT_MM = 247  # text width of a landscape A4 page with 25 mm side margins


def landscape(doc):
    """Turn the page: wide tables (公开表) print on landscape A4."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(25), Mm(28)
    section.left_margin = section.right_margin = Mm(25)
    return doc


def widths_mm(*values):
    assert sum(values) == LANDSCAPE_TEXT_MM, sum(values)
    return tuple(Mm(value) for value in values)


def monthly_pack_cover():
    """The pack's cover; the village seal is stamped by code over `{{ issuer }}`."""
    doc = new_document(body_size=16)
    # One blank line above the title: the table below may grow to nine lines (sample
    # phones carry （示例）) and the issuer, its seal and the date stay on this page.
    paragraph(doc)
    paragraph(doc, "{{ place_name }}", align=WD_ALIGN_PARAGRAPH.CENTER, face=SANS, size=22)
    paragraph(doc, "{{ title }}", style="Title")
    paragraph(doc, "（{{ month }}）", align=WD_ALIGN_PARAGRAPH.CENTER, size=16)
    for _ in range(2):
        paragraph(doc)
    label_table(
        doc,
        (
            ("公开内容", "{{ scope }}"),
            ("公开期间", "{{ period }}"),
            ("本月办件", "{{ cases_line }}"),
            ("涉及事项", "{{ items_line }}"),
            ("清单依据", "{{ edition_line }}"),
            ("监督电话", "{{ supervision_line }}"),
        ),
        (Mm(32), Mm(124)),
        size=14,
    )
    issuer_block(doc, size=16, blank_lines=4)
    return doc


def keep_rows_whole(table):
    """A row that does not fit at the foot of a page moves whole to the next one."""
    for row in table.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    return table


def pack_section(headers, values, widths):
    """A section of the pack: heading, title, village and month, summary, then the table.

    The table is left out when there are no rows; the summary then says so.
    """
    doc = landscape(new_document(body_size=12))
    paragraph(doc, "{{ heading }}", face=SANS, size=16)
    paragraph(doc, "{{ title }}", style="Title")
    paragraph(doc, "{{ place_name }}　　{{ month }}", align=WD_ALIGN_PARAGRAPH.CENTER, size=14)
    body_text(doc, "{{ summary }}", size=12).paragraph_format.space_before = Pt(6)
    paragraph(doc, "{%p if rows %}")
    keep_rows_whole(loop_table(doc, headers, values, widths, size=10.5))
    paragraph(doc, "{%p endif %}")
    body_text(doc, "{{ note }}", size=12).paragraph_format.space_before = Pt(6)
    return doc


C, L, R = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT


def monthly_pack_list():
    return pack_section(
        ("序号", "事项编码", "事项名称", "类别", "行使依据", "行使主体", "本月办件"),
        (
            ("{{ row.number }}", C),
            ("{{ row.code }}", C),
            ("{{ row.name }}", L),
            ("{{ row.category }}", C),
            ("{{ row.basis }}", L),
            ("{{ row.acting_body }}", L),
            ("{{ row.cases }}", C),
        ),
        widths_mm(13, 26, 40, 30, 78, 40, 20),
    )


def monthly_pack_process():
    return pack_section(
        (
            "序号",
            "办件编号",
            "事项",
            "申请人",
            "受理日期",
            "已办环节",
            "待办环节",
            "承诺办结",
            "会议决定",
        ),
        (
            ("{{ row.number }}", C),
            ("{{ row.case_id }}", C),
            ("{{ row.item }}", L),
            ("{{ row.applicants }}", C),
            ("{{ row.received_on }}", C),
            ("{{ row.current }}", L),
            ("{{ row.pending }}", L),
            ("{{ row.due }}", C),
            ("{{ row.meeting }}", L),
        ),
        widths_mm(10, 35, 27, 19, 25, 32, 35, 26, 38),
    )


def monthly_pack_results():
    return pack_section(
        ("序号", "办件编号", "事项", "申请人", "身份证号", "办结日期", "办理结果", "金额（元）"),
        (
            ("{{ row.number }}", C),
            ("{{ row.case_id }}", C),
            ("{{ row.item }}", L),
            ("{{ row.applicants }}", C),
            ("{{ row.id_numbers }}", C),
            ("{{ row.closed_on }}", C),
            ("{{ row.result }}", L),
            ("{{ row.amount }}", R),
        ),
        widths_mm(13, 36, 28, 20, 42, 31, 50, 27),
    )


def monthly_pack_overdue():
    return pack_section(
        ("序号", "办件编号", "事项", "申请人", "待办环节", "应办日期", "超期工作日", "超期天数"),
        (
            ("{{ row.number }}", C),
            ("{{ row.case_id }}", C),
            ("{{ row.item }}", L),
            ("{{ row.applicants }}", C),
            ("{{ row.step }}", L),
            ("{{ row.due }}", C),
            ("{{ row.working_days }}", C),
            ("{{ row.days }}", C),
        ),
        widths_mm(13, 36, 42, 24, 42, 34, 28, 28),
    )


def monthly_pack_irregularities():
    return pack_section(
        ("序号", "办件编号", "事项", "环节", "日期", "违反规则", "情况", "强制办理理由"),
        (
            ("{{ row.number }}", C),
            ("{{ row.case_id }}", C),
            ("{{ row.item }}", L),
            ("{{ row.step }}", L),
            ("{{ row.date }}", C),
            ("{{ row.rule }}", C),
            ("{{ row.message }}", L),
            ("{{ row.reason }}", L),
        ),
        widths_mm(13, 36, 30, 28, 31, 22, 50, 37),
    )


def monthly_pack_objections():
    return pack_section(
        ("序号", "回执码", "类别", "事项", "收到日期", "答复期限", "办理情况"),
        (
            ("{{ row.number }}", C),
            ("{{ row.receipt }}", C),
            ("{{ row.kind }}", C),
            ("{{ row.subject }}", L),
            ("{{ row.received_on }}", C),
            ("{{ row.due_on }}", C),
            ("{{ row.state }}", L),
        ),
        widths_mm(13, 28, 22, 80, 31, 31, 42),
    )


def monthly_pack_seals():
    return pack_section(
        ("序号", "用印时间", "文件", "页", "事由", "关联办件", "经办人"),
        (
            ("{{ row.number }}", C),
            ("{{ row.placed_at }}", C),
            ("{{ row.document }}", L),
            ("{{ row.page }}", C),
            ("{{ row.purpose }}", L),
            ("{{ row.case_id }}", C),
            ("{{ row.operator }}", C),
        ),
        widths_mm(13, 34, 66, 11, 63, 36, 24),
    )


def district_summary():
    """The district's month: one row per village (town subtotals), one per item."""
    doc = landscape(new_document(body_size=12))
    paragraph(doc, "{{ title }}", style="Title")
    paragraph(
        doc,
        "统计期间：{{ period }}　　制表单位：{{ issuer }}　　制表日期：{{ issued_on }}",
        align=WD_ALIGN_PARAGRAPH.CENTER,
        size=12,
    )
    body_text(doc, "{{ summary }}", size=12).paragraph_format.space_before = Pt(6)
    paragraph(doc, "一、分村统计", face=SANS, size=14).paragraph_format.space_before = Pt(6)
    villages = loop_table(
        doc,
        ("镇（街道）", "村（社区）", "本月办件", "其中办结", "逾期", "违规", "用印", "涉及事项"),
        (
            ("{{ row.town }}", C),
            ("{{ row.village }}", C),
            ("{{ row.cases }}", C),
            ("{{ row.closed }}", C),
            ("{{ row.overdue }}", C),
            ("{{ row.irregular }}", C),
            ("{{ row.seal_uses }}", C),
            ("{{ row.used }}", L),
        ),
        widths_mm(30, 30, 20, 20, 18, 18, 18, 93),
        size=10.5,
    )
    keep_rows_whole(villages)
    paragraph(doc, "二、分事项统计", face=SANS, size=14).paragraph_format.space_before = Pt(12)
    paragraph(doc, "{%p if items %}")
    items = loop_table(
        doc,
        ("序号", "事项编码", "事项名称", "类别", "办件", "办结", "逾期", "违规", "涉及村数"),
        (
            ("{{ row.number }}", C),
            ("{{ row.code }}", C),
            ("{{ row.name }}", L),
            ("{{ row.category }}", C),
            ("{{ row.cases }}", C),
            ("{{ row.closed }}", C),
            ("{{ row.overdue }}", C),
            ("{{ row.irregular }}", C),
            ("{{ row.villages }}", C),
        ),
        widths_mm(13, 26, 61, 30, 20, 20, 20, 20, 37),
        size=10.5,
        loop="for row in items",
    )
    keep_rows_whole(items)
    paragraph(doc, "{%p endif %}")
    body_text(doc, "{{ note }}", size=12)
    return doc


BUILDERS = {
    "case_file_cover.docx": case_file_cover,
    "objection_record.docx": objection_record,
    "case_file_contents.docx": case_file_contents,
    "catalog_directory.docx": catalog_directory,
    "flowchart_page.docx": flowchart_page,
    "booklet_cover.docx": booklet_cover,
    "contents.docx": contents,
    "application.docx": application,
    "notification.docx": notification,
    "receipt.docx": receipt,
    "proxy_authorisation.docx": proxy_authorisation,
    "meeting_record.docx": meeting_record,
    "public_notice.docx": public_notice,
    "result_notice.docx": result_notice,
    "monthly_pack_cover.docx": monthly_pack_cover,
    "monthly_pack_list.docx": monthly_pack_list,
    "monthly_pack_process.docx": monthly_pack_process,
    "monthly_pack_results.docx": monthly_pack_results,
    "monthly_pack_overdue.docx": monthly_pack_overdue,
    "monthly_pack_irregularities.docx": monthly_pack_irregularities,
    "monthly_pack_seals.docx": monthly_pack_seals,
    "monthly_pack_objections.docx": monthly_pack_objections,
    "district_summary.docx": district_summary,
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
