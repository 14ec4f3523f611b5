"""Compare two catalog editions (动态管理: what was added, changed, retired)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipeline.catalog.load import catalog_snapshot, load_catalog
from pipeline.catalog.messages import EDITION_UNREADABLE, NOT_A_SNAPSHOT
from pipeline.errors import InputInvalid, Problem


@dataclass(frozen=True)
class Change:
    """One difference between editions."""

    code: str
    kind: str  # added | removed | retired | changed
    field: str = ""
    old: Any = None
    new: Any = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return asdict(self)


def load_snapshot(source: Path) -> dict[str, Any]:
    """A catalog folder or a published ``catalog-<version>.json``, as snapshot data."""
    if source.is_dir():
        return catalog_snapshot(load_catalog(source))
    try:
        data: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputInvalid(
            EDITION_UNREADABLE(source=source),
            [Problem(str(source), "", f"{exc}; give a catalog folder or a catalog-*.json")],
        ) from exc
    if not isinstance(data, dict) or "items" not in data or "edition" not in data:
        raise InputInvalid(
            NOT_A_SNAPSHOT(source=source),
            [Problem(str(source), "items", "missing; give a catalog folder or a catalog-*.json")],
        )
    return data


def _walk(code: str, path: str, old: Any, new: Any, out: list[Change]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            _walk(code, f"{path}.{key}" if path else key, old.get(key), new.get(key), out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            _walk(code, f"{path}.{index}", before, after, out)
    elif old != new:
        out.append(Change(code=code, kind="changed", field=path, old=old, new=new))


def diff_editions(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every difference between two snapshots, edition fields first, then items by code."""
    changes: list[Change] = []
    _walk("edition", "", old["edition"], new["edition"], changes)
    old_items = {item["code"]: item for item in old["items"]}
    new_items = {item["code"]: item for item in new["items"]}
    for code in sorted(set(old_items) | set(new_items)):
        before, after = old_items.get(code), new_items.get(code)
        if before is None:
            changes.append(Change(code=code, kind="added", new=after and after["name"]))
        elif after is None:
            changes.append(Change(code=code, kind="removed", old=before["name"]))
        elif after.get("retired") and not before.get("retired"):
            changes.append(Change(code=code, kind="retired", old=before["name"]))
        else:
            _walk(code, "", before, after, changes)
    return changes
