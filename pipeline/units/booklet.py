"""Publish a catalog edition: the directory (Attachment 1) and the flowchart booklet (Attachment 2).

For the district administrator (scenario 4): every edition of the catalog is
published as documents generated from the data, never retyped.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from PIL import Image as PILImage

from pipeline.catalog.load import Catalog, catalog_snapshot
from pipeline.catalog.model import CatalogItem, FieldSource, SampleFact
from pipeline.documents.collate import ContentsEntry, DocumentInfo, Part, collate, contents_entries
from pipeline.documents.engine import DocumentEngine
from pipeline.documents.flowchart import chart_placeholder, place_chart, render_flowchart
from pipeline.documents.render import Image, chinese_date
from pipeline.documents.stamp import SealUse, draw_seal, stamp_pdf
from pipeline.errors import CatalogInvalid, Problem
from pipeline.units.messages import FACT_MISSING, FACTS_MISSING

Context = dict[str, Any] | Callable[[], dict[str, Any]]
Job = tuple[str, Context, Path]
_CHART_WIDTH_MM = 160.0
_CHART_MAX_HEIGHT_MM = 112.0  # CHART_HEIGHT_IN, in mm
_CHART_FORMAT = b"vector chart, text kept"  # pages cached with raster charts are drawn again
_NUMERALS = "〇一二三四五六七八九"


def chinese_number(value: int) -> str:
    """1 → 一, 15 → 十五, 20 → 二十 (for headings up to 99)."""
    if not 0 < value < 100:
        return str(value)
    tens, units = divmod(value, 10)
    text = ("" if tens == 1 else _NUMERALS[tens]) + "十" if tens else ""
    return text + (_NUMERALS[units] if units else "")


def public_rule(item: CatalogItem) -> str:
    """The item's public-notice rule in words."""
    notice = item.public_notice
    if notice.text:
        return notice.text
    if notice.required and notice.days:
        unit = "个工作日" if notice.unit == "working" else "日"
        return f"{notice.scope}公示{notice.days}{unit}"
    return "无需公示" if not notice.required else "按规定公示"


@dataclass
class PublishedCatalog:
    """What ``publish_catalog`` wrote."""

    directory_pdf: Path
    booklet_pdf: Path
    snapshot: Path
    seal_register: Path
    booklet_pages: int
    flowchart_pages: int
    seal_uses: list[SealUse] = field(default_factory=list)


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:24]


class BookletBuilder:
    """Renders and converts the booklet's pages for one catalog edition."""

    def __init__(
        self, catalog: Catalog, engine: DocumentEngine, *, work: Path, cache: Path
    ) -> None:
        """Pages go through ``work``; flowchart pages are kept in ``cache`` across runs.

        Raises:
            CatalogInvalid: The edition lacks a fact every page states (its supervision
                phone): neither the booklet nor a pack is made without it.
        """
        missing = catalog.edition.missing_facts()
        if missing:
            where = str(catalog.folder / "edition.yaml") if catalog.folder else "edition.yaml"
            raise CatalogInvalid(
                FACTS_MISSING(version=catalog.edition.version),
                [Problem(where, fact.value, FACT_MISSING()) for fact in missing],
            )
        self.catalog = catalog
        self.edition = catalog.edition
        self.templates = engine.templates
        self.pool = engine.pool
        self.fonts = engine.fonts
        self.workers = engine.pool.callers  # pages waiting together are converted together
        self.work = work
        self.cache = cache

    def render_and_convert(self, jobs: Sequence[Job]) -> list[Path]:
        """Render each (template, context, pdf) job and convert them on all converters.

        A context may be a function, so that slow preparation (drawing a chart) runs
        in parallel with the conversions too.
        """

        def one(job: Job) -> Path:
            name, context, pdf = job
            docx = self.work / f"{pdf.stem}.docx"
            self.templates.render(name, context() if callable(context) else context, docx)
            return self.pool.convert(docx, pdf)

        with ThreadPoolExecutor(max_workers=self.workers) as executor:
            return list(executor.map(one, jobs))

    def chart_context(self, item: CatalogItem) -> dict[str, Any]:
        """Draw the item's chart (vector) and give its page's values, a blank in its place."""
        chart = render_flowchart(item, self._chart(item), self.fonts)
        blank = chart_placeholder(chart, self.work / f"{item.code}-place.png")
        return self.flowchart_context(item, blank)

    def _chart(self, item: CatalogItem) -> Path:
        return self.work / f"{item.code}-chart.pdf"

    def flowchart_context(self, item: CatalogItem, chart: Path) -> dict[str, Any]:
        """Template values of an item's flowchart page, the chart's image sized to fit."""
        with PILImage.open(chart) as image:
            width, height = image.size
        shown_width = min(_CHART_WIDTH_MM, _CHART_MAX_HEIGHT_MM * width / height)
        on = self.edition.effective_date  # the edition prints what holds from its date
        source = item.field_source("steps", on=on)
        confirmed = [c for c in item.confirmations if "steps" in c.fields and c.date <= on]
        provenance = {
            FieldSource.ATTACHMENT_2: f"原文（{self.edition.document_number}附件2）",
            FieldSource.CONFIRMED: f"经区里确认（{confirmed[-1].document if confirmed else ''}）",
        }.get(source, "起草稿，待区里确认（附件2原图缺失）")

        def marked(field: str, text: str) -> str:
            return item.marked(field, text, on=on)

        return {
            "code": item.code,
            "name": item.name,
            "category": item.category,
            "aspect": item.aspect.value,
            # A field the source does not give is printed with its mark (起草，待确认).
            "basis": marked("basis", "；".join(item.basis)),
            "acting_body": marked("acting_body", item.acting_body),
            "handling_role": marked("handling", item.handling.role),
            # Each village's own number: on its board, not known to the district's booklet.
            "handling_phone": "见各村村务公开栏",
            "public_rule": marked("public_notice", public_rule(item)),
            "provenance": provenance,
            "chart": Image(chart, width_mm=shown_width),
            "supervision": marked("supervision", item.supervision),
            # Printed right after the supervision: its own mark only when that one has none.
            "accountability": item.accountability
            if item.drafted("supervision", on=on) or not item.drafted("accountability", on=on)
            else marked("accountability", item.accountability),
            "supervision_phone": self.edition.shown(
                SampleFact.SUPERVISION_PHONE, self.edition.supervision_phone or ""
            ),
            "district": self.edition.district,
        }

    def flowchart_pages(self) -> list[Path]:
        """One PDF page per item, cached by the item's content and the template.

        A page is made in the work folder and renamed into the cache, so that a
        pack being built at the same time finds it whole or not at all.
        """
        template = self.templates.spec("flowchart_page").path.read_bytes()
        jobs: list[Job] = []
        pages: list[Path] = []
        charts: list[Path] = []
        for item in self.catalog.items:
            if item.retired:
                continue
            key = _digest(
                item.model_dump_json().encode(),
                self.edition.model_dump_json().encode(),
                template,
                _CHART_FORMAT,
            )
            cached = self.cache / f"{item.code}-{key}.pdf"
            pages.append(cached)
            if cached.is_file():
                continue
            made = self.work / cached.name
            jobs.append(("flowchart_page", partial(self.chart_context, item), made))
            charts.append(self._chart(item))
        self.cache.mkdir(parents=True, exist_ok=True)
        for made, chart in zip(self.render_and_convert(jobs), charts, strict=True):
            place_chart(made, chart)
            made.replace(self.cache / made.name)
        return pages

    def contents_page(self, body: Sequence[Part]) -> Path:
        """The contents page of ``body``, whose numbered pages count from 1 when collated."""
        rows = _contents_rows(contents_entries(body))
        (contents,) = self.render_and_convert(
            [("contents", {"title": "目　录", "entries": rows}, self.work / "contents.pdf")]
        )
        return contents

    def cover_context(self, published_on: dt.date) -> dict[str, Any]:
        """Template values of the booklet's cover."""
        edition = self.edition
        return {
            "district": edition.district,
            "title": "村级小微权力事项基本目录及流程图",
            "subtitle": "（试行）",
            "version": edition.version,
            "effective_date": edition.shown(
                SampleFact.EFFECTIVE_DATE, chinese_date(edition.effective_date)
            ),
            # The plan's issuers as the source lists them; the seal is the publisher's.
            "document_number": f"{edition.issuer}{edition.document_number}",
            "publisher": edition.publisher,
            "published_on": chinese_date(published_on),
        }

    def directory_context(self) -> dict[str, Any]:
        """Template values of the directory table (Attachment 1), category on its first row."""
        rows = []
        for category, items in self.catalog.categories_in_order():
            for index, item in enumerate(i for i in items if not i.retired):
                rows.append(
                    {
                        "category": category if index == 0 else "",
                        "number": item.number,
                        "name": item.name,
                        "code": item.code,
                    }
                )
        return {
            "title": self.edition.title,
            "rows": rows,
            "edition_line": f"版本 {self.edition.version}，"
            + self.edition.shown(
                SampleFact.EFFECTIVE_DATE, f"{chinese_date(self.edition.effective_date)}起施行"
            ),
        }


def publish_catalog(
    catalog: Catalog,
    out: Path,
    engine: DocumentEngine,
    *,
    published_on: dt.date,
    operator: str = "xwql",
    progress: Callable[[str], None] = lambda message: None,
) -> PublishedCatalog:
    """Write the directory PDF, the flowchart booklet PDF and the edition snapshot to ``out``.

    Raises:
        CatalogInvalid: The edition lacks a fact every page states (its supervision phone).
    """
    edition = catalog.edition
    work = engine.settings.data / "work" / "catalog"
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    booklet = BookletBuilder(
        catalog, engine, work=work, cache=engine.settings.data / "cache" / "flowcharts"
    )
    stem = f"{edition.district}村级小微权力清单-{edition.version}"

    progress("绘制流程图 / drawing flowcharts")
    pages = booklet.flowchart_pages()
    progress("生成封面和目录 / cover and directory")
    cover, directory = booklet.render_and_convert(
        [
            ("booklet_cover", booklet.cover_context(published_on), work / "cover.pdf"),
            ("catalog_directory", booklet.directory_context(), work / "directory.pdf"),
        ]
    )
    seal = draw_seal(edition.publisher, engine.fonts)
    stamped_cover = work / "cover-stamped.pdf"
    uses = [
        stamp_pdf(cover, stamped_cover, seal, anchor=edition.publisher,
                  purpose=f"发布{edition.title}（版本 {edition.version}）", operator=operator)
    ]  # fmt: skip
    directory_pdf = out / f"{stem}-附件1目录.pdf"
    shutil.copyfile(directory, directory_pdf)

    body = _booklet_body(catalog, directory, pages)
    progress("生成目录页 / contents")
    contents = booklet.contents_page(body)
    booklet_pdf = out / f"{stem}-流程图汇编.pdf"
    progress("合订 / collating")
    total = collate(
        [Part(stamped_cover, numbered=False, title="封面"),
         Part(contents, numbered=False, title="目录"), *body],
        booklet_pdf,
        DocumentInfo(
            title=f"{edition.district}村级小微权力事项基本目录及流程图（版本 {edition.version}）",
            author=edition.publisher,
            subject=edition.document_number,
            keywords="村级小微权力清单;流程图;五公开",
        ),
    )  # fmt: skip
    snapshot = _write_snapshot(catalog, out)
    register = out / "用印登记.csv"
    _append_seal_register(register, uses, booklet_pdf.name)
    return PublishedCatalog(
        directory_pdf=directory_pdf,
        booklet_pdf=booklet_pdf,
        snapshot=snapshot,
        seal_register=register,
        booklet_pages=total,
        flowchart_pages=len(pages),
        seal_uses=uses,
    )


def _booklet_body(catalog: Catalog, directory: Path, pages: Sequence[Path]) -> list[Part]:
    """The directory, then the flowchart pages grouped by category, in catalog order."""
    groups = {c.name: f"{chinese_number(c.number)}、{c.name}" for c in catalog.edition.categories}
    active = [i for i in catalog.items if not i.retired]
    return [
        Part(directory, title="附件1 村级小微权力事项基本目录"),
        *(
            Part(page, title=f"{item.code} {item.name}", group=f"附件2 · {groups[item.category]}")
            for item, page in zip(active, pages, strict=True)
        ),
    ]


def _write_snapshot(catalog: Catalog, out: Path) -> Path:
    """The edition as data (``catalog-<version>.json``), for ``catalog diff``."""
    snapshot = out / f"catalog-{catalog.edition.version}.json"
    snapshot.write_text(
        json.dumps(catalog_snapshot(catalog), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return snapshot


def _contents_rows(entries: Sequence[ContentsEntry]) -> list[dict[str, Any]]:
    return [
        {"indent": "　　" * entry.level, "title": entry.title, "page": entry.page}
        for entry in entries
    ]


def _append_seal_register(register: Path, uses: Sequence[SealUse], document: str) -> None:
    new = not register.exists()
    with register.open("a", encoding="utf-8-sig" if new else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(["用印时间", "印章", "文件", "页", "事由", "经办人"])
        for use in uses:
            writer.writerow(
                [use.placed_at.isoformat(timespec="seconds"), use.organisation, document,
                 use.page, use.purpose, use.operator]
            )  # fmt: skip
