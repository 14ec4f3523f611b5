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

from pipeline.catalog.model import CatalogItem, Edition
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
            raise UnknownItem(
                f"未知事项编码 unknown item code {code!r}: 请用 xwql-001 至 xwql-"
                f"{max(self._by_number):03d} 之一（xwql catalog list 可查）"
            )
        return Resolution(found, self._conflict_warning(found))

    def _conflict_warning(self, item: CatalogItem) -> str | None:
        for other in self.items:
            label = other.source.attachment2_code
            if other is item or not label:
                continue
            match = _CODE_RE.match(label.lower())
            if match and int(match.group(1)) == item.number:
                return (
                    f"编码 {item.code} 按附件1目录指“{item.name}”；附件2曾把同号印在"
                    f"“{other.name}”（现为 {other.code}）的流程图上。"
                    f"如指后者，请改用 {other.code}。"
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


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    """The file's data, or ``_UNREADABLE`` after recording why it cannot be read."""
    try:
        return safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        # Where the broken construct starts (an open quote) helps more than where
        # the parser gave up (often the end of the file).
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problems.append(Problem(str(path), where, f"不是有效的 YAML / not valid YAML: {exc}"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), "", f"无法读取 / cannot read: {exc}"))
    return _UNREADABLE


def _validate(model: type[M], data: Any, path: Path, problems: list[Problem]) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(part) for part in err["loc"]) or "(whole file)"
            value = err.get("input")
            shown = f" (值 value: {value!r})" if not isinstance(value, dict | list) else ""
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
                    f"重复的编码 duplicate code {item.code} (也在 also in {seen_codes[item.code]})",
                )
            )
        seen_codes.setdefault(item.code, path)
        if item.number in seen_numbers:
            problems.append(
                Problem(
                    where,
                    "number",
                    f"重复的序号 duplicate number {item.number} "
                    f"(也在 also in {seen_numbers[item.number]})",
                )
            )
        seen_numbers.setdefault(item.number, path)
        if item.code != f"xwql-{item.number:03d}":
            problems.append(
                Problem(
                    where,
                    "code",
                    f"编码 {item.code} 与序号 {item.number} 不一致; "
                    f"expected xwql-{item.number:03d}",
                )
            )
        if path.stem != item.code:
            problems.append(
                Problem(where, "code", f"文件名应为 file should be named {item.code}.yaml")
            )
        if item.category not in categories:
            problems.append(
                Problem(
                    where,
                    "category",
                    f"类别“{item.category}”不在 edition.yaml 的类别中 "
                    "/ category not listed in edition.yaml",
                )
            )
        step_ids = [s.id for s in item.steps]
        for dup in sorted({s for s in step_ids if step_ids.count(s) > 1}):
            problems.append(Problem(where, "steps", f"步骤 id 重复 duplicate step id {dup!r}"))
        for index, step in enumerate(item.steps):
            if step.kind == "notice" and not item.public_notice.days:
                problems.append(
                    Problem(
                        where,
                        f"steps.{index}.kind",
                        "公示步骤需要公示天数 a notice step needs public_notice.days",
                    )
                )
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
            f"目录中没有 edition.yaml / no catalog edition in {folder}",
            [Problem(str(edition_path), "", "文件不存在 / file missing")],
        )
    edition_data = _read_yaml(edition_path, problems)
    edition = (
        None
        if edition_data is _UNREADABLE
        else _validate(Edition, edition_data, edition_path, problems)
    )
    item_paths = sorted((folder / "items").glob("*.yaml"))
    if not item_paths:
        problems.append(Problem(str(folder / "items"), "", "没有事项文件 / no item files"))
    loaded: list[tuple[Path, CatalogItem]] = []
    for path in item_paths:
        data = _read_yaml(path, problems)
        item = None if data is _UNREADABLE else _validate(CatalogItem, data, path, problems)
        if item is not None:
            loaded.append((path, item))
    if edition is not None:
        problems.extend(_cross_check(edition, loaded))
    if problems or edition is None:
        raise CatalogInvalid(
            f"事项清单有 {len(problems)} 处错误 / the catalog in {folder} has "
            f"{len(problems)} problem(s):",
            problems,
        )
    items = sorted((item for _, item in loaded), key=lambda i: i.number)
    return Catalog(edition=edition, items=items, folder=folder)


def catalog_snapshot(catalog: Catalog) -> dict[str, Any]:
    """The whole edition as plain JSON data (for ``catalog diff`` and the archive)."""
    return {
        "edition": catalog.edition.model_dump(mode="json"),
        "items": [item.model_dump(mode="json") for item in catalog.items],
    }
