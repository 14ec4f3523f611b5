from __future__ import annotations

import subprocess
from pathlib import Path

import pikepdf
import pytest

from pipeline.documents.collate import DocumentInfo, Part, collate, contents_entries
from pipeline.documents.render import TemplateSet
from pipeline.programs.soffice import ConverterPool
from tests.conftest import assert_fonts_embedded_sc, pdf_text


def _page_text(pdf: Path, page: int) -> str:
    """The page's text without whitespace (pdftotext spaces the dashes unevenly)."""
    text = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return "".join(text.split())


@pytest.fixture(scope="module")
def parts(
    pool: ConverterPool, templates: TemplateSet, tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    folder = tmp_path_factory.mktemp("parts")
    rows = [
        {"category": "类", "number": n, "name": f"事项{n}", "code": f"xwql-{n:03d}"}
        for n in range(1, 61)
    ]
    jobs = [
        ("contents", {"title": "目录", "entries": []}),
        ("catalog_directory", {"title": "甲", "rows": rows, "edition_line": "版本"}),
        ("catalog_directory", {"title": "乙", "rows": rows[:3], "edition_line": "版本"}),
    ]
    pdfs = []
    for index, (name, context) in enumerate(jobs):
        docx = templates.render(name, context, folder / f"{index}.docx")
        pdfs.append(pool.convert(docx, folder / f"{index}.pdf"))
    return pdfs


@pytest.mark.soffice
def test_collation_numbers_bookmarks_and_keeps_pdfa(parts: list[Path], tmp_path: Path) -> None:
    front, long_part, short_part = parts
    with pikepdf.open(long_part) as pdf:
        long_pages = len(pdf.pages)
    assert long_pages >= 2
    layout = [
        Part(front, title="目录", numbered=False),
        Part(long_part, title="甲表", group="第一组"),
        Part(short_part, title="乙表", group="第一组"),
    ]
    target = tmp_path / "merged.pdf"
    total = collate(layout, target, DocumentInfo(title="合订测试", author="临淄区"))
    assert total == 1 + long_pages + 1
    with pikepdf.open(target) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
        assert pdf.open_metadata()["dc:title"] == "合订测试"
        with pdf.open_outline() as outline:
            titles = [(item.title, [c.title for c in item.children]) for item in outline.root]
        assert titles == [("目录", []), ("第一组", ["甲表", "乙表"])]
        assert "/StructTreeRoot" not in pdf.Root
    assert "—1—" not in _page_text(target, 1)  # front matter unnumbered
    assert "—1—" in _page_text(target, 2)
    assert f"—{long_pages + 1}—" in _page_text(target, total)
    assert_fonts_embedded_sc(target)
    check = subprocess.run(["qpdf", "--check", str(target)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "甲" in pdf_text(target)


@pytest.mark.soffice
def test_contents_entries_give_printed_page_numbers(parts: list[Path]) -> None:
    _, long_part, short_part = parts
    with pikepdf.open(long_part) as pdf:
        long_pages = len(pdf.pages)
    entries = contents_entries(
        [Part(long_part, title="甲表", group="组"), Part(short_part, title="乙表", group="组")]
    )
    assert [(e.title, e.level, e.page) for e in entries] == [
        ("组", 0, 1), ("甲表", 1, 1), ("乙表", 1, long_pages + 1),
    ]  # fmt: skip
