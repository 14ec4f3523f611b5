"""Write a case's documents as stamped PDFs, each seal entered in the register.

Shared by the notices and the case's other documents: render the template,
convert it on the warm converters, place the village seal over the committee's
name (when the document carries one) and write the seal-use register line
(用印登记; stamping is itself item xwql-040).

Stamping needs pikepdf, PDFium and Pillow, which take longer to import than a
document takes to convert. A writer imports them on a thread of their own when
it is made, so a command issuing one notice spends its wait for LibreOffice
importing them instead of importing them afterwards. Drawing a seal takes about
70 ms, so each village's drawn seal is kept in the data folder (``seals/``),
named by a digest of its text, the fonts and the drawing code: a changed seal
text, font or drawing is drawn afresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.cases.model import Case
from pipeline.cases.store import CaseStore
from pipeline.documents.engine import DocumentEngine
from pipeline.organisations import Place

if TYPE_CHECKING:
    from pipeline.documents.pdftext import PdfText
    from pipeline.documents.stamp import Seal


def _import_stamping() -> None:
    import pipeline.documents.stamp  # noqa: F401


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
        self._lock = threading.Lock()
        threading.Thread(target=_import_stamping, name="import-stamping", daemon=True).start()

    def seal(self, place: Place) -> Seal:
        """The village's seal: drawn on first use, or read as drawn before."""
        with self._lock:
            text = place.village.seal_text
            if text not in self._seals:
                self._seals[text] = self._kept_seal(text)
            return self._seals[text]

    def _kept_seal(self, text: str) -> Seal:
        from pipeline.documents import stamp

        digest = hashlib.sha256(text.encode())
        digest.update(Path(stamp.__file__).read_bytes())
        for face in sorted(self.engine.fonts.folder.glob("*.otf")):
            info = face.stat()
            digest.update(f"{face.name}:{info.st_size}:{info.st_mtime_ns}".encode())
        kept = self.engine.settings.data / "seals" / f"{digest.hexdigest()[:32]}.png"
        try:
            return stamp.Seal(organisation=text, subtitle="", png=kept.read_bytes())
        except OSError:
            pass
        seal = stamp.draw_seal(text, self.engine.fonts)
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_name(f".{kept.name}.{threading.get_ident()}.part")
        partial.write_bytes(seal.png)
        partial.replace(kept)
        return seal

    def convert(
        self, template: str, context: dict[str, Any], target: Path, *, stamped: bool
    ) -> Path:
        """Render and convert: ``target`` itself, or (``stamped``) an unstamped PDF to stamp."""
        self.work.mkdir(parents=True, exist_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        docx = self.work / f"{target.stem}.docx"
        self.engine.templates.render(template, context, docx)
        pdf = self.work / f"{target.stem}.pdf" if stamped else target
        return self.engine.pool.convert(docx, pdf)

    def stamp(
        self,
        unstamped: Path,
        target: Path,
        *,
        case: Case,
        place: Place,
        purpose: str,
        dated: dt.date,
        text: PdfText | None = None,
    ) -> str:
        """Stamp ``unstamped`` into ``target`` and register the seal's use; the SHA-256.

        ``dated`` is the document's date (the register's month); ``text`` is the
        text of ``unstamped``, if read already (looking for the committee).
        """
        from pipeline.documents.stamp import stamp_pdf

        use = stamp_pdf(
            unstamped, target, self.seal(place), anchor=place.village.committee,
            purpose=purpose, operator=self.operator, text=text, dated=dated,
        )  # fmt: skip
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        self.store.record_seal_use(use, document_sha256=digest, case_id=case.case_id)
        return digest

    def write(
        self,
        template: str,
        context: dict[str, Any],
        target: Path,
        *,
        case: Case,
        place: Place,
        purpose: str | None,
        dated: dt.date,
    ) -> str:
        """Write ``target`` (dated ``dated``); stamp it when ``purpose`` is given; its SHA-256."""
        pdf = self.convert(template, context, target, stamped=purpose is not None)
        if purpose is None:
            return hashlib.sha256(target.read_bytes()).hexdigest()
        return self.stamp(pdf, target, case=case, place=place, purpose=purpose, dated=dated)
