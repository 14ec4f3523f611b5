"""Simplified-Chinese fonts for every program that draws text (LibreOffice, Graphviz, Pillow).

Debian ships Noto CJK as collections (``.ttc``) whose first face is Japanese.
LibreOffice embeds a face from such a collection under the collection's shared
CFF name (``NotoSerifCJKjp-…``), and any fallback lands on the JP face. So xwql
extracts the SC faces into standalone OpenType files (naming their CFF data
after the SC face, as Adobe's own SC files do), and gives the programs it starts
a fontconfig file that offers these and hides the collections: every CJK glyph
then comes from an SC face, by name and by shape.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import MissingDependency
from pipeline.programs.messages import FONT_MISSING

NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
APT_PACKAGE = "fonts-noto-cjk"
SERIF = "Noto Serif CJK SC"  # 宋体 role: titles and body
SANS = "Noto Sans CJK SC"  # 黑体 role: headings and labels
_SC_INDEX = 2  # face order in the Noto CJK collections: JP, KR, SC, TC, HK
_COLLECTIONS = {
    "NotoSerifCJKsc-Regular": "NotoSerifCJK-Regular.ttc",
    "NotoSerifCJKsc-Bold": "NotoSerifCJK-Bold.ttc",
    "NotoSansCJKsc-Regular": "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Bold": "NotoSansCJK-Bold.ttc",
}


@dataclass(frozen=True)
class FontSetup:
    """The extracted SC faces and the fontconfig file that exposes only them."""

    folder: Path
    fontconfig: Path

    def face(self, postscript_name: str) -> Path:
        """Path of an extracted face, e.g. ``NotoSerifCJKsc-Bold``."""
        return self.folder / f"{postscript_name}.otf"

    def environment(self) -> dict[str, str]:
        """Environment for a child process that must draw with SC faces."""
        return {**os.environ, "FONTCONFIG_FILE": str(self.fontconfig)}


def _extract(collection: Path, postscript_name: str, target: Path) -> None:
    # Imported here: needed once per installation, and slow to import.
    from fontTools.ttLib import TTCollection
    from fontTools.ttLib.tables.DefaultTable import DefaultTable

    font = TTCollection(str(collection), lazy=True, recalcBBoxes=False).fonts[_SC_INDEX]
    actual = font["name"].getDebugName(6)
    if actual != postscript_name:
        raise MissingDependency(
            f"{collection} face {_SC_INDEX} is {actual!r}, not {postscript_name!r}; "
            f"reinstall {APT_PACKAGE}"
        )
    # Rename the shared CFF data after the SC face. The JP and SC names have the same
    # length, so a byte patch keeps every offset valid (recompiling takes minutes).
    raw = font.reader["CFF "]
    shared = b"CJKjp-"
    if shared not in raw:
        raise MissingDependency(f"{collection}: unexpected CFF names; reinstall {APT_PACKAGE}")
    table = DefaultTable("CFF ")
    table.data = raw.replace(shared, b"CJKsc-")
    font["CFF "] = table
    # A private name per process: two first runs may extract at the same time.
    partial = target.with_name(f".{target.stem}.{os.getpid()}.part")
    font.save(str(partial))
    partial.replace(target)


def _fontconfig_text(folder: Path) -> str:
    return f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- Written by xwql: SC faces only, so no CJK text can fall back to JP glyphs. -->
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{folder}</dir>
  <cachedir>{folder / "cache"}</cachedir>
  <selectfont><rejectfont>
    <glob>{NOTO_DIR}/NotoS*CJK-*.ttc</glob>
  </rejectfont></selectfont>
</fontconfig>
"""


def ensure_sc_fonts(data_dir: Path) -> FontSetup:
    """Extract the SC faces once into ``data_dir/fonts`` and write the fontconfig file."""
    folder = (data_dir / "fonts").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    setup = FontSetup(folder=folder, fontconfig=folder / "fonts.conf")
    for postscript_name, collection_name in _COLLECTIONS.items():
        target = setup.face(postscript_name)
        if target.is_file():
            continue
        collection = NOTO_DIR / collection_name
        if not collection.is_file():
            raise MissingDependency(FONT_MISSING(collection=collection, package=APT_PACKAGE))
        _extract(collection, postscript_name, target)
    text = _fontconfig_text(folder)
    if not setup.fontconfig.is_file() or setup.fontconfig.read_text() != text:
        setup.fontconfig.write_text(text)
    return setup
