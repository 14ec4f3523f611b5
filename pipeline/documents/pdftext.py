"""The text of a PDF's pages, and where a phrase is printed: for seals and the privacy check.

Also a page drawn as a PNG, for the screens that cannot show a PDF (the village board
on a phone).

Read with PDFium (pypdfium2) rather than pypdf: a notice's page takes about a
third of the time, and PDFium does it in C without holding Python's GIL, so
the threads rendering and archiving other documents go on meanwhile (pypdf's
reading was a fifth of the CPU of a district run). PDFium is not thread-safe:
every use of it goes through one lock.
"""

from __future__ import annotations

import ctypes
import io
import threading
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c

from pipeline.documents.messages import PDF_UNREADABLE
from pipeline.errors import PdfUnreadable

_PDFIUM = threading.Lock()
_SAME_LINE_PT = 2.0  # characters whose baselines differ by more are on different lines


@dataclass(frozen=True)
class Found:
    """Where a phrase is printed.

    Attributes:
        page: The page's index (0 for the first page).
        x: Where its first character starts, in points from the page's left.
        y: Its baseline, in points from the page's foot.
        width: From its first character to the end of the last one on the same
            line (a phrase cut by a line break is measured on its first line).
    """

    page: int
    x: float
    y: float
    width: float


@dataclass(frozen=True)
class PdfText:
    """A PDF's text, page by page, and where ``phrase`` was found (if asked for).

    Attributes:
        pages: Each page's text, lines separated by line breaks.
        phrase: The phrase looked for (white space in it is ignored), or None.
        found: Its first place, or None (not asked for, or not printed).
    """

    pages: tuple[str, ...]
    phrase: str | None = None
    found: Found | None = None

    @property
    def text(self) -> str:
        """The whole text, pages separated by line breaks."""
        return "\n".join(self.pages)


def read_pdf_text(pdf: Path, *, find: str | None = None) -> PdfText:
    """Every page's text of ``pdf``, and the first place of ``find`` (white space ignored).

    Raises:
        PdfUnreadable: PDFium cannot open the file.
    """
    wanted = "".join(find.split()) if find is not None else None
    pages: list[str] = []
    found: Found | None = None
    with _PDFIUM:
        document = _open(pdf)
        try:
            for index in range(len(document)):
                page = document[index]
                text_page = page.get_textpage()
                try:
                    pages.append(text_page.get_text_range())
                    if wanted and found is None:
                        found = _locate(text_page, pages[-1], wanted, index)
                finally:
                    text_page.close()
                    page.close()
        finally:
            document.close()
    return PdfText(tuple(pages), find, found)


def _locate(text_page: pypdfium2.PdfTextPage, text: str, wanted: str, page: int) -> Found | None:
    count = pdfium_c.FPDFText_CountChars(text_page)
    # Each of PDFium's characters is one character of the text, except those outside
    # the BMP (𠮷 in a name): two PDFium characters, one in the text.
    characters = list(enumerate(text)) if len(text) == count else _characters(text_page, count)
    printed = [(i, char) for i, char in characters if not char.isspace()]
    at = "".join(char for _, char in printed).find(wanted)
    if at < 0:
        return None
    indices = [i for i, _ in printed[at : at + len(wanted)]]
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(text_page, indices[0], origin_x, origin_y)
    right, char_x, char_y = origin_x.value, ctypes.c_double(), ctypes.c_double()
    for i in indices:
        pdfium_c.FPDFText_GetCharOrigin(text_page, i, char_x, char_y)
        if abs(char_y.value - origin_y.value) > _SAME_LINE_PT:
            break
        right = max(right, text_page.get_charbox(i)[2])
    return Found(page, origin_x.value, origin_y.value, right - origin_x.value)


def _characters(text_page: pypdfium2.PdfTextPage, count: int) -> list[tuple[int, str]]:
    """Each character with its PDFium index; a UTF-16 pair is one, at the first half's index."""
    codes = [pdfium_c.FPDFText_GetUnicode(text_page, i) for i in range(count)]
    characters, i = [], 0
    while i < count:
        high, low = codes[i], codes[i + 1] if i + 1 < count else 0
        if 0xD800 <= high < 0xDC00 and 0xDC00 <= low < 0xE000:
            characters.append((i, chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))))
            i += 2
        else:
            characters.append((i, chr(high)))
            i += 1
    return characters


def page_count(pdf: Path) -> int:
    """How many pages ``pdf`` has.

    Raises:
        PdfUnreadable: PDFium cannot open the file.
    """
    with _PDFIUM:
        document = _open(pdf)
        try:
            return len(document)
        finally:
            document.close()


def page_png(pdf: Path, index: int, *, width_px: int) -> bytes:
    """Page ``index`` (0 for the first) of ``pdf`` as a PNG ``width_px`` wide.

    Raises:
        PdfUnreadable: PDFium cannot open the file.
        IndexError: The PDF has no such page.
    """
    with _PDFIUM:
        document = _open(pdf)
        try:
            if not 0 <= index < len(document):
                raise IndexError(f"{pdf.name} has no page {index + 1}")
            page = document[index]
            try:
                bitmap = page.render(scale=width_px / page.get_width(), may_draw_forms=True)
                image = bitmap.to_pil().copy()  # its own pixels, not PDFium's buffer
            finally:
                page.close()
        finally:
            document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _open(pdf: Path) -> pypdfium2.PdfDocument:
    """The PDF opened with PDFium (the caller holds the lock)."""
    try:
        return pypdfium2.PdfDocument(pdf)
    except pypdfium2.PdfiumError as exc:
        raise PdfUnreadable(PDF_UNREADABLE(pdf=pdf.name, error=exc)) from exc
