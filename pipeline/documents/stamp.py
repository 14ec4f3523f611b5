"""Official seals (公章): drawn with Pillow, placed on PDF pages over a marked text.

The seal is a red ring with the organisation's name along the upper arc, a
five-pointed star in the middle and an optional horizontal subtitle (e.g.
专用章), on a transparent background. It is embedded as an RGB image with a
soft mask, because Pillow's own PDF export drops the alpha channel (the seal
would become a red square hiding the text under it).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw, ImageFont

from pipeline.documents.messages import NO_PLACE_FOR_SEAL, SEAL_WITHOUT_NAME
from pipeline.documents.pdftext import PdfText, read_pdf_text
from pipeline.errors import TemplateError
from pipeline.programs.fonts import FontSetup
from pipeline.stages import stage

SEAL_DIAMETER_MM = 42.0  # common size of a village committee seal
_PIXELS = 840  # drawing resolution: about 500 dpi at 42 mm
_RED = (220, 24, 32)
_PT_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class Seal:
    """A drawn seal: PNG bytes with alpha, and what it says."""

    organisation: str
    subtitle: str
    png: bytes


@dataclass(frozen=True)
class SealUse:
    """One seal placed on a document: a line of the seal-use register (用印登记)."""

    organisation: str
    document: str
    page: int
    purpose: str
    operator: str
    placed_at: dt.datetime
    dated: dt.date | None = None  # the document's own date: the month it counts in


def _star(draw: ImageDraw.ImageDraw, centre: float, radius: float) -> None:
    points = []
    for index in range(10):
        r = radius if index % 2 == 0 else radius * 0.382
        angle = -math.pi / 2 + index * math.pi / 5
        points.append((centre + r * math.cos(angle), centre + r * math.sin(angle)))
    draw.polygon(points, fill=_RED)


def draw_seal(organisation: str, fonts: FontSetup, *, subtitle: str = "") -> Seal:
    """Draw the seal of ``organisation`` (text on the arc) with an optional subtitle."""
    if not organisation.strip():
        raise TemplateError(SEAL_WITHOUT_NAME())
    size = _PIXELS
    centre = size / 2
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ring = size * 0.025
    draw.ellipse(
        (ring / 2, ring / 2, size - ring / 2, size - ring / 2), outline=_RED, width=int(ring)
    )
    _star(draw, centre, size * 0.15)
    face = str(fonts.face("NotoSerifCJKsc-Bold"))
    count = len(organisation)
    char_size = int(size * (0.15 if count <= 10 else 0.125 if count <= 14 else 0.10))
    font = ImageFont.truetype(face, char_size)
    text_radius = centre - ring * 1.6 - char_size * 0.62
    # Spread the name over an arc of up to 250 degrees, centred on the top.
    span = min(250.0, 20.0 * count + 20.0)
    for index, char in enumerate(organisation):
        angle = -span / 2 + span * (index + 0.5) / count if count > 1 else 0.0
        glyph = Image.new("RGBA", (char_size * 2, char_size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((char_size, char_size), char, font=font, fill=_RED, anchor="mm")
        glyph = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC)
        radians = math.radians(angle - 90)
        x = centre + text_radius * math.cos(radians) - char_size
        y = centre + text_radius * math.sin(radians) - char_size
        image.alpha_composite(glyph, (int(x), int(y)))
    if subtitle:
        small = ImageFont.truetype(face, int(size * 0.09))
        draw.text((centre, centre + size * 0.29), subtitle, font=small, fill=_RED, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return Seal(organisation=organisation, subtitle=subtitle, png=buffer.getvalue())


def find_text(
    pdf: Path, needle: str, text: PdfText | None = None
) -> tuple[int, float, float, float]:
    """Page index, (x, y) and width in points of the first ``needle`` in ``pdf``.

    The name may be cut by a line break (a line that wraps right before its last
    character): then the width is that of the part on the first line, and the
    seal is centred on it. ``text`` is ``pdf``'s text when it was read already
    (looking for ``needle``).
    """
    if text is None or text.phrase != needle:
        text = read_pdf_text(pdf, find=needle)
    if text.found is None:
        raise TemplateError(NO_PLACE_FOR_SEAL(pdf=pdf.name, needle=needle))
    found = text.found
    return found.page, found.x, found.y, found.width


@dataclass(frozen=True)
class _Samples:
    """An image's samples, compressed for a PDF image stream."""

    width: int
    height: int
    deflated: bytes


@functools.lru_cache(maxsize=64)
def _seal_samples(png: bytes) -> tuple[_Samples, _Samples]:
    # Decoding and compressing ~3 MB of samples took longer than the rest of a
    # stamp; a village's seal is the same on every document, so it is done once.
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    colour, alpha = image.convert("RGB"), image.getchannel("A")
    return (
        _Samples(colour.width, colour.height, zlib.compress(colour.tobytes())),
        _Samples(alpha.width, alpha.height, zlib.compress(alpha.tobytes())),
    )


def _image_stream(
    pdf: pikepdf.Pdf, samples: _Samples, colour_space: pikepdf.Name
) -> pikepdf.Stream:
    stream = pikepdf.Stream(pdf, b"")
    stream.write(samples.deflated, filter=pikepdf.Name.FlateDecode)
    stream.Type = pikepdf.Name.XObject
    stream.Subtype = pikepdf.Name.Image
    stream.Width = samples.width
    stream.Height = samples.height
    stream.ColorSpace = colour_space
    stream.BitsPerComponent = 8
    return stream


def _seal_xobject(pdf: pikepdf.Pdf, seal: Seal) -> pikepdf.Stream:
    colour, alpha = _seal_samples(seal.png)
    xobject = _image_stream(pdf, colour, pikepdf.Name.DeviceRGB)
    xobject.SMask = _image_stream(pdf, alpha, pikepdf.Name.DeviceGray)
    # No /Interpolate: PDF/A-2 (ISO 19005-2, 6.2.8) forbids it being true; the seal's
    # samples are dense enough to print without it.
    return xobject


def stamp_pdf(
    source: Path,
    target: Path,
    seal: Seal,
    *,
    anchor: str,
    purpose: str,
    operator: str,
    diameter_mm: float = SEAL_DIAMETER_MM,
    text: PdfText | None = None,
    dated: dt.date | None = None,
) -> SealUse:
    """Place ``seal`` centred over the first occurrence of ``anchor`` text.

    ``dated`` is the document's own date (a notice's, an application's): the
    register counts the use in that month, whatever day the seal was placed.

    ``text`` is the source's text when the caller has read it already (a public
    sheet's is read once, for its privacy check and for the seal's place).
    Returns the register line for this use of the seal (用印登记).
    """
    with stage("stamp"):
        page_index, x, y, width = find_text(source, anchor, text)
        size = diameter_mm * _PT_PER_MM
        with pikepdf.open(source) as pdf:
            page = pdf.pages[page_index]
            name = page.add_resource(_seal_xobject(pdf, seal), pikepdf.Name.XObject, prefix="Seal")
            # Centred on the issuer's name, a little below its baseline so that the seal
            # also covers the date line ("骑年盖月").
            left = x + width / 2 - size / 2
            bottom = y - size / 2
            page.contents_add(
                pikepdf.Stream(
                    pdf,
                    f"q {size:.2f} 0 0 {size:.2f} {left:.2f} {bottom:.2f} cm {name} Do Q".encode(),
                ),
                prepend=False,
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.part")
            pdf.save(partial)
        partial.replace(target)
        return SealUse(
            organisation=seal.organisation,
            document=target.name,
            page=page_index + 1,
            purpose=purpose,
            operator=operator,
            placed_at=dt.datetime.now().astimezone(),
            dated=dated,
        )
