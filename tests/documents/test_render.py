from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from pipeline.documents.render import TemplateSet, chinese_date, slim_template
from pipeline.errors import TemplateError
from pipeline.programs.soffice import ConverterPool

NASTY = "张𠮷䶮😀 <script>alert(1)</script> & {{ title }} {% if %} ]]> \"'"


def _document_xml(docx: Path) -> str:
    with zipfile.ZipFile(docx) as archive:
        return archive.read("word/document.xml").decode("utf-8")


def _text(docx: Path) -> str:
    return "\n".join(p.text for p in Document(str(docx)).paragraphs)


def _cover_context(**overrides: str) -> dict[str, str]:
    context = {
        "district": "临淄区", "title": "标题", "subtitle": "（试行）", "version": "2020.1",
        "effective_date": "2020年1月1日", "document_number": "临民字〔2020〕65号",
        "publisher": "淄博市临淄区民政局", "published_on": "2026年11月24日",
    }  # fmt: skip
    return context | overrides


def test_manifest_lists_exactly_the_fields_each_template_uses(templates: TemplateSet) -> None:
    assert {"booklet_cover", "catalog_directory", "contents", "flowchart_page"} <= set(
        templates.names
    )
    for name in templates.names:
        assert templates.declared_fields(name) == set(templates.spec(name).fields), name


def test_values_print_literally_and_stay_valid_xml(templates: TemplateSet, tmp_path: Path) -> None:
    target = templates.render("booklet_cover", _cover_context(title=NASTY), tmp_path / "c.docx")
    assert NASTY in _text(target)  # python-docx parses the XML: it is well formed
    xml = _document_xml(target)
    assert "&lt;script&gt;" in xml and "&amp;" in xml
    assert "<script>" not in xml


def test_missing_field_names_template_and_field(templates: TemplateSet, tmp_path: Path) -> None:
    context = _cover_context()
    del context["publisher"]
    with pytest.raises(TemplateError, match=r"booklet_cover.*publisher"):
        templates.render("booklet_cover", context, tmp_path / "c.docx")
    assert not (tmp_path / "c.docx").exists()


def test_missing_nested_value_is_an_error_not_a_blank(
    templates: TemplateSet, tmp_path: Path
) -> None:
    rows = [{"category": "x", "number": 1, "name": "y"}]  # no "code"
    with pytest.raises(TemplateError, match="code"):
        templates.render(
            "catalog_directory",
            {"title": "t", "rows": rows, "edition_line": ""},
            tmp_path / "d.docx",
        )


def test_unknown_template_is_named(templates: TemplateSet, tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="nope"):
        templates.render("nope", {}, tmp_path / "x.docx")


def _template_folder(tmp_path: Path, text: str) -> TemplateSet:
    document = Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    (tmp_path / "broken.docx").write_bytes(buffer.getvalue())
    (tmp_path / "manifest.yaml").write_text(
        "broken:\n  file: broken.docx\n  title: 坏模板\n  fields:\n    name: 名称\n",
        encoding="utf-8",
    )
    return TemplateSet(tmp_path)


def test_template_with_jinja_syntax_error_is_a_clear_error(tmp_path: Path) -> None:
    templates = _template_folder(tmp_path, "申请人：{{ name ")
    with pytest.raises(TemplateError, match=r"syntax error in broken\.docx"):
        templates.render("broken", {"name": "张三"}, tmp_path / "out.docx")


@pytest.mark.parametrize(
    ("day", "text"),
    [
        ("2026-11-24", "2026年11月24日"),
        ("2026-01-05", "2026年1月5日"),
        ("2020-10-01", "2020年10月1日"),
    ],
)
def test_chinese_date(day: str, text: str) -> None:
    import datetime as dt

    assert chinese_date(dt.date.fromisoformat(day)) == text


@pytest.fixture
def edited(
    tmp_path: Path, templates: TemplateSet
) -> Callable[[Callable[[Any], None]], TemplateSet]:
    """The shipped templates with public_notice.docx changed as a clerk could in Word."""

    def edit(change: Callable[[Any], None]) -> TemplateSet:
        folder = tmp_path / "templates"
        shutil.copytree(templates.folder, folder)
        path = folder / "public_notice.docx"
        document = Document(str(path))
        change(document)
        document.save(str(path))
        return TemplateSet(folder)

    return edit


def _drop_phones(document: Any) -> None:
    (line,) = [p for p in document.paragraphs if "supervision_phone" in p.text]
    line._element.getparent().remove(line._element)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.add_paragraph("村委会主任：{{ village_head }}"), r"not listed: village_head"),
        (_drop_phones, r"lacks listed fields: district_supervision_phone, village_supervision_"),
        (
            lambda d: d.add_paragraph("申请人：{{ applicant "),
            r"syntax error in public_notice\.docx",
        ),
    ],
    ids=["field not in the manifest", "manifest field deleted", "unclosed {{"],
)
def test_an_edited_template_is_refused_naming_it_and_the_problem(
    edited: Callable[[Callable[[Any], None]], TemplateSet],
    tmp_path: Path,
    change: Callable[[Any], None],
    problem: str,
) -> None:
    """Even with every value at hand: a notice must not silently lose its supervision phones."""
    broken = edited(change)
    context = dict.fromkeys(broken.spec("public_notice").fields, "x") | {"village_head": "王五"}
    with pytest.raises(TemplateError, match=problem) as caught:
        broken.render("public_notice", context, tmp_path / "notice.docx")
    assert "public_notice" in str(caught.value) and caught.value.exit_code == 6
    assert not (tmp_path / "notice.docx").exists()


@pytest.mark.soffice
@pytest.mark.parametrize("name", ["public_notice", "monthly_pack_list", "case_file_cover"])
def test_a_slimmed_template_prints_exactly_as_the_template(
    name: str, templates: TemplateSet, pool: ConverterPool, tmp_path: Path
) -> None:
    original = templates.spec(name).path.read_bytes()
    slimmed = slim_template(original)
    assert len(slimmed) < len(original) / 2
    with zipfile.ZipFile(io.BytesIO(slimmed)) as package:
        assert "word/stylesWithEffects.xml" not in package.namelist()
        assert b"latentStyles" not in package.read("word/styles.xml")
    pages = {}
    for label, data in (("original", original), ("slimmed", slimmed)):
        docx = tmp_path / f"{label}.docx"
        docx.write_bytes(data)  # the {{ fields }} print as they are: the layout is compared
        pdf = pool.convert(docx, tmp_path / f"{label}.pdf")
        subprocess.run(
            ["pdftoppm", "-r", "40", "-gray", str(pdf), str(tmp_path / label)], check=True
        )
        pages[label] = [p.read_bytes() for p in sorted(tmp_path.glob(f"{label}-*.pgm"))]
    assert pages["slimmed"] == pages["original"]


def test_a_damaged_template_file_is_a_clear_template_error(
    templates: TemplateSet, tmp_path: Path
) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(templates.folder, folder)
    (folder / "receipt.docx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(TemplateError, match=r"receipt\.docx.*not a readable Word document"):
        TemplateSet(folder).declared_fields("receipt")
