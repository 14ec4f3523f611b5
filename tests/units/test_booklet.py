"""The published catalog, end to end through the command line (real LibreOffice)."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest

from pipeline.catalog import Catalog
from pipeline.catalog.model import DRAFT_MARK, Provenance
from pipeline.units.booklet import chinese_number
from tests.conftest import ROOT, SEED, assert_fonts_embedded_sc, pdf_text

pytestmark = [pytest.mark.soffice, pytest.mark.slow]
XWQL = str(ROOT / ".venv" / "bin" / "xwql")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, settings) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("published")
    done = subprocess.run(
        [XWQL, "catalog", "publish", "--out", str(out), "--date", "2026-11-24"],
        capture_output=True, text=True, timeout=600, check=False,
        env={"XWQL_DATA": str(settings.data / "publish"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def _one(out: Path, pattern: str) -> Path:
    (match,) = out.glob(pattern)
    return match


def test_booklet_has_cover_contents_directory_and_50_flowcharts(
    published: Path, catalog: Catalog
) -> None:
    booklet = _one(published, "*流程图汇编.pdf")
    with pikepdf.open(booklet) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
        with pdf.open_outline() as outline:
            top = [item.title for item in outline.root]
            flowcharts = [c.title for item in outline.root for c in item.children]
        pages = len(pdf.pages)
    assert top[:3] == ["封面", "目录", "附件1 村级小微权力事项基本目录"]
    assert top[3] == "附件2 · 一、村级重大决策" and top[-1] == "附件2 · 十五、乡村建设"
    assert flowcharts == [f"{item.code} {item.name}" for item in catalog]
    assert pages >= 1 + 1 + 1 + 50
    assert_fonts_embedded_sc(booklet)
    check = subprocess.run(["qpdf", "--check", str(booklet)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_every_flowchart_is_one_page(published: Path, catalog: Catalog) -> None:
    booklet = _one(published, "*流程图汇编.pdf")
    with pikepdf.open(booklet) as pdf, pdf.open_outline() as outline:
        starts = [c.destination[0].objgen for item in outline.root for c in item.children]
        page_of = {page.objgen: index for index, page in enumerate(pdf.pages)}
        indexes = [page_of[s] for s in starts]
        assert indexes == list(range(indexes[0], indexes[0] + 50))
        assert indexes[-1] == len(pdf.pages) - 1


def test_directory_lists_all_50_items_as_attachment1(published: Path, catalog: Catalog) -> None:
    directory = _one(published, "*附件1目录.pdf")
    text = "".join(pdf_text(directory).split())
    for item in catalog:
        assert item.code in text
    # A long name wraps in its cell, so the text interleaves it with its code and with
    # the header repeated on each page: take those out before looking for the names.
    names = re.sub(r"xwql-\d{3}|类别序号事项名称流程图序号", "", text)
    for item in catalog:
        assert item.name in names
    assert "乡村建设" in text and "农业农村" not in text
    assert_fonts_embedded_sc(directory)


def test_cover_is_dated_and_stamped(published: Path) -> None:
    booklet = _one(published, "*流程图汇编.pdf")
    cover = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(booklet), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "2026年11月24日" in cover and "淄博市临淄区民政局" in cover
    compact = "".join(cover.split())
    assert "临淄区民政局等二十部门临民字〔2020〕65号" in compact  # the issuers, as the source
    assert "施行日期：2020年1月1日（示例）" in compact  # the source gives no date
    with pikepdf.open(booklet) as pdf:
        images = [
            x for x in pdf.pages[0].Resources.XObject.values() if x.get("/Subtype") == "/Image"
        ]
        assert any("/SMask" in image for image in images)
    with (published / "用印登记.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and rows[0]["印章"] == "淄博市临淄区民政局" and rows[0]["页"] == "1"


def test_flowchart_page_shows_item_facts_and_supervision_phone(
    published: Path, catalog: Catalog
) -> None:
    booklet = _one(published, "*流程图汇编.pdf")
    text = "".join(pdf_text(booklet).split())
    item = catalog.get("xwql-032")
    assert f"{item.code}{item.name}" in text or item.name in text
    assert "原文（临民字〔2020〕65号附件2）" in text
    assert "起草稿，待区里确认" in text
    # The source gives no phone: the edition's sample one says it is a sample.
    assert "监督电话：0533-7211234（示例）" in text
    assert "联系电话：见各村村务公开栏" in text


def test_snapshot_diffs_clean_against_the_catalog(published: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("catalog", "diff", str(_one(published, "catalog-*.json")), "catalog", "--json")
    assert result.code == 0 and result.out.strip() == "[]"


@pytest.mark.parametrize(
    ("value", "text"),
    [(1, "一"), (10, "十"), (11, "十一"), (15, "十五"), (20, "二十"), (42, "四十二")],
)
def test_chinese_numbers(value: int, text: str) -> None:
    assert chinese_number(value) == text


def _page_text(booklet: Path, page: int) -> str:
    """A page's text in the order it was drawn, without whitespace (lines wrap anywhere)."""
    text = subprocess.run(
        ["pdftotext", "-raw", "-f", str(page), "-l", str(page), str(booklet), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return "".join(text.split())


def test_every_step_of_every_flow_is_text_in_the_booklet(published: Path, catalog: Catalog) -> None:
    """The charts are vector, their text selectable and whole: no step is cut or an image."""
    booklet = _one(published, "*流程图汇编.pdf")
    with pikepdf.open(booklet) as pdf, pdf.open_outline() as outline:
        starts = [c.destination[0].objgen for item in outline.root for c in item.children]
        page_of = {page.objgen: index + 1 for index, page in enumerate(pdf.pages)}
        images = [len(page.get_images()) for page in pdf.pages]
    missing = []
    for item, start in zip(catalog, starts, strict=True):
        page = page_of[start]
        assert images[page - 1] == 0, f"{item.code}: its chart is still an image"
        text = _page_text(booklet, page)
        for number, step in enumerate(item.steps, start=1):
            for part in (f"{number}.{step.name}", step.action, step.actor):
                if "".join(part.split()) not in text:
                    missing.append(f"{item.code} step {number}: {part[:30]}")
    assert missing == []


def test_the_source_flows_are_the_source_text(published: Path, catalog: Catalog) -> None:
    """The four flows Attachment 2 gives as text, step by step as the source words them."""
    source = "".join(SEED.read_text(encoding="utf-8").split())
    flows = [item for item in catalog if item.provenance == Provenance.SOURCE]
    assert len(flows) == 4
    for item in flows:
        for step in item.steps:
            assert "".join(step.action.split()) in source, f"{item.code}: {step.action[:30]}"
    # Item 34's third step, once cut at 110 characters on its page, is whole.
    (xiaoshan,) = [item for item in flows if item.code == "xwql-034"]
    booklet = _one(published, "*流程图汇编.pdf")
    assert "".join(xiaoshan.steps[2].action.split()) in "".join(pdf_text(booklet).split())


LABELS = (
    ("行使依据", "basis"), ("行使主体", "acting_body"), ("经办岗位", "handling"),
    ("监督与责任追究：", "supervision"),
)  # fmt: skip


def test_no_drafted_field_is_printed_without_its_mark(published: Path, catalog: Catalog) -> None:
    """行使依据, 行使主体, 经办岗位 and 监督 are not in the source: each page says so."""
    booklet = _one(published, "*流程图汇编.pdf")
    with pikepdf.open(booklet) as pdf, pdf.open_outline() as outline:
        starts = [c.destination[0].objgen for item in outline.root for c in item.children]
        page_of = {page.objgen: index + 1 for index, page in enumerate(pdf.pages)}
    unmarked = []
    for item, start in zip(catalog, starts, strict=True):
        text = _page_text(booklet, page_of[start])
        for label, field in LABELS:
            if item.drafted(field) and f"{label}{DRAFT_MARK}" not in text:
                unmarked.append(f"{item.code} {label}")
    assert unmarked == []


def test_an_edition_without_its_supervision_phone_is_not_published(
    catalog_copy: Path,
    settings,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    edition = catalog_copy / "edition.yaml"
    text = edition.read_text(encoding="utf-8")
    edition.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("supervision_phone")),
        encoding="utf-8",
    )
    done = subprocess.run(
        [XWQL, "catalog", "publish", "--catalog", str(catalog_copy), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=600, check=False,
        env={"XWQL_DATA": str(settings.data / "publish"), "PATH": "/usr/bin:/bin",
             "COLUMNS": "400"},
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "edition.yaml: supervision_phone" in done.stderr and "Traceback" not in done.stderr
    assert not list((tmp_path / "o").glob("*.pdf"))
