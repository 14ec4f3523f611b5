"""Load a catalog edition from its folder, check it whole, and resolve item codes.

A catalog folder holds ``edition.yaml`` and ``items/*.yaml`` (one file per item).
Every problem found is reported with its file and field; nothing stops at the
first error, so a district administrator can fix them all in one pass.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pipeline.catalog.messages import (
    CATALOG_PROBLEMS,
    CATEGORY_NOT_LISTED,
    CODE_NOT_NUMBER,
    CODE_PRINTED_ON_ANOTHER_ITEM,
    DUPLICATE_CODE,
    DUPLICATE_NUMBER,
    DUPLICATE_STEP_ID,
    FILE_MISSING,
    FILE_NAME_NOT_CODE,
    FILE_UNREADABLE,
    LAW_AFTER_EDITION,
    LAW_NOT_IN_FORCE_WHEN_CONFIRMED,
    NO_EDITION,
    NO_ITEM_FILES,
    NOTICE_WITHOUT_DAYS,
    ON_OBJECTION_NOT_EARLIER,
    UNKNOWN_LAW,
    VALUE_SHOWN,
    YAML_INVALID,
    duplicate,
    unknown_item_code,
)
from pipeline.catalog.model import CatalogItem, Edition, LawTable, MeetingRules
from pipeline.errors import CatalogInvalid, Problem, UnknownItem
from pipeline.yamlfile import safe_load

M = TypeVar("M", bound=BaseModel)

# ``xwql-46``, ``XWQL-046``, ``xwq1-0049`` (digit one for the letter l, as printed in
# the source), ``xwql 46``, ``xwql－046`` all name item 46.
_CODE_RE = re.compile(r"^xwq[l1i]\s*[-_—–\s]?\s*0*(\d{1,3})$")


@dataclass(frozen=True)
class Resolution:
    """An item found from a code, with any warning the user must see."""

    item: CatalogItem
    warning: str | None = None


@dataclass
class Catalog:
    """A loaded, validated catalog edition."""

    edition: Edition
    items: list[CatalogItem]
    folder: Path | None = None
    meetings: MeetingRules | None = None
    """When a meeting's decision is valid (``meetings.yaml``); None for a bare test catalog."""
    _by_number: dict[int, CatalogItem] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_number = {item.number: item for item in self.items}

    def __iter__(self) -> Iterator[CatalogItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def get(self, code: str) -> CatalogItem:
        """The item a code or alias names; raises ``UnknownItem``."""
        return self.resolve(code).item

    def resolve(self, code: str) -> Resolution:
        """Resolve a code, alias or variant spelling to an item.

        Codes follow Attachment 1's numbering. Where Attachment 2 printed the
        same number on another item's flowchart (033–036), the item of
        Attachment 1 is returned with a warning naming the other one.
        """
        text = unicodedata.normalize("NFKC", code).strip().lower()
        for item in self.items:
            if text in (alias.lower() for alias in item.aliases):
                return Resolution(item)
        match = _CODE_RE.match(text)
        found = self._by_number.get(int(match.group(1))) if match else None
        if found is None:
            raise UnknownItem(unknown_item_code(code, max(self._by_number)))
        return Resolution(found, self._conflict_warning(found))

    def _conflict_warning(self, item: CatalogItem) -> str | None:
        for other in self.items:
            label = other.source.attachment2_code
            if other is item or not label:
                continue
            match = _CODE_RE.match(label.lower())
            if match and int(match.group(1)) == item.number:
                return CODE_PRINTED_ON_ANOTHER_ITEM.format(
                    code=item.code, name=item.name, other=other.name, other_code=other.code
                )
        return None

    def categories_in_order(self) -> list[tuple[str, list[CatalogItem]]]:
        """Items grouped by category, in Attachment 1 order."""
        groups: list[tuple[str, list[CatalogItem]]] = []
        for category in sorted(self.edition.categories, key=lambda c: c.number):
            members = sorted(
                (i for i in self.items if i.category == category.name), key=lambda i: i.number
            )
            groups.append((category.name, members))
        return groups


_UNREADABLE = object()
LAWS_FILE = "laws.yaml"
MEETINGS_FILE = "meetings.yaml"


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    """The file's data, or ``_UNREADABLE`` after recording why it cannot be read."""
    try:
        return safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        # Where the broken construct starts (an open quote) helps more than where
        # the parser gave up (often the end of the file).
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problems.append(Problem(str(path), where, YAML_INVALID(error=exc)))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), "", FILE_UNREADABLE(error=exc)))
    return _UNREADABLE


def _read_model(path: Path, model: type[M], problems: list[Problem]) -> M | None:
    """The file ``path`` as ``model``, or None after recording why it cannot be."""
    if not path.is_file():
        problems.append(Problem(str(path), "", FILE_MISSING()))
        return None
    data = _read_yaml(path, problems)
    return None if data is _UNREADABLE else _validate(model, data, path, problems)


def _validate(model: type[M], data: Any, path: Path, problems: list[Problem]) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(part) for part in err["loc"]) or "(whole file)"
            value = err.get("input")
            shown = (
                f" ({VALUE_SHOWN.side_by_side(value=value)})"
                if not isinstance(value, dict | list)
                else ""
            )
            problems.append(Problem(str(path), loc, f"{err['msg']}{shown}"))
    return None


def _cross_check(edition: Edition, items: list[tuple[Path, CatalogItem]]) -> list[Problem]:
    problems: list[Problem] = []
    categories = {c.name for c in edition.categories}
    seen_codes: dict[str, Path] = {}
    seen_numbers: dict[int, Path] = {}
    for path, item in items:
        where = str(path)
        if item.code in seen_codes:
            problems.append(
                Problem(
                    where,
                    "code",
                    duplicate(DUPLICATE_CODE, seen_codes[item.code], code=item.code),
                )
            )
        seen_codes.setdefault(item.code, path)
        if item.number in seen_numbers:
            problems.append(
                Problem(
                    where,
                    "number",
                    duplicate(DUPLICATE_NUMBER, seen_numbers[item.number], number=item.number),
                )
            )
        seen_numbers.setdefault(item.number, path)
        if item.code != f"xwql-{item.number:03d}":
            problems.append(
                Problem(
                    where,
                    "code",
                    CODE_NOT_NUMBER.joined("; ", code=item.code, number=item.number),
                )
            )
        if path.stem != item.code:
            problems.append(Problem(where, "code", FILE_NAME_NOT_CODE.side_by_side(code=item.code)))
        if item.category not in categories:
            problems.append(
                Problem(
                    where,
                    "category",
                    CATEGORY_NOT_LISTED(category=item.category),
                )
            )
        step_ids = [s.id for s in item.steps]
        for dup in sorted({s for s in step_ids if step_ids.count(s) > 1}):
            problems.append(Problem(where, "steps", DUPLICATE_STEP_ID.side_by_side(step=dup)))
        for index, step in enumerate(item.steps):
            if step.on_objection is not None and (
                step.kind != "notice" or step.on_objection not in step_ids[:index]
            ):
                problems.append(
                    Problem(
                        where,
                        f"steps.{index}.on_objection",
                        ON_OBJECTION_NOT_EARLIER.side_by_side(step=step.on_objection),
                    )
                )
            if step.kind == "notice" and not item.public_notice.days:
                problems.append(
                    Problem(
                        where,
                        f"steps.{index}.kind",
                        NOTICE_WITHOUT_DAYS.side_by_side(),
                    )
                )
    return problems


def _bases_in_force(
    edition: Edition, laws: LawTable, items: list[tuple[Path, CatalogItem]]
) -> list[Problem]:
    """Every basis is a known law in force on the edition's effective date.

    A basis the district confirmed must also be in force on the confirmation's date:
    confirming a repealed law would print it as the district's word.
    """
    problems = []
    for path, item in items:
        confirmed = [c.date for c in item.confirmations if "basis" in c.fields]
        for index, basis in enumerate(item.basis):
            dates = laws.laws.get(basis)
            if dates is None:
                problems.append(
                    Problem(str(path), f"basis.{index}", UNKNOWN_LAW.side_by_side(law=basis))
                )
                continue
            problems += [
                Problem(
                    str(path), f"basis.{index}",
                    LAW_NOT_IN_FORCE_WHEN_CONFIRMED.side_by_side(
                        law=basis, effective=dates.effective, date=day,
                        repealed=f", repealed {dates.repealed}" if dates.repealed else "",
                    ),
                )
                for day in confirmed
                if not dates.in_force(day)
            ]  # fmt: skip
            if not dates.in_force(edition.effective_date):
                problems.append(
                    Problem(
                        str(path), f"basis.{index}",
                        LAW_AFTER_EDITION.side_by_side(
                            law=basis, effective=dates.effective, edition=edition.version,
                            repealed=f", repealed {dates.repealed}" if dates.repealed else "",
                            date=edition.effective_date,
                        ),
                    )
                )  # fmt: skip
    return problems


def load_catalog(folder: Path) -> Catalog:
    """Load and validate the catalog edition in ``folder``.

    Raises:
        CatalogInvalid: with every problem found, each naming file and field.

    """
    problems: list[Problem] = []
    edition_path = folder / "edition.yaml"
    if not edition_path.is_file():
        raise CatalogInvalid(
            NO_EDITION(folder=folder),
            [Problem(str(edition_path), "", FILE_MISSING())],
        )
    edition_data = _read_yaml(edition_path, problems)
    edition = (
        None
        if edition_data is _UNREADABLE
        else _validate(Edition, edition_data, edition_path, problems)
    )
    item_paths = sorted((folder / "items").glob("*.yaml"))
    if not item_paths:
        problems.append(Problem(str(folder / "items"), "", NO_ITEM_FILES()))
    loaded: list[tuple[Path, CatalogItem]] = []
    for path in item_paths:
        data = _read_yaml(path, problems)
        item = None if data is _UNREADABLE else _validate(CatalogItem, data, path, problems)
        if item is not None:
            loaded.append((path, item))
    laws = _read_model(folder / LAWS_FILE, LawTable, problems)
    meetings = _read_model(folder / MEETINGS_FILE, MeetingRules, problems)
    if edition is not None:
        problems.extend(_cross_check(edition, loaded))
        if laws is not None:
            problems.extend(_bases_in_force(edition, laws, loaded))
    if problems or edition is None:
        raise CatalogInvalid(
            CATALOG_PROBLEMS(count=len(problems), folder=folder),
            problems,
        )
    items = sorted((item for _, item in loaded), key=lambda i: i.number)
    return Catalog(edition=edition, items=items, folder=folder, meetings=meetings)


def catalog_snapshot(catalog: Catalog) -> dict[str, Any]:
    """The whole edition as plain JSON data (for ``catalog diff`` and the archive)."""
    return {
        "edition": catalog.edition.model_dump(mode="json"),
        "items": [item.model_dump(mode="json") for item in catalog.items],
    }
