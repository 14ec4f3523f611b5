from __future__ import annotations

import json
from pathlib import Path

import yaml

from pipeline.catalog.diff import diff_editions, load_snapshot
from pipeline.catalog.load import catalog_snapshot


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_identical_editions_have_no_changes(catalog_copy: Path) -> None:
    assert diff_editions(load_snapshot(catalog_copy), load_snapshot(catalog_copy)) == []


def test_diff_shows_changed_retired_and_added_items(catalog_copy: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    old = catalog_snapshot(catalog)
    items = catalog_copy / "items"

    def bump(data):  # type: ignore[no-untyped-def]
        data["version"] = "2026.1"
        data["changes"].append({"date": "2026-11-24", "summary": "低保时限调整；文化古迹保护停用"})

    _edit(catalog_copy / "edition.yaml", bump)
    _edit(
        items / "xwql-022.yaml",
        lambda d: d["steps"][1].update(time_limit={"days": 3, "unit": "working"}),
    )
    _edit(items / "xwql-049.yaml", lambda d: d.update(retired=True))
    new_item = yaml.safe_load((items / "xwql-050.yaml").read_text(encoding="utf-8"))
    new_item.update(code="xwql-051", number=51, name="村级网格化服务")
    new_item["source"]["attachment1_number"] = 51
    (items / "xwql-051.yaml").write_text(
        yaml.safe_dump(new_item, allow_unicode=True), encoding="utf-8"
    )

    changes = diff_editions(old, load_snapshot(catalog_copy))
    kinds = {(c.code, c.kind, c.field) for c in changes}
    assert ("edition", "changed", "version") in kinds
    # Lists of equal length are compared element by element: the change is located.
    assert ("xwql-022", "changed", "steps.1.time_limit") in kinds
    assert not [c for c in changes if c.code == "xwql-022" and c.field.startswith("steps.0")]
    assert ("xwql-049", "retired", "") in kinds
    assert ("xwql-051", "added", "") in kinds
    assert not [c for c in changes if c.code == "xwql-001"]


def test_snapshot_file_and_folder_compare_equal(
    tmp_path: Path, catalog_copy: Path, catalog
) -> None:  # type: ignore[no-untyped-def]
    snapshot = tmp_path / "catalog-2020.1.json"
    snapshot.write_text(json.dumps(catalog_snapshot(catalog), ensure_ascii=False), encoding="utf-8")
    assert diff_editions(load_snapshot(snapshot), load_snapshot(catalog_copy)) == []
