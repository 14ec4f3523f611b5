"""The district confirming drafted fields of an item: a new edition with the confirmation.

``xwql catalog confirm CODE --document 临民字〔2026〕3号 --date 2026-12-01`` records,
in the item's file, which fields the district confirmed by which document from
which day, and makes the catalog a new edition: the next version number, that
day as its effective date, and a line in its change log (动态管理). From then on
the confirmed fields are printed without the draft mark. The files are written
only if the catalog still loads with the change; otherwise they are left as they
were and the problems are reported.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.catalog.load import load_catalog
from pipeline.catalog.messages import NOTHING_TO_CONFIRM, VERSION_NOT_NUMBERED
from pipeline.catalog.model import CONFIRMABLE
from pipeline.errors import InputInvalid

_VERSION = re.compile(r'^version: "?(\d+)\.(\d+)"?$', re.MULTILINE)
_EFFECTIVE = re.compile(r"^effective_date: .*$", re.MULTILINE)


@dataclass(frozen=True)
class Confirmed:
    """What a confirmation changed.

    Attributes:
        code: The item.
        fields: The fields confirmed.
        version: The new edition's version.
    """

    code: str
    fields: list[str]
    version: str


def confirm_fields(
    folder: Path, code: str, *, document: str, date: dt.date, fields: list[str] | None = None
) -> Confirmed:
    """Record the district's confirmation of ``fields`` of item ``code`` (all drafted: None).

    Raises:
        UnknownItem: No such item.
        InputInvalid: Nothing left to confirm, or the edition's version is not N.M.
        CatalogInvalid: The catalog would not load with the change (nothing is written).
    """
    catalog = load_catalog(folder)
    item = catalog.get(code)
    chosen = fields or [field for field in CONFIRMABLE if item.drafted(field)]
    if not chosen:
        raise InputInvalid(NOTHING_TO_CONFIRM(code=item.code))
    item_path = folder / "items" / f"{item.code}.yaml"
    edition_path = folder / "edition.yaml"
    before = {path: path.read_text(encoding="utf-8") for path in (item_path, edition_path)}
    entry = (
        f"  - document: {document}\n    date: {date.isoformat()}\n"
        f"    fields: [{', '.join(chosen)}]\n"
    )
    text = before[item_path].rstrip("\n") + "\n"
    item_text = text + entry if "\nconfirmations:\n" in text else f"{text}confirmations:\n{entry}"
    matched = _VERSION.search(before[edition_path])
    if matched is None:
        raise InputInvalid(VERSION_NOT_NUMBERED(path=edition_path))
    version = f"{matched.group(1)}.{int(matched.group(2)) + 1}"
    change = (
        f"  - date: {date.isoformat()}\n    summary: {item.code} {item.name}："
        f"{'、'.join(chosen)} 经{document}确认，自{date.isoformat()}起按确认内容办理。\n"
    )
    edition_text = _VERSION.sub(f'version: "{version}"', before[edition_path], count=1)
    edition_text = _EFFECTIVE.sub(f"effective_date: {date.isoformat()}", edition_text, count=1)
    edition_text = edition_text.replace("\ndecisions:\n", f"\n{change}decisions:\n", 1)
    try:
        item_path.write_text(item_text, encoding="utf-8")
        edition_path.write_text(edition_text, encoding="utf-8")
        load_catalog(folder)
    except BaseException:
        for path, original in before.items():
            path.write_text(original, encoding="utf-8")
        raise
    return Confirmed(item.code, chosen, version)
