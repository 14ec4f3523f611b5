"""Building a village's monthly pack: its pages, the stamped cover, the collated PDF.

The pack's identity is the data it is made from (:func:`source_digest`), not its
bytes: LibreOffice never writes the same PDF twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.cases.model import Irregularity
from pipeline.cases.store import case_data
from pipeline.catalog.load import Catalog
from pipeline.documents.collate import DocumentInfo, Part, collate, page_count
from pipeline.documents.engine import DocumentEngine
from pipeline.documents.render import chinese_date
from pipeline.documents.stamp import SealUse, draw_seal, stamp_pdf
from pipeline.errors import InputInvalid
from pipeline.organisations import Place
from pipeline.units.booklet import BookletBuilder, Job
from pipeline.units.messages import ISSUED_BEFORE_MONTH
from pipeline.units.notices import check_public_text
from pipeline.units.packs.month import (
    ItemTally,
    Month,
    MonthCounts,
    VillageMonth,
    month_days,
    month_label,
    month_text,
    pack_file_name,
    village_month,
)
from pipeline.units.packs.sections import (
    FLOWCHART_GROUP,
    LIST_SECTION,
    PACK_TITLE,
    TABLE_SECTIONS,
    PackAmount,
    amounts,
    cover_context,
    section_context,
)
from pipeline.workspace import Workspace


@dataclass(frozen=True)
class PackSection:
    """A part of the pack: its bookmark title and its pages (page 1 is the cover)."""

    title: str
    first_page: int
    pages: int

    @property
    def last_page(self) -> int:
        """The section's last page."""
        return self.first_page + self.pages - 1


@dataclass(frozen=True)
class MonthlyPack:
    """A written pack, with what its archive record needs.

    Attributes:
        path: The collated, stamped PDF/A-2b.
        place: The village (with its town and district).
        month: The month published.
        title: 题名, e.g. 临淄区齐陵街道南马村2026年11月村级小微权力“五公开”材料.
        responsible_body: 责任者: the village committee, whose seal is on the cover.
        issued_on: Date printed on the cover.
        pages: Page count of ``path``.
        sections: Every part in order, cover and contents included; their pages add
            up to ``pages``.
        counts: The month in numbers.
        items: Codes of the catalog items used, in catalog order.
        tallies: The month per item.
        amounts: Money published (money items' cases closed in the month).
        irregularities: ``(case id, irregularity)`` of the month.
        seal_use: The seal placed on the cover (also written to the register).
        source_sha256: SHA-256 of the data the pack was made from (the cases as they
            stood, the items, the register lines, the month): the same data gives
            the same digest, so archiving it again can add nothing.
        flowcharts_rendered: Flowchart pages converted for this pack (0 when every
            page came from the cache).

    """

    path: Path
    place: Place
    month: Month
    title: str
    responsible_body: str
    issued_on: dt.date
    pages: int
    sections: list[PackSection]
    counts: MonthCounts
    items: list[str]
    tallies: list[ItemTally]
    amounts: list[PackAmount]
    irregularities: list[tuple[str, Irregularity]]
    seal_use: SealUse
    source_sha256: str
    flowcharts_rendered: int

    @property
    def month_text(self) -> str:
        """``2026-11``."""
        return month_text(self.month)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` and logs."""
        return {
            "path": str(self.path),
            "village": self.place.village.code,
            "place": self.place.full_name,
            "month": self.month_text,
            "title": self.title,
            "issued_on": self.issued_on.isoformat(),
            "pages": self.pages,
            "sections": [dataclasses.asdict(section) for section in self.sections],
            "counts": dataclasses.asdict(self.counts),
            "items": self.items,
            "flowcharts_rendered": self.flowcharts_rendered,
        }


def source_digest(facts: VillageMonth, catalog: Catalog) -> str:
    """SHA-256 of what the pack is made from (see ``MonthlyPack.source_sha256``)."""
    data = {
        "village": facts.place.village.code,
        "month": month_text(facts.month),
        "edition": catalog.edition.version,
        "cases": [case_data(case, objections=True) for case in facts.cases],
        "items": [item.model_dump(mode="json") for item in facts.items],
        "seal_uses": [{k: str(v) for k, v in sorted(row.items())} for row in facts.seal_uses],
    }
    if facts.objections:  # a month without any hashes as before objections were kept
        data["objections"] = [objection.as_data() for objection in facts.objections]
    printed = facts.decided_meetings()  # the process table prints them
    if printed:
        data["meetings"] = [meeting.model_dump(mode="json") for meeting in printed]
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def pack_path(out_dir: Path, place: Place, month: Month) -> Path:
    """Where the pack of ``place`` for ``month`` is written in ``out_dir``."""
    return out_dir / pack_file_name(place, month)


def _sections(parts: Sequence[Part]) -> list[PackSection]:
    sections: list[PackSection] = []
    page = 1
    for part in parts:
        count = page_count(part.pdf)
        title = part.group or part.title
        if sections and part.group and sections[-1].title == part.group:
            last = sections[-1]
            sections[-1] = dataclasses.replace(last, pages=last.pages + count)
        else:
            sections.append(PackSection(title, page, count))
        page += count
    return sections


@dataclass(frozen=True)
class _RenderedPages:
    """The pack's pages as converted, before the cover is stamped.

    Attributes:
        cover: The cover, not stamped yet.
        contents: The table of contents.
        body: The sections in order, the flowcharts grouped under their heading.
        flowcharts_rendered: Flowchart pages converted (not found in the cache).

    """

    cover: Path
    contents: Path
    body: list[Part]
    flowcharts_rendered: int


def _check_issue_date(issued_on: dt.date, month: Month) -> None:
    first, _ = month_days(month)
    if issued_on < first:
        raise InputInvalid(
            ISSUED_BEFORE_MONTH(issued=chinese_date(issued_on), month=month_label(month))
        )


def _render_pages(
    facts: VillageMonth,
    catalog: Catalog,
    engine: DocumentEngine,
    *,
    work: Path,
    flowchart_cache_dir: Path,
    issued_on: dt.date,
) -> _RenderedPages:
    """Render and convert the cover, every section and the contents, in ``work``."""
    charted = [item for item in facts.items if not item.retired]
    builder = BookletBuilder(
        Catalog(edition=catalog.edition, items=charted, folder=catalog.folder),
        engine,
        work=work,
        cache=flowchart_cache_dir,
    )
    cached_before = set(flowchart_cache_dir.glob("*.pdf"))
    charts = builder.flowchart_pages()
    jobs: list[Job] = [
        ("monthly_pack_cover", cover_context(facts, catalog, issued_on), work / "cover.pdf"),
        *(
            (section.template, section_context(section, facts), work / f"{section.template}.pdf")
            for section in (LIST_SECTION, *TABLE_SECTIONS)
        ),
    ]
    cover, listed, *tables = builder.render_and_convert(jobs)
    body = [
        Part(listed, title=LIST_SECTION.bookmark),
        *(
            Part(chart, title=f"{item.code} {item.name}", group=FLOWCHART_GROUP)
            for item, chart in zip(charted, charts, strict=True)
        ),
        *(
            Part(pdf, title=section.bookmark)
            for section, pdf in zip(TABLE_SECTIONS, tables, strict=True)
        ),
    ]
    return _RenderedPages(
        cover=cover,
        contents=builder.contents_page(body),
        body=body,
        flowcharts_rendered=len(set(charts) - cached_before),
    )


def _stamp_cover(
    cover: Path, place: Place, month: Month, engine: DocumentEngine, *, operator: str
) -> tuple[Part, SealUse]:
    """The cover with the village committee's seal over its name, and the seal's use."""
    stamped = cover.with_name("cover-stamped.pdf")
    use = stamp_pdf(
        cover, stamped, draw_seal(place.village.seal_text, engine.fonts),
        anchor=place.village.committee, operator=operator,
        purpose=f"{month_label(month)}村级小微权力“五公开”材料封面",
    )  # fmt: skip
    return Part(stamped, title="封面", numbered=False), use


def _document_info(place: Place, month: Month, title: str) -> DocumentInfo:
    return DocumentInfo(
        title=title,
        author=place.village.committee,
        subject=f"{place.full_name} {month_label(month)} 五公开",
        keywords="村级小微权力清单;五公开;月度公开材料",
    )


def build_monthly_pack(
    workspace: Workspace,
    engine: DocumentEngine,
    place: Place,
    month: Month,
    out_dir: Path,
    *,
    flowchart_cache_dir: Path,
    issued_on: dt.date,
    operator: str = "xwql",
) -> MonthlyPack:
    """Write the village's pack for ``month`` into ``out_dir``.

    Args:
        workspace: Catalog, organisations and the case store.
        engine: Templates, fonts and the warm converters.
        place: The village.
        month: ``(year, month)``.
        out_dir: Where the PDF goes (see :func:`pack_path`).
        flowchart_cache_dir: Flowchart pages kept across packs and runs (the
            catalog booklet's cache can be shared).
        issued_on: Date printed on the cover, on or after the month's first day.
        operator: Who places the seal (用印经办人), for the register.

    Returns:
        The pack; the cover's seal use is written to the register.

    Raises:
        InputInvalid: The date of issue is before the month.
        PrivacyLeak: The finished pack showed a full ID or phone number (it is deleted).
        ConversionError: LibreOffice failed on a page.

    """
    _check_issue_date(issued_on, month)
    catalog = workspace.catalog
    facts = village_month(workspace, place, month)
    work = engine.settings.data / "work" / "packs" / f"{place.village.code}-{month_text(month)}"
    work.mkdir(parents=True, exist_ok=True)
    pages = _render_pages(
        facts, catalog, engine, work=work, flowchart_cache_dir=flowchart_cache_dir,
        issued_on=issued_on,
    )  # fmt: skip
    cover, use = _stamp_cover(pages.cover, place, month, engine, operator=operator)
    parts = [cover, Part(pages.contents, title="目录", numbered=False), *pages.body]
    target = pack_path(out_dir, place, month)
    title = f"{place.full_name}{month_label(month)}{PACK_TITLE}"
    page_total = collate(parts, target, _document_info(place, month, title))
    check_public_text(target)
    # The register's line names the pack and its hash, not the cover file the seal went on.
    use = dataclasses.replace(use, document=target.name)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    workspace.store.record_seal_use(use, document_sha256=digest, case_id=None)
    return MonthlyPack(
        path=target,
        place=place,
        month=month,
        title=title,
        responsible_body=place.village.committee,
        issued_on=issued_on,
        pages=page_total,
        sections=_sections(parts),
        counts=facts.counts,
        items=[item.code for item in facts.items],
        tallies=facts.tallies(),
        amounts=amounts(facts),
        irregularities=[(case.case_id, entry) for case, entry in facts.irregularities],
        seal_use=use,
        source_sha256=source_digest(facts, catalog),
        flowcharts_rendered=pages.flowcharts_rendered,
    )
