"""Catalogs whose drafted flows the district has confirmed, for the tests of refusing rules.

The shipped catalog's flows are drafts except the four the source prints as text, and
drafts only advise (see ``pipeline.rules.flow``). Tests of what the rules refuse use
the shipped items as if the district had confirmed them by a (test) document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from pipeline.catalog import Catalog
from pipeline.catalog.model import Confirmation

CONFIRMING_DOCUMENT = "临民字〔2020〕99号"
"""A confirmation that exists only in the tests."""


def confirmed_catalog(catalog: Catalog, *codes: str, on: dt.date = dt.date(2020, 1, 1)) -> Catalog:
    """``catalog`` with the flows of ``codes`` (all items: none given) confirmed from ``on``."""
    confirmation = Confirmation(
        document=CONFIRMING_DOCUMENT, date=on, fields=["steps", "public_notice"]
    )
    wanted = {catalog.get(code).code for code in codes}
    items = [
        item.model_copy(update={"confirmations": [*item.confirmations, confirmation]})
        if not wanted or item.code in wanted
        else item
        for item in catalog.items
    ]
    return replace(catalog, items=items)
