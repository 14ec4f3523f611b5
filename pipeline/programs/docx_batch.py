"""Many documents through one LibreOffice call: join the DOCX files, cut the PDF apart.

LibreOffice spends about 0.1 s on every document it opens and exports, however
short; a page of content costs about 15 ms more. The converter pool therefore
joins documents waiting at the same time into one DOCX, converts that once and
cuts the PDF back into one file per document.

Only documents with the same styles, settings, numbering, fonts and theme are
joined (:func:`batch_key`): those parts are taken from the first document, so
they must be the same in all. Each document keeps its own section — its page
size and margins, and its footer (a notice's QR code and 核验码, verification
code) with the footer's pictures — and starts on a new page. A bookmark at the
start of each document is exported as a PDF named destination, which says where
to cut.
"""

from __future__ import annotations

import itertools
import posixpath
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pikepdf
from lxml import etree

from pipeline.errors import ConversionError

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_DOCUMENT = "word/document.xml"
_DOCUMENT_RELS = "word/_rels/document.xml.rels"
_CONTENT_TYPES = "[Content_Types].xml"
# Taken from the first document for all: they must be byte-identical to join.
_SHARED_PARTS = (
    "word/styles.xml",
    "word/settings.xml",
    "word/numbering.xml",
    "word/fontTable.xml",
    "word/theme/theme1.xml",
)
# Children of w:sectPr that come after w:pgNumType in the schema's order.
_AFTER_PAGE_NUMBERS = {
    "cols", "formProt", "vAlign", "noEndnote", "titlePg", "textDirection", "bidi",
    "rtlGutter", "docGrid", "printerSettings", "sectPrChange",
}  # fmt: skip
_MARK = "xwqlpart"  # letters and digits only: LibreOffice escapes the rest in the PDF


class BatchRefused(ConversionError):
    """The documents cannot be joined (or the joined PDF cut); convert them one by one."""


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


def batch_key(docx: Path) -> tuple[int, ...] | None:
    """What must match for documents to be joined; None for a file that cannot be."""
    try:
        with zipfile.ZipFile(docx) as package:
            names = set(package.namelist())
            if _DOCUMENT not in names or _DOCUMENT_RELS not in names:
                return None
            # The CRCs in the zip directory: no part is read or inflated.
            return tuple(
                package.getinfo(name).CRC if name in names else -1 for name in _SHARED_PARTS
            )
    except (OSError, zipfile.BadZipFile):
        return None


def mark_name(index: int) -> str:
    """The bookmark (and PDF named destination) that marks where document ``index`` begins."""
    return f"{_MARK}{index}"


class _Joiner:
    """Builds the joined package: the first document's parts, the others' bodies and parts."""

    def __init__(self, first: zipfile.ZipFile) -> None:
        self.first = first
        self.rels = etree.fromstring(first.read(_DOCUMENT_RELS))
        self.types = etree.fromstring(first.read(_CONTENT_TYPES))
        self.added: dict[str, bytes] = {}
        self.defaults = {d.get("Extension", "").lower() for d in self.types}
        self.overrides = {o.get("PartName") for o in self.types}

    def _content_type(self, package: zipfile.ZipFile, source: str, part: str) -> None:
        """Declare ``part``, copied from ``source`` in ``package``, with the type it had there."""
        types = etree.fromstring(package.read(_CONTENT_TYPES))
        name = "/" + part
        for entry in types:
            if entry.get("PartName") == "/" + source and name not in self.overrides:
                self.types.append(
                    etree.Element(
                        f"{{{_TYPES}}}Override", PartName=name, ContentType=entry.get("ContentType")
                    )
                )
                self.overrides.add(name)
                return
        extension = posixpath.splitext(part)[1].lstrip(".").lower()
        if extension not in self.defaults:
            for entry in types:
                if entry.get("Extension", "").lower() == extension:
                    self.types.append(
                        etree.Element(
                            f"{{{_TYPES}}}Default",
                            Extension=extension,
                            ContentType=entry.get("ContentType"),
                        )
                    )
                    self.defaults.add(extension)
                    return
            raise BatchRefused(f"no content type for {part}")

    def _copy_part(self, package: zipfile.ZipFile, source: str, index: int) -> str:
        """Copy part ``source`` (and what it refers to) under a name of document ``index``."""
        folder, name = posixpath.split(source)
        target = posixpath.join(folder, f"p{index}-{name}")
        if target in self.added:
            return target
        self.added[target] = package.read(source)
        self._content_type(package, source, target)
        rels_name = posixpath.join(folder, "_rels", f"{name}.rels")
        if rels_name in package.namelist():
            rels = etree.fromstring(package.read(rels_name))
            for rel in rels:
                if rel.get("TargetMode") == "External":
                    continue
                inner = posixpath.normpath(posixpath.join(folder, rel.get("Target")))
                copied = self._copy_part(package, inner, index)
                rel.set("Target", posixpath.relpath(copied, folder))
            self.added[posixpath.join(folder, "_rels", f"p{index}-{name}.rels")] = _xml(rels)
        return target

    def adopt(self, package: zipfile.ZipFile, body: etree._Element, index: int) -> None:
        """Re-point the relationships ``body`` uses to copies in the joined package."""
        rels = {rel.get("Id"): rel for rel in etree.fromstring(package.read(_DOCUMENT_RELS))}
        renamed: dict[str, str] = {}
        for element in body.iter():
            for attribute, value in element.attrib.items():
                if not attribute.startswith(f"{{{_R}}}"):
                    continue
                if value not in renamed:
                    rel = rels.get(value)
                    if rel is None:
                        raise BatchRefused(f"document {index} refers to a missing part {value}")
                    new_id = f"rIdP{index}x{value}"
                    copy = etree.SubElement(self.rels, f"{{{_RELS}}}Relationship", rel.attrib)
                    copy.set("Id", new_id)
                    if rel.get("TargetMode") != "External":
                        target = self._copy_part(
                            package,
                            posixpath.normpath(posixpath.join("word", rel.get("Target"))),
                            index,
                        )
                        copy.set("Target", posixpath.relpath(target, "word"))
                    renamed[value] = new_id
                element.set(attribute, renamed[value])

    def write(self, document: etree._Element, target: Path) -> None:
        replaced = {
            _DOCUMENT: _xml(document),
            _DOCUMENT_RELS: _xml(self.rels),
            _CONTENT_TYPES: _xml(self.types),
        }
        # Stored, not deflated: LibreOffice reads it once, right away.
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as joined:
            for info in self.first.infolist():
                data = replaced.get(info.filename)
                joined.writestr(info.filename, data if data is not None else self.first.read(info))
            for name, data in self.added.items():
                joined.writestr(name, data)


def _xml(element: etree._Element) -> bytes:
    data: bytes = etree.tostring(element, xml_declaration=True, encoding="UTF-8", standalone=True)
    return data


def _end_section(content: list[etree._Element], section: etree._Element) -> None:
    """Make ``section`` the properties of the section that ends with ``content``."""
    last = content[-1] if content else None
    if last is None or last.tag != _w("p"):
        # LibreOffice ends a document that ends in a table with an empty paragraph
        # anyway; here it holds the section break.
        last = etree.Element(_w("p"))
        content.append(last)
    properties = last.find(_w("pPr"))
    if properties is None:
        properties = etree.Element(_w("pPr"))
        last.insert(0, properties)
    change = properties.find(_w("pPrChange"))
    if change is not None:
        change.addprevious(section)
    else:
        properties.append(section)


def _restart_page_numbers(section: etree._Element) -> None:
    """Each document counts its pages from 1, as it would alone."""
    numbers = section.find(_w("pgNumType"))
    if numbers is None:
        numbers = etree.Element(_w("pgNumType"))
        for child in section:
            if etree.QName(child).localname in _AFTER_PAGE_NUMBERS:
                child.addprevious(numbers)
                break
        else:
            section.append(numbers)
    numbers.set(_w("start"), "1")


def _mark_start(content: list[etree._Element], index: int) -> None:
    """A bookmark in the document's first paragraph (inside a table if it starts with one)."""
    paragraph = next((p for element in content for p in element.iter(_w("p"))), None)
    if paragraph is None:
        raise BatchRefused(f"document {index} has no paragraph")
    mark_id = str(900000 + index)
    start = etree.Element(_w("bookmarkStart"), {_w("id"): mark_id, _w("name"): mark_name(index)})
    end = etree.Element(_w("bookmarkEnd"), {_w("id"): mark_id})
    properties = paragraph.find(_w("pPr"))
    at = 0 if properties is None else list(paragraph).index(properties) + 1
    paragraph.insert(at, start)
    paragraph.insert(at + 1, end)


def join_docx(sources: Sequence[Path], target: Path) -> None:
    """Join ``sources`` (same :func:`batch_key`) into ``target``, each on its own pages.

    Raises:
        BatchRefused: A source cannot be joined (unreadable, or parts that differ).
    """
    if not sources:
        raise BatchRefused("nothing to join")
    packages = []
    try:
        for source in sources:
            try:
                packages.append(zipfile.ZipFile(source))
            except (OSError, zipfile.BadZipFile) as exc:
                raise BatchRefused(f"{source.name}: {exc}") from exc
        joiner = _Joiner(packages[0])
        document = etree.fromstring(packages[0].read(_DOCUMENT))
        body = document.find(_w("body"))
        if body is None:
            raise BatchRefused(f"{sources[0].name} has no body")
        joined: list[etree._Element] = []
        last_section: etree._Element | None = None
        for index, package in enumerate(packages):
            own = body if index == 0 else etree.fromstring(package.read(_DOCUMENT)).find(_w("body"))
            if own is None:
                raise BatchRefused(f"{sources[index].name} has no body")
            if index:
                joiner.adopt(package, own, index)
            content = list(own)
            section = content.pop() if content and content[-1].tag == _w("sectPr") else None
            if section is None:
                raise BatchRefused(f"{sources[index].name} has no section properties")
            _restart_page_numbers(section)
            _mark_start(content, index)
            if last_section is not None:
                _end_section(joined, last_section)
            joined.extend(content)
            last_section = section
        assert last_section is not None
        for child in list(body):
            body.remove(child)
        body.extend([*joined, last_section])
        joiner.write(document, target)
    except (KeyError, etree.XMLSyntaxError) as exc:
        raise BatchRefused(f"cannot join: {exc}") from exc
    finally:
        for package in packages:
            package.close()


def split_pdf(joined: Path, targets: Sequence[Path]) -> None:
    """Cut ``joined`` (converted from :func:`join_docx`) into ``targets``, in order.

    Each part keeps the PDF/A output intent, the XMP metadata and the PDF version of
    the whole.

    Raises:
        BatchRefused: The named destinations do not mark ``len(targets)`` documents in order.
    """
    with pikepdf.open(joined) as pdf:
        starts = _part_starts(pdf, len(targets))
        ends = [*starts[1:], len(pdf.pages)]
        for target, start, end in zip(targets, starts, ends, strict=True):
            part = pikepdf.new()
            for key in ("/OutputIntents", "/Metadata", "/Lang", "/ViewerPreferences"):
                if key in pdf.Root:
                    part.Root[key] = _copy(part, pdf.Root[key])
            for key, value in pdf.docinfo.items():
                part.docinfo[key] = _copy(part, value)
            part.pages.extend(pdf.pages[start:end])
            drop_blank_last_pages(part)
            for page in part.pages:
                # LibreOffice may give all pages one resource dictionary: without this
                # every part would carry every picture of the batch.
                page.remove_unreferenced_resources()
            partial = target.with_name(f".{target.name}.part.pdf")
            # A new PDF would be written as 1.3; the part is of the version the whole was
            # (1.6 from LibreOffice), which its PDF/A-2 metadata requires (≥ 1.4).
            part.save(partial, min_version=pdf.pdf_version)
            partial.replace(target)


# Operators that put something on a page: paths painted, text shown, images drawn.
_MARKS = frozenset(
    {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "sh", "Do", "Tj", "TJ", "'", '"', "BI"}
)


def drop_blank_last_pages(document: pikepdf.Pdf) -> bool:
    """Remove empty pages at the end of a document (keeping one); whether any were.

    A document whose last table fills its page ends with an empty paragraph
    that LibreOffice sets on a page of its own: a blank page in the middle of a
    monthly pack. Whether it does can depend on a fraction of a point, so on
    whether the document was converted alone or joined: both ways drop it.
    """
    dropped = False
    while len(document.pages) > 1:
        page = document.pages[-1]
        if "/Annots" in page or any(
            str(instruction.operator) in _MARKS
            for instruction in pikepdf.parse_content_stream(page)
        ):
            break
        del document.pages[-1]
        dropped = True
    return dropped


def _copy(target: pikepdf.Pdf, value: pikepdf.Object) -> pikepdf.Object:
    # copy_foreign takes objects stored on their own; a direct value (a name, a
    # string, an array written inline) is copied by copying what it contains.
    if value.is_indirect:
        return target.copy_foreign(value)
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_copy(target, item) for item in value])
    if isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary({key: _copy(target, item) for key, item in value.items()})
    return value


def _destinations(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    """Named destinations: LibreOffice writes the PDF 1.1 /Dests dictionary; 1.2+ name trees too."""
    found: dict[str, pikepdf.Object] = {}
    if "/Dests" in pdf.Root:
        found.update((str(key).removeprefix("/"), value) for key, value in pdf.Root.Dests.items())
    names = pdf.Root.get("/Names")
    if names is not None and "/Dests" in names:
        found.update(pikepdf.NameTree(names.Dests).items())
    return found


def _part_starts(pdf: pikepdf.Pdf, count: int) -> list[int]:
    pages: dict[tuple[int, int], int] = {
        page.obj.objgen: number for number, page in enumerate(pdf.pages)
    }
    starts: dict[int, int] = {}
    for name, destination in _destinations(pdf).items():
        if not name.startswith(_MARK):
            continue
        array = destination.D if isinstance(destination, pikepdf.Dictionary) else destination
        page = pages.get(array[0].objgen)
        index = name.removeprefix(_MARK)
        if page is None or not index.isdigit():
            raise BatchRefused(f"destination {name} points to no page")
        starts[int(index)] = page
    ordered = [starts.get(index, -1) for index in range(count)]
    if ordered[:1] != [0] or any(b <= a for a, b in itertools.pairwise(ordered)):
        raise BatchRefused(f"the documents' first pages are not in order: {ordered}")
    return ordered
