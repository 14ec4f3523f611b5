"""The messages of the documents, in Chinese and English (see ``pipeline.errors.Bilingual``)."""

from __future__ import annotations

from pipeline.errors import Bilingual

# --- pdftext.py
PDF_UNREADABLE = Bilingual("{pdf}: 无法读取 PDF", "cannot read the PDF: {error}")

# --- render.py
MANIFEST_UNREADABLE = Bilingual("模板清单无法读取", "cannot read {manifest}: {error}")
NO_SUCH_TEMPLATE = Bilingual(
    "模板清单中没有 {name!r}", "no template {name!r} in {manifest} (known: {known})"
)
TEMPLATE_FILE_MISSING = Bilingual("模板文件缺失", "template file missing: {path}")
TEMPLATE_FILE_DAMAGED = Bilingual(
    "模板文件已损坏",
    "template {file} ({title}) is not a readable Word document: {error}. Restore it from the "
    "project's templates/ folder, or save it again from Word as .docx",
)
TEMPLATE_SYNTAX = Bilingual("模板语法错误", "template syntax error in {file}, line {line}: {error}")
TEMPLATE_SYNTAX_TAGS = Bilingual(
    "模板语法错误",
    "template syntax error in {file}, line {line}: {error}. "
    "Open the template and fix the {{{{ }}}} / {{% %}} tags.",
)
FIELDS_NOT_LISTED = Bilingual(  # printed side by side, one problem of TEMPLATE_NOT_AS_LISTED
    "用到清单未列的字段", "uses fields not listed: {fields}"
)
LISTED_FIELDS_UNUSED = Bilingual(  # printed side by side, as FIELDS_NOT_LISTED
    "没有用到清单所列的字段", "lacks listed fields: {fields}"
)
TEMPLATE_NOT_AS_LISTED = Bilingual(
    "模板 {file}（{title}）与 manifest.yaml 不符",
    "template {name} does not match its manifest entry: {problems}. "
    "Restore the {{{{ }}}} fields in the template, or update manifest.yaml.",
)
TEMPLATE_FIELDS_MISSING = Bilingual(
    "模板 {file}（{title}）缺少字段", "template {name} is missing field(s): {fields}"
)
TEMPLATE_VALUE_MISSING = Bilingual("模板 {file} 用到的值缺失", "template {name}: {error}")

# --- stamp.py
SEAL_WITHOUT_NAME = Bilingual("印章文字不能为空", "the seal needs the organisation's name")
NO_PLACE_FOR_SEAL = Bilingual(
    "{pdf}: 找不到盖章位置的文字“{needle}”",
    "no text {needle!r} to place the seal over; "
    "the template must print the issuer's name where the seal goes",
)

# flowchart.py
CHART_SLOT_NOT_FOUND = Bilingual(
    "流程图页面模板应有且仅有一张图片",
    "{page}: the flowchart page has {count} images; its template must hold exactly one, "
    "the chart's place",
)
