"""Page text and a phrase's place through PDFium, on PDFs LibreOffice made."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from pipeline.documents.pdftext import read_pdf_text
from pipeline.errors import PdfUnreadable
from pipeline.programs.soffice import ConverterPool


def _converted(pool: ConverterPool, folder: Path, name: str, lines: list[str]) -> Path:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    folder.mkdir(parents=True, exist_ok=True)
    document.save(str(folder / f"{name}.docx"))
    return pool.convert(folder / f"{name}.docx", folder / f"{name}.pdf")


@pytest.mark.soffice
def test_a_character_outside_the_bmp_does_not_shift_the_phrase(
    pool: ConverterPool, tmp_path: Path
) -> None:
    # PDFium counts 𠮷 as two characters and its text as one: the place of what
    # follows it must still be that of the phrase, as on a page without it.
    plain = _converted(pool, tmp_path, "plain", ["申请人：张三", "南马村民委员会"])
    rare = _converted(pool, tmp_path, "rare", ["申请人：张𠮷", "南马村民委员会"])

    expected = read_pdf_text(plain, find="南马村民委员会").found
    text = read_pdf_text(rare, find="南马村民委员会")

    assert "张𠮷" in text.text
    assert expected is not None and text.found is not None
    assert (text.found.page, round(text.found.x), round(text.found.y)) == (
        expected.page, round(expected.x), round(expected.y),
    )  # fmt: skip
    assert text.found.width == pytest.approx(expected.width, abs=0.5)
    assert read_pdf_text(rare, find="张𠮷").found is not None


@pytest.mark.soffice
def test_pages_in_order_and_a_phrase_on_a_later_page(pool: ConverterPool, tmp_path: Path) -> None:
    lines = [f"第{n}行" for n in range(1, 80)] + ["南马村民委员会"]
    pdf = _converted(pool, tmp_path, "long", lines)

    text = read_pdf_text(pdf, find="南 马 村")  # white space in the phrase is ignored

    assert len(text.pages) > 1
    assert text.pages[0].startswith("第1行") and "南马村民委员会" in text.pages[-1]
    assert text.found is not None and text.found.page == len(text.pages) - 1
    assert read_pdf_text(pdf, find="不在此页").found is None
    assert read_pdf_text(pdf).found is None  # nothing asked for


def test_a_file_that_is_not_a_pdf_is_unreadable(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    with pytest.raises(PdfUnreadable, match=r"bad\.pdf"):
        read_pdf_text(bad)
