"""Validate catalog item files against the model: python tools/check_item.py FILE..."""

import sys
from pathlib import Path

import yaml
from pydantic import ValidationError

from pipeline.catalog.model import CatalogItem

ok = True
for name in sys.argv[1:]:
    try:
        CatalogItem.model_validate(yaml.safe_load(Path(name).read_text(encoding="utf-8")))
    except ValidationError as exc:
        ok = False
        print(name, exc)
print("ok" if ok else "FAILED")
sys.exit(0 if ok else 1)
