from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from pipeline.catalog.schema import item_schema_text
from tests.conftest import ROOT

SCHEMA = ROOT / "archive_schema" / "catalog-item.schema.json"


def test_committed_schema_is_generated_from_the_model() -> None:
    # Regenerate with: xwql catalog schema --out archive_schema/catalog-item.schema.json
    assert SCHEMA.read_text(encoding="utf-8") == item_schema_text()


def test_every_shipped_file_validates_against_the_json_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    files = [
        ROOT / "catalog" / "edition.yaml",
        *sorted((ROOT / "catalog" / "items").glob("*.yaml")),
    ]
    assert len(files) == 51
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        errors = list(validator.iter_errors(json.loads(json.dumps(data, default=str))))
        assert not errors, (path.name, [e.message for e in errors[:3]])


def test_schema_rejects_a_broken_item() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    item = yaml.safe_load(
        (ROOT / "catalog" / "items" / "xwql-022.yaml").read_text(encoding="utf-8")
    )
    item["steps"] = item["steps"][:1]
    assert not validator.is_valid(item)


def test_schema_file_is_valid_json(tmp_path: Path) -> None:
    assert json.loads(SCHEMA.read_text(encoding="utf-8"))["$id"].endswith("/v1")
