"""The catalog item's JSON Schema, generated from the pydantic model (one definition)."""

from __future__ import annotations

import json
from typing import Any

from pipeline.catalog.model import CatalogItem, Edition

SCHEMA_ID = "https://xwql.example/schema/catalog-item/v1"


def item_schema_text() -> str:
    """The JSON Schema of catalog items and editions, as stable, sorted JSON text."""
    defs: dict[str, Any] = {}
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "xwql catalog item (村级小微权力事项) and edition, version 1",
        "oneOf": [{"$ref": "#/$defs/CatalogItem"}, {"$ref": "#/$defs/Edition"}],
        "$defs": defs,
    }
    for model in (CatalogItem, Edition):
        generated = model.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(generated.pop("$defs", {}))
        defs[model.__name__] = generated
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
