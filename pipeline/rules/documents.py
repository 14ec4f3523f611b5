"""Which documents a case needs: what its case file holds, given the steps taken."""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.cases.model import Case
from pipeline.catalog.model import CatalogItem, DocumentKind, StepKind

_INTERNAL = (
    DocumentKind.APPLICATION,
    DocumentKind.NOTIFICATION,
    DocumentKind.RECEIPT,
    DocumentKind.PROXY_AUTHORISATION,
)


def planned_kinds(case: Case, item: CatalogItem) -> list[DocumentKind]:
    """The internal documents this case gets, in filing order."""
    return required_documents(item, (), proxy=case.proxy is not None)


def required_documents(
    item: CatalogItem, steps_taken: Iterable[str], *, proxy: bool
) -> list[DocumentKind]:
    """The documents a complete case file of ``item`` holds, given the steps taken.

    The internal documents the item produces (the proxy authorisation only when
    a proxy acted), a meeting record (会议记录) for a decision step, a notice (公示)
    for a notice step and a result notice (结果公开) for a result step.

    Args:
        item: The catalog item.
        steps_taken: Ids of the steps recorded on the case.
        proxy: Whether a proxy (代办人) acted.
    """
    taken = {step.kind for step in item.steps if step.id in set(steps_taken)}
    by_step = {
        DocumentKind.MEETING_RECORD: StepKind.DECISION,
        DocumentKind.PUBLIC_NOTICE: StepKind.NOTICE,
        DocumentKind.RESULT_NOTICE: StepKind.RESULT,
    }
    required = [
        kind
        for kind in _INTERNAL
        if kind in item.documents and (kind != DocumentKind.PROXY_AUTHORISATION or proxy)
    ]
    required += [kind for kind, step in by_step.items() if step in taken]
    return required


def skipped_kinds(case: Case, item: CatalogItem) -> list[DocumentKind]:
    """Documents the item produces that are not written here (meeting records)."""
    decided = any(
        step.kind == "decision" for step in item.steps if step.id in {r.step for r in case.steps}
    )
    return [DocumentKind.MEETING_RECORD] if decided else []
