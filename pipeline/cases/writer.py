"""Write a case's documents as stamped PDFs, each seal entered in the register.

Shared by the notices and the case's other documents: render the template,
convert it on the warm converters, place the village seal over the committee's
name (when the document carries one) and write the seal-use register line
(用印登记; stamping is itself item xwql-040).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from threading import Lock
from typing import Any

from pipeline.cases.model import Case
from pipeline.cases.store import CaseStore
from pipeline.documents.engine import DocumentEngine
from pipeline.documents.stamp import Seal, draw_seal, stamp_pdf
from pipeline.organisations import Place


class StampedWriter:
    """Renders, converts and stamps documents through one engine and one store."""

    def __init__(
        self,
        engine: DocumentEngine,
        store: CaseStore,
        *,
        supervision_phone: str,
        operator: str,
        work: Path,
    ) -> None:
        """Seals are drawn once per village; files pass through ``work``."""
        self.engine = engine
        self.store = store
        self.supervision_phone = supervision_phone
        self.operator = operator
        self.work = work
        self._seals: dict[str, Seal] = {}
        self._lock = Lock()

    def seal(self, place: Place) -> Seal:
        """The village's seal, drawn on first use."""
        with self._lock:
            text = place.village.seal_text
            if text not in self._seals:
                self._seals[text] = draw_seal(text, self.engine.fonts)
            return self._seals[text]

    def write(
        self,
        template: str,
        context: dict[str, Any],
        target: Path,
        *,
        case: Case,
        place: Place,
        purpose: str | None,
    ) -> str:
        """Write ``target``; stamp it when ``purpose`` is given. Returns its SHA-256."""
        self.work.mkdir(parents=True, exist_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        docx = self.work / f"{target.stem}.docx"
        self.engine.templates.render(template, context, docx)
        if purpose is None:
            self.engine.pool.convert(docx, target)
            return hashlib.sha256(target.read_bytes()).hexdigest()
        unstamped = self.work / f"{target.stem}.pdf"
        self.engine.pool.convert(docx, unstamped)
        use = stamp_pdf(
            unstamped, target, self.seal(place), anchor=place.village.committee,
            purpose=purpose, operator=self.operator,
        )  # fmt: skip
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        self.store.record_seal_use(use, document_sha256=digest, case_id=case.case_id)
        return digest
