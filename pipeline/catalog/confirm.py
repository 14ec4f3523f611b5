"""The district confirming drafted fields of an item: a new edition with the confirmation.

``xwql catalog confirm CODE --document 临民字〔2026〕3号 --date 2026-12-01`` records,
in the item's file, which fields the district confirmed by which document from
which day, and makes the catalog a new edition: the next version number and a
line in its change log (动态管理), dated that day. The edition's effective date
stays its own: a confirmation settles drafted fields of the list in force, it does
not re-issue the list (whose bases are checked against that date; a confirmed basis
must be in force on the confirmation's date as well). From the confirmation's date
the confirmed fields are printed without the draft mark, and a confirmed flow's
rules refuse. The files are written
only if the catalog still loads with the change; otherwise they are left as they
were and the problems are reported.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.catalog.load import load_catalog
from pipeline.catalog.messages import (
    ALREADY_CONFIRMED,
    CONFIRMATIONS_NOT_A_BLOCK,
    CONFIRMED_BEFORE_EDITION,
    EDITION_NOT_WRITTEN,
    NOT_CONFIRMABLE,
    NOTHING_TO_CONFIRM,
    VERSION_NOT_NUMBERED,
)
from pipeline.catalog.model import CONFIRMABLE, FIELD_LABELS, CatalogItem
from pipeline.errors import InputInvalid

_VERSION = re.compile(r'^version: "?(\d+)\.(\d+)"?$', re.MULTILINE)


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
    with _lock(folder):
        return _confirm(folder, code, document=document, date=date, fields=fields)


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    """One confirmation at a time per catalog, across processes (web workers, the CLI)."""
    with (folder / ".confirm.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _confirm(
    folder: Path, code: str, *, document: str, date: dt.date, fields: list[str] | None
) -> Confirmed:
    catalog = load_catalog(folder)  # read under the lock: the edition as it is now
    item = catalog.get(code)
    chosen = list(dict.fromkeys(fields or [f for f in CONFIRMABLE if item.drafted(f)]))
    if not chosen:
        raise InputInvalid(NOTHING_TO_CONFIRM(code=item.code))
    unknown = [field for field in chosen if field not in CONFIRMABLE]
    if unknown:
        raise InputInvalid(
            NOT_CONFIRMABLE(
                code=item.code, fields="、".join(unknown), confirmable=", ".join(CONFIRMABLE)
            )
        )
    settled = [field for field in chosen if not item.drafted(field)]
    if settled:
        raise InputInvalid(ALREADY_CONFIRMED(code=item.code, fields="、".join(settled)))
    edition = catalog.edition
    if date < edition.effective_date:
        raise InputInvalid(CONFIRMED_BEFORE_EDITION(date=date, effective=edition.effective_date))
    item_path = folder / "items" / f"{item.code}.yaml"
    edition_path = folder / "edition.yaml"
    before = {path: path.read_text(encoding="utf-8") for path in (item_path, edition_path)}
    item_text = _with_confirmation(before[item_path], item_path, document, date, chosen)
    edition_text, version = _next_edition(before[edition_path], edition_path, item, document,
                                          date, chosen)  # fmt: skip
    try:
        item_path.write_text(item_text, encoding="utf-8")
        edition_path.write_text(edition_text, encoding="utf-8")
        after = load_catalog(folder)
        if after.edition.version != version or len(after.edition.changes) <= len(edition.changes):
            raise InputInvalid(EDITION_NOT_WRITTEN(path=edition_path))
    except BaseException:
        for path, original in before.items():
            path.write_text(original, encoding="utf-8")
        raise
    return Confirmed(item.code, chosen, version)


def _with_confirmation(
    text: str, path: Path, document: str, date: dt.date, fields: list[str]
) -> str:
    """The item's file with one more confirmation at its end (a block list, the last key)."""
    text = text.rstrip("\n") + "\n"
    # Values quoted as JSON strings: a document number with ":" or " #" stays whole.
    entry = (
        f"  - document: {json.dumps(document, ensure_ascii=False)}\n"
        f"    date: {date.isoformat()}\n    fields: {json.dumps(fields)}\n"
    )
    _, block, tail = text.partition("\nconfirmations:\n")
    if not block:
        if re.search(r"^confirmations:", text, re.MULTILINE):
            raise InputInvalid(CONFIRMATIONS_NOT_A_BLOCK(path=path))
        return f"{text}confirmations:\n{entry}"
    if any(line and not line.startswith(" ") for line in tail.splitlines()):
        raise InputInvalid(CONFIRMATIONS_NOT_A_BLOCK(path=path))
    return text + entry


def _next_edition(
    text: str, path: Path, item: CatalogItem, document: str, date: dt.date, fields: list[str]
) -> tuple[str, str]:
    """The edition's file as the next edition: its version and a change-log line."""
    matched = _VERSION.search(text)
    if matched is None or "\ndecisions:\n" not in text:
        raise InputInvalid(VERSION_NOT_NUMBERED(path=path))
    version = f"{matched.group(1)}.{int(matched.group(2)) + 1}"
    labels = "、".join(FIELD_LABELS.get(field, field) for field in fields)
    summary = (
        f"{item.code} {item.name}：{labels} 经{document}确认，"
        f"自{date.isoformat()}起按确认内容办理。"
    )
    change = (
        f"  - date: {date.isoformat()}\n    summary: {json.dumps(summary, ensure_ascii=False)}\n"
    )
    text = _VERSION.sub(f'version: "{version}"', text, count=1)
    return text.replace("\ndecisions:\n", f"\n{change}decisions:\n", 1), version
