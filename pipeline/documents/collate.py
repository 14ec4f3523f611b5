"""Collate PDFs into one document: merge, page numbers, bookmarks, metadata.

pikepdf (not pypdf) does the merge: a pypdf rewrite drops the PDF/A output
intent and XMP claim, while pikepdf keeps the first part's, so a collation of
PDF/A-2b parts is still PDF/A-2b. Page numbers follow GB/T 9704: ``— 7 —``,
odd pages at the right and even pages at the left, cover and contents unnumbered.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from pipeline.errors import OutputError
from pipeline.stages import stage

# A Latin serif TrueType face to embed for page numbers (ships with LibreOffice).
PAGE_NUMBER_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
_MM = 72 / 25.4


@dataclass(frozen=True)
class Part:
    """One input PDF of a collation.

    Attributes:
        pdf: The file to include.
        title: Bookmark (and contents) text; empty for none.
        group: Top-level bookmark this part is nested under (e.g. a category).
        numbered: Whether its pages carry page numbers.

    """

    pdf: Path
    title: str = ""
    group: str | None = None
    numbered: bool = True


@dataclass(frozen=True)
class ContentsEntry:
    """A line of the table of contents: title, level and printed page number."""

    title: str
    level: int
    page: int


@dataclass(frozen=True)
class DocumentInfo:
    """Descriptive metadata written into the collated PDF (XMP and Info)."""

    title: str
    author: str
    subject: str = ""
    keywords: str = ""


def page_count(pdf: Path) -> int:
    """Number of pages in ``pdf``."""
    with pikepdf.open(pdf) as document:
        return len(document.pages)


def contents_entries(parts: Sequence[Part]) -> list[ContentsEntry]:
    """Contents lines with printed page numbers (numbered pages count from 1)."""
    entries: list[ContentsEntry] = []
    groups_seen: set[str] = set()
    printed = 1
    for part in parts:
        count = page_count(part.pdf)
        if part.numbered:
            if part.group and part.group not in groups_seen:
                groups_seen.add(part.group)
                entries.append(ContentsEntry(part.group, 0, printed))
            if part.title:
                entries.append(ContentsEntry(part.title, 1 if part.group else 0, printed))
            printed += count
    return entries


def _page_number_overlay(sizes: Sequence[tuple[float, float]], first: int) -> pikepdf.Pdf:
    if "XwqlPageNumber" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("XwqlPageNumber", str(PAGE_NUMBER_FONT)))
    buffer = io.BytesIO()
    # The initial font must be the embedded one too, or reportlab declares Helvetica
    # (not embedded: not PDF/A).
    sheet = canvas.Canvas(
        buffer, pageCompression=1, initialFontName="XwqlPageNumber", initialFontSize=14
    )
    for offset, (width, height) in enumerate(sizes):
        number = first + offset
        sheet.setPageSize((width, height))
        sheet.setFont("XwqlPageNumber", 14)  # 4号
        label = f"— {number} —"
        baseline = 14 * _MM
        if number % 2:
            sheet.drawRightString(width - 26 * _MM - 14, baseline, label)
        else:
            sheet.drawString(28 * _MM + 14, baseline, label)
        sheet.showPage()
    sheet.save()
    return pikepdf.open(io.BytesIO(buffer.getvalue()))


def collate(parts: Sequence[Part], target: Path, info: DocumentInfo) -> int:
    """Merge ``parts`` into ``target`` with page numbers and bookmarks; return the page count."""
    with stage("collate"):
        if not parts:
            raise OutputError("nothing to collate")
        sources = [pikepdf.open(part.pdf) for part in parts]
        try:
            merged = sources[0]
            first_pages = [0]
            for source in sources[1:]:
                first_pages.append(len(merged.pages))
                merged.pages.extend(source.pages)
            numbered_pages = [
                index
                for part, start, source in zip(parts, first_pages, sources, strict=True)
                if part.numbered
                for index in range(start, start + len(source.pages))
            ]
            sizes = [
                (float(merged.pages[i].mediabox[2]), float(merged.pages[i].mediabox[3]))
                for i in numbered_pages
            ]
            overlay = _page_number_overlay(sizes, 1)
            for overlay_page, index in zip(overlay.pages, numbered_pages, strict=True):
                page = merged.pages[index]
                page.add_overlay(overlay_page, pikepdf.Rectangle(page.mediabox))
            # Each part's structure tree covers only its own pages; a merged tree would be
            # wrong, so the collation does not claim to be tagged (PDF/A-2b needs no tags).
            for key in ("/StructTreeRoot", "/MarkInfo"):
                if key in merged.Root:
                    del merged.Root[key]
            _write_outline(merged, parts, first_pages)
            _write_metadata(merged, info)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.part")
            merged.save(partial, deterministic_id=True)
            partial.replace(target)
            return len(merged.pages)
        finally:
            for source in sources:
                source.close()


def _write_outline(pdf: pikepdf.Pdf, parts: Sequence[Part], first_pages: Sequence[int]) -> None:
    with pdf.open_outline() as outline:
        outline.root.clear()
        groups: dict[str, pikepdf.OutlineItem] = {}
        for part, start in zip(parts, first_pages, strict=True):
            if not part.title:
                continue
            item = pikepdf.OutlineItem(part.title, start)
            if part.group:
                if part.group not in groups:
                    groups[part.group] = pikepdf.OutlineItem(part.group, start)
                    outline.root.append(groups[part.group])
                groups[part.group].children.append(item)
            else:
                outline.root.append(item)
    pdf.Root.PageMode = pikepdf.Name.UseOutlines


def _write_metadata(pdf: pikepdf.Pdf, info: DocumentInfo) -> None:
    now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:title"] = info.title
        meta["dc:creator"] = [info.author]
        if info.subject:
            meta["dc:description"] = info.subject
        if info.keywords:
            meta["pdf:Keywords"] = info.keywords
        meta["xmp:CreatorTool"] = "xwql"
        meta["xmp:ModifyDate"] = now
        meta["xmp:MetadataDate"] = now
