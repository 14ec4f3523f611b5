"""The PDF/A-2b rules a rewrite of a LibreOffice PDF/A can break, checked with pikepdf.

No full validator (veraPDF) runs here, so the tests check, over every PDF that
xwql writes after LibreOffice (split, stamped, collated, signed), the rules of
ISO 19005-2 such a rewrite could break; each problem names its clause.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pikepdf

from pipeline.pdfdate import info_matches_xmp

_HEADER = re.compile(rb"^%PDF-1\.([0-7])\r?\n")
# Document info entries and the XMP properties they must equal (6.6.2.3.1).
_INFO_XMP = (
    ("/Title", "dc:title"),
    ("/Author", "dc:creator"),
    ("/Subject", "dc:description"),
    ("/Keywords", "pdf:Keywords"),
    ("/Creator", "xmp:CreatorTool"),
    ("/Producer", "pdf:Producer"),
    ("/CreationDate", "xmp:CreateDate"),
    ("/ModDate", "xmp:ModifyDate"),
)


def pdfa_problems(path: Path) -> list[str]:
    """What in ``path`` breaks a PDF/A-2b rule a rewrite can break; empty when none does."""
    data = path.read_bytes()
    problems: list[str] = []
    header = _HEADER.match(data)
    if header is None or int(header.group(1)) < 4:
        problems.append(f"6.1.2 header: {data[:9]!r} (PDF/A-2 metadata needs 1.4 or later)")
    with pikepdf.open(path) as pdf:
        version = str(pdf.Root.get("/Version", "")).lstrip("/")
        if header is not None and version and version < f"1.{header.group(1).decode()}":
            problems.append(f"6.1.2 header 1.{header.group(1).decode()} above /Version {version}")
        if pdf.is_encrypted or "/Encrypt" in pdf.trailer:
            problems.append("6.1.3 encrypted")
        problems += _metadata_problems(pdf)
        if not _output_intent(pdf):
            problems.append("6.2.3 no PDF/A output intent (/GTS_PDFA1)")
        problems += _action_problems(pdf)
        for number, page in enumerate(pdf.pages, 1):
            problems += [f"page {number}: {p}" for p in _page_problems(pdf, page)]
    return problems


def _metadata_problems(pdf: pikepdf.Pdf) -> list[str]:
    if "/Metadata" not in pdf.Root:
        return ["6.6.2.1 no XMP metadata stream"]
    xmp = pdf.open_metadata()
    problems = []
    if xmp.get("pdfaid:part") != "2" or xmp.get("pdfaid:conformance") != "B":
        problems.append(
            f"6.6.4 pdfaid is part {xmp.get('pdfaid:part')} conformance "
            f"{xmp.get('pdfaid:conformance')}, not 2B"
        )
    for key, name in _INFO_XMP:
        if key in pdf.docinfo and not info_matches_xmp(pdf.docinfo[key], xmp.get(name)):
            problems.append(
                f"6.6.2.3.1 info {key} {str(pdf.docinfo[key])!r} ≠ XMP {name} {xmp.get(name)!r}"
            )
    return problems


def _output_intent(pdf: pikepdf.Pdf) -> bool:
    intents = pdf.Root.get("/OutputIntents", [])
    return any(str(intent.get("/S")) == "/GTS_PDFA1" for intent in intents)


def _action_problems(pdf: pikepdf.Pdf) -> list[str]:
    problems = []
    names = pdf.Root.get("/Names", {})
    if "/JavaScript" in names:
        problems.append("6.5.1 document-level JavaScript")
    if "/EmbeddedFiles" in names:
        problems.append("6.8 embedded files (external content)")
    if "/AA" in pdf.Root or ("/OpenAction" in pdf.Root and _is_forbidden(pdf.Root.OpenAction)):
        problems.append("6.5.1 document actions")
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and _is_forbidden(obj):
            problems.append(f"6.5.1 forbidden action {obj.get('/S')}")
    return problems


def _is_forbidden(action: object) -> bool:
    kind = str(action.get("/S")) if isinstance(action, pikepdf.Dictionary) else ""
    return kind in ("/JavaScript", "/Launch", "/ImportData", "/ResetForm", "/Sound", "/Movie")


def _xobjects(resources: pikepdf.Dictionary) -> Iterator[pikepdf.Stream]:
    """Every XObject a resource dictionary reaches, forms' own resources included."""
    seen: set[tuple[int, int]] = set()
    stack = [resources]
    while stack:
        current = stack.pop()
        for xobject in current.get("/XObject", {}).values():
            key = xobject.objgen
            if key in seen:
                continue
            seen.add(key)
            yield xobject
            if "/Resources" in xobject:
                stack.append(xobject.Resources)


def _page_problems(pdf: pikepdf.Pdf, page: pikepdf.Page) -> list[str]:
    problems = []
    resources = page.obj.get("/Resources", pikepdf.Dictionary())
    transparent = False
    for xobject in _xobjects(resources):
        if xobject.get("/Interpolate") is True:
            problems.append("6.2.8 an image with /Interpolate true")
        if "/Ref" in xobject or "/OPI" in xobject:
            problems.append("6.2.9 a reference XObject or OPI (external content)")
        if "/SMask" in xobject:
            transparent = True
        if str(xobject.get("/Subtype")) == "/PS":
            problems.append("6.2.9 a PostScript XObject")
    for font in _fonts(resources):
        descriptor = font.get("/FontDescriptor")
        if str(font.get("/Subtype")) == "/Type0":
            descriptor = font.DescendantFonts[0].get("/FontDescriptor")
        if str(font.get("/Subtype")) == "/Type3":
            continue  # glyphs are content streams: nothing to embed
        if descriptor is None or not any(
            key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
        ):
            problems.append(f"6.2.11.4.1 font {font.get('/BaseFont')} not embedded")
    if transparent and not _output_intent(pdf):
        group = page.obj.get("/Group")
        if group is None or "/CS" not in group:
            problems.append("6.2.10 transparency without an output intent or a page group /CS")
    return problems


def _fonts(resources: pikepdf.Dictionary) -> Iterator[pikepdf.Dictionary]:
    seen: set[tuple[int, int]] = set()
    holders = [resources, *(x.Resources for x in _xobjects(resources) if "/Resources" in x)]
    for holder in holders:
        for font in holder.get("/Font", {}).values():
            if font.objgen not in seen:
                seen.add(font.objgen)
                yield font
