"""``xwql catalog …``: the power list as data, and its published booklet."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from pipeline.cli._app import (
    CatalogOption,
    JsonOption,
    catalog_app,
    console,
    current_settings,
    err_console,
    print_json,
    today,
)
from pipeline.config import Settings
from pipeline.rules.calendar import parse_iso_date

if TYPE_CHECKING:
    from pipeline.catalog import Catalog


def load_catalog(folder: Path) -> Catalog:
    """The catalog in ``folder`` (the loader and its models are imported on first use)."""
    from pipeline.catalog import load_catalog as load

    return load(folder)


@catalog_app.command("validate")
def catalog_validate(catalog: CatalogOption = None) -> None:
    """Validate every item file; report each problem with file and field.

    Example: xwql catalog validate --catalog catalog/
    """
    folder = catalog or current_settings().catalog_dir
    loaded = load_catalog(folder)
    console.print(
        f"[green]✓[/] {folder}: 版本 {loaded.edition.version}, {len(loaded)} 项事项 items valid"
    )


@catalog_app.command("list")
def catalog_list(catalog: CatalogOption = None, as_json: JsonOption = False) -> None:
    """List the items: code, name, category, provenance, retention.

    Example: xwql catalog list --json
    """
    loaded = load_catalog(catalog or current_settings().catalog_dir)
    if as_json:
        print_json(
            [
                {
                    "code": i.code,
                    "name": i.name,
                    "category": i.category,
                    "aspect": i.aspect,
                    "provenance": i.provenance,
                    "retention": i.retention,
                    "retired": i.retired,
                }
                for i in loaded
            ]
        )
        return
    table = Table("编码 code", "事项名称 name", "类别 category", "来源 provenance", "保管期限")
    for item in loaded:
        table.add_row(
            item.code, item.name, item.category, item.provenance.value, item.retention.value
        )
    console.print(table)


@catalog_app.command("show")
def catalog_show(code: str, catalog: CatalogOption = None, as_json: JsonOption = False) -> None:
    """Show one item; accepts aliases such as xwq1-0049 or xwql-46.

    Example: xwql catalog show xwql-022
    """
    loaded = load_catalog(catalog or current_settings().catalog_dir)
    resolution = loaded.resolve(code)
    if resolution.warning:
        err_console.print(f"[yellow]注意 warning:[/] {resolution.warning}")
    item = resolution.item
    if as_json:
        print_json(item.model_dump(mode="json") | {"warning": resolution.warning})
        return
    console.print(f"[bold]{item.code} {item.name}[/]  ({item.category} · {item.aspect.value})")
    console.print(f"来源 provenance: {item.provenance.value}")
    console.print(f"行使依据: {'；'.join(item.basis)}")
    console.print(f"行使主体: {item.acting_body}    保管期限: {item.retention.value}")
    table = Table("#", "环节 step", "办理 actor", "时限 limit", "公开")
    from pipeline.documents.flowchart import describe_time_limit

    for index, step in enumerate(item.steps, 1):
        limit = describe_time_limit(step.time_limit, step.time_limit_note)
        table.add_row(str(index), step.name, step.actor, limit, "是" if step.public else "")
    console.print(table)
    if item.materials:
        console.print("一次告知材料: " + "；".join(m.name for m in item.materials))


@catalog_app.command("diff")
def catalog_diff(old: Path, new: Path, as_json: JsonOption = False) -> None:
    """Show what changed between two editions (folders or catalog-*.json snapshots).

    Example: xwql catalog diff out/catalog-2020.1.json catalog/
    """
    from pipeline.catalog.diff import diff_editions, load_snapshot

    changes = diff_editions(load_snapshot(old), load_snapshot(new))
    if as_json:
        print_json([change.as_dict() for change in changes])
        return
    if not changes:
        console.print("两版相同 / the editions are identical")
        return
    table = Table("编码 code", "变化 change", "字段 field", "原 old", "新 new")
    for change in changes:
        table.add_row(
            change.code, change.kind, change.field, _short(change.old), _short(change.new)
        )
    console.print(table)


def _short(value: Any, limit: int = 60) -> str:
    text = (
        ""
        if value is None
        else json.dumps(value, ensure_ascii=False)
        if not isinstance(value, str)
        else value
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


@catalog_app.command("schema")
def catalog_schema(
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print (or write) the JSON Schema of a catalog item, generated from the model.

    Example: xwql catalog schema --out archive_schema/catalog-item.schema.json
    """
    from pipeline.catalog.schema import item_schema_text

    text = item_schema_text()
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@catalog_app.command("confirm")
def catalog_confirm(
    code: Annotated[str, typer.Argument(help="The item, e.g. xwql-022.")],
    document: Annotated[str, typer.Option(help="The confirming document, e.g. 临民字〔2026〕3号.")],
    date: Annotated[str, typer.Option(help="From when the confirmed fields rule, YYYY-MM-DD.")],
    fields: Annotated[
        str | None, typer.Option(help="Comma-separated fields (default: every drafted one).")
    ] = None,
    catalog: CatalogOption = None,
) -> None:
    """Record the district's confirmation of an item's drafted fields: a new edition.

    The item's file gets the confirmation (document, date, fields); the edition
    gets the next version, that date and a change-log line. Confirmed fields are
    printed without the draft mark (起草，待确认).

    Example: xwql catalog confirm xwql-022 --document 临民字〔2026〕3号 --date 2026-12-01
    """
    from pipeline.catalog.confirm import confirm_fields

    chosen = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    done = confirm_fields(
        catalog or current_settings().catalog_dir, code, document=document,
        date=parse_iso_date(date), fields=chosen,
    )  # fmt: skip
    console.print(
        f"[green]✓[/] {done.code}: {'、'.join(done.fields)} 已确认 confirmed; "
        f"新版本 new edition {done.version}",
        highlight=False,
    )


@catalog_app.command("publish")
def catalog_publish(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/catalog"),
    catalog: CatalogOption = None,
    date: Annotated[
        str | None, typer.Option(help="Publication date YYYY-MM-DD (default: today, Beijing time).")
    ] = None,
    archive: Annotated[bool, typer.Option(help="Also file the edition in the archive.")] = False,
) -> None:
    """Publish the directory (Attachment 1) and the flowchart booklet (Attachment 2) as PDF.

    With --archive the edition (booklet, directory, data snapshot) is filed in the
    WORM archive; publishing the same edition again files nothing new.

    Example: xwql catalog publish --out out/catalog --archive
    """
    settings = current_settings()
    day = parse_iso_date(date) if date else today()
    publish(settings, catalog or settings.catalog_dir, out, day, archive=archive)


def publish(
    settings: Settings, folder: Path, out: Path, day: dt.date, *, archive: bool = False
) -> None:
    """Publish the catalog in ``folder`` into ``out``, with progress on the console."""
    from pipeline.documents.engine import DocumentEngine
    from pipeline.units.booklet import publish_catalog

    catalog = load_catalog(folder)
    with (
        console.status("启动 LibreOffice / starting LibreOffice") as status,
        DocumentEngine.open(settings) as engine,
    ):
        result = publish_catalog(
            catalog, out, engine, published_on=day, progress=lambda message: status.update(message)
        )
    console.print(f"[green]✓[/] 目录 directory: {result.directory_pdf}")
    console.print(
        f"[green]✓[/] 流程图汇编 booklet: {result.booklet_pdf} "
        f"({result.booklet_pages} 页 pages, {result.flowchart_pages} 张流程图 flowcharts)"
    )
    console.print(f"[green]✓[/] 版本快照 snapshot: {result.snapshot}")
    console.print(f"[green]✓[/] 用印登记 seal register: {result.seal_register}")
    if archive:
        from pipeline.archive.session import ArchiveSession
        from pipeline.organisations import load_district
        from pipeline.units.filing import archive_edition

        district = load_district(settings.district_path).district
        with ArchiveSession.open(settings, writing=True) as session:
            done = archive_edition(catalog, result, district, session.archiver, published_on=day)
        console.print(f"[green]✓[/] 归档 archived: {done.archival_code} ({done.outcome.value})")
