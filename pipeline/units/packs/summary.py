"""Which villages a run covers, and the district summary of a month.

The summary counts what the packs show, per town, village and item: a PDF/A for
the district office and the same tables as an ``.xlsx`` workbook.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from pipeline.documents.collate import page_count
from pipeline.documents.engine import DocumentEngine
from pipeline.documents.render import chinese_date
from pipeline.errors import InputInvalid
from pipeline.organisations import Directory, Place, Town
from pipeline.units.messages import VILLAGE_NOT_IN_TOWN, unknown_town
from pipeline.units.packs.month import (
    ItemTally,
    Month,
    MonthCounts,
    VillageMonth,
    month_days,
    month_label,
    month_text,
    village_month,
)
from pipeline.workspace import Workspace

# --- which villages -------------------------------------------------------------------------


def find_town(directory: Directory, name_or_code: str) -> Town:
    """The town or street named (齐陵街道) or coded (QL); ``InputInvalid`` otherwise."""
    wanted = name_or_code.strip()
    for town in directory.district.towns:
        if wanted in (town.code, town.name):
            return town
    known = "、".join(town.name for town in directory.district.towns)
    raise InputInvalid(unknown_town(name_or_code, known))


def select_villages(
    directory: Directory, *, town: str | None = None, village: str | None = None
) -> list[Place]:
    """The villages of the district, of one town, or one village (checked against the town)."""
    if village is not None:
        place = directory.get(village)
        if town is not None and find_town(directory, town).code != place.town.code:
            raise InputInvalid(
                VILLAGE_NOT_IN_TOWN(village=place.village.name, its_town=place.town.name, town=town)
            )
        return [place]
    if town is not None:
        code = find_town(directory, town).code
        return [place for place in directory.villages if place.town.code == code]
    return directory.villages


# --- the district summary ------------------------------------------------------------------


@dataclass(frozen=True)
class VillageLine:
    """One row of the district summary."""

    town: str
    village: str
    counts: MonthCounts
    items: str


@dataclass(frozen=True)
class DistrictSummary:
    """The written summary of a district month.

    Attributes:
        title: Its title as printed (临淄区2026年11月村级小微权力运行情况汇总表).
        pdf: The summary (PDF/A-2b).
        xlsx: The same tables as a workbook.
        month: The month.
        pages: Page count of ``pdf``.
        villages: One line per village, in district order.
        items: The district's month per item.
        totals: All villages together (``items_used`` counts distinct items).

    """

    title: str
    pdf: Path
    xlsx: Path
    month: Month
    pages: int
    villages: list[VillageLine]
    items: list[ItemTally]
    totals: MonthCounts

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "pdf": str(self.pdf),
            "xlsx": str(self.xlsx),
            "month": month_text(self.month),
            "pages": self.pages,
            "totals": dataclasses.asdict(self.totals),
        }


_ZERO = MonthCounts(0, 0, 0, 0, 0, 0)


def _district_items(months: Sequence[VillageMonth]) -> tuple[list[ItemTally], dict[str, int]]:
    merged: dict[str, ItemTally] = {}
    villages: dict[str, int] = {}
    for facts in months:
        for tally in facts.tallies():
            known = merged.get(tally.code)
            merged[tally.code] = tally if known is None else dataclasses.replace(
                known, cases=known.cases + tally.cases, closed=known.closed + tally.closed,
                overdue=known.overdue + tally.overdue, irregular=known.irregular + tally.irregular,
            )  # fmt: skip
            villages[tally.code] = villages.get(tally.code, 0) + 1
    ordered = sorted(merged.values(), key=lambda tally: tally.code)
    return ordered, villages


def _count_cells(counts: MonthCounts) -> dict[str, str]:
    return {
        "cases": str(counts.cases_active),
        "closed": str(counts.cases_closed),
        "overdue": str(counts.overdue),
        "irregular": str(counts.irregular),
        "seal_uses": str(counts.seal_uses),
        "objections": str(counts.objections),
        "answered": str(counts.objections_answered),
        "upheld": str(counts.objections_upheld),
    }


def _summary_rows(lines: Sequence[VillageLine], totals: MonthCounts) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    towns = list(dict.fromkeys(line.town for line in lines))
    for town in towns:
        members = [line for line in lines if line.town == town]
        for index, line in enumerate(members):
            rows.append(
                {"town": town if index == 0 else "", "village": line.village, "used": line.items}
                | _count_cells(line.counts)
            )
        if len(towns) > 1:
            subtotal = sum((line.counts for line in members), _ZERO)
            rows.append({"town": "", "village": "小计", "used": ""} | _count_cells(subtotal))
    rows.append({"town": "合计", "village": "", "used": ""} | _count_cells(totals))
    return rows


_VILLAGE_COLUMNS = (
    ("town", "镇（街道）"), ("village", "村（社区）"), ("cases", "本月办件"),
    ("closed", "其中办结"), ("overdue", "逾期"), ("irregular", "违规"), ("seal_uses", "用印"),
    ("objections", "异议和反映"), ("answered", "已答复"), ("upheld", "成立"), ("used", "涉及事项"),
)  # fmt: skip
_ITEM_COLUMNS = (
    ("number", "序号"), ("code", "事项编码"), ("name", "事项名称"), ("category", "类别"),
    ("cases", "办件"), ("closed", "办结"), ("overdue", "逾期"), ("irregular", "违规"),
    ("villages", "涉及村数"),
)  # fmt: skip


def _write_workbook(
    target: Path, rows: Sequence[dict[str, str]], items: Sequence[dict[str, str]]
) -> None:
    book = Workbook()
    book.remove(book.active)
    for name, data, columns in (
        ("分村统计", rows, _VILLAGE_COLUMNS),
        ("分事项统计", items, _ITEM_COLUMNS),
    ):
        sheet = book.create_sheet(name)
        sheet.append([header for _, header in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in data:
            sheet.append([int(row[k]) if row[k].isdigit() else row[k] for k, _ in columns])
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text, never a formula
        for column in sheet.columns:
            width = max(len(str(cell.value or "")) for cell in column)
            sheet.column_dimensions[column[0].column_letter].width = min(60, 2 * width + 2)
        sheet.freeze_panes = "A2"
    partial = target.with_name(f".{target.name}.part")
    book.save(partial)
    partial.replace(target)


def _village_line(facts: VillageMonth) -> VillageLine:
    return VillageLine(
        town=facts.place.town.name,
        village=facts.place.village.name,
        counts=facts.counts,
        items="、".join(f"{t.name}{t.cases}件" for t in facts.tallies()) or "—",
    )


def _item_rows(tallies: Sequence[ItemTally], villages: dict[str, int]) -> list[dict[str, str]]:
    return [
        {
            "number": str(index), "code": t.code, "name": t.name, "category": t.category,
            "cases": str(t.cases), "closed": str(t.closed), "overdue": str(t.overdue),
            "irregular": str(t.irregular), "villages": str(villages[t.code]),
        }
        for index, t in enumerate(tallies, 1)
    ]  # fmt: skip


def _summary_text(towns: int, lines: Sequence[VillageLine], totals: MonthCounts) -> str:
    with_cases = sum(1 for line in lines if line.counts.cases_active)
    return (
        f"本月统计{towns}个镇（街道）{len(lines)}个村（社区），其中{with_cases}个有办件；"
        f"在办办件{totals.cases_active}件，办结{totals.cases_closed}件，"
        f"逾期{totals.overdue}件，违规办理{totals.irregular}件，用印{totals.seal_uses}次，"
        f"涉及清单事项{totals.items_used}项；收到异议和反映{totals.objections}件，"
        f"已答复{totals.objections_answered}件，成立{totals.objections_upheld}件。"
    )


def build_district_summary(
    workspace: Workspace,
    engine: DocumentEngine,
    month: Month,
    out_dir: Path,
    *,
    places: Sequence[Place] | None = None,
    issued_on: dt.date,
) -> DistrictSummary:
    """Write the district's month per town, village and item as PDF and ``.xlsx``.

    Args:
        workspace: Catalog, organisations and the case store.
        engine: Templates and the warm converters.
        month: ``(year, month)``.
        out_dir: Where the files go.
        places: The villages to count (default: every village of the district).
        issued_on: Date printed on the summary.

    Returns:
        What was written, with the counts.

    """
    chosen = list(places) if places is not None else workspace.directory.villages
    months = [village_month(workspace, place, month) for place in chosen]
    lines = [_village_line(facts) for facts in months]
    tallies, village_counts = _district_items(months)
    totals = dataclasses.replace(
        sum((line.counts for line in lines), _ZERO), items_used=len(tallies)
    )
    rows = _summary_rows(lines, totals)
    item_rows = _item_rows(tallies, village_counts)
    towns = list(dict.fromkeys(place.town.name for place in chosen))
    scope = workspace.directory.district.name + (towns[0] if len(towns) == 1 else "")
    first, last = month_days(month)
    title = f"{scope}{month_label(month)}村级小微权力运行情况汇总表"
    context = {
        "title": title,
        "period": f"{chinese_date(first)}至{chinese_date(last)}",
        "issuer": workspace.catalog.edition.publisher,
        "issued_on": chinese_date(issued_on),
        "summary": _summary_text(len(towns), lines, totals),
        "rows": rows,
        "items": item_rows,
        "note": "" if item_rows else "本月各村均无办件。",
    }
    stem = f"{scope}-{month_text(month)}-月度汇总"
    work = engine.settings.data / "work" / "packs"
    docx = engine.templates.render("district_summary", context, work / f"{stem}.docx")
    pdf = engine.pool.convert(docx, out_dir / f"{stem}.pdf")
    xlsx = out_dir / f"{stem}.xlsx"
    _write_workbook(xlsx, rows, item_rows)
    return DistrictSummary(
        title=title,
        pdf=pdf,
        xlsx=xlsx,
        month=month,
        pages=page_count(pdf),
        villages=lines,
        items=tallies,
        totals=totals,
    )
