"""Print-ready notices for posting (公示, 结果公开): render, convert, stamp, register.

For the village clerk (scenario 1). Each notice or result step recorded on a case
gives one public sheet, personal data masked, with the notice period, the
supervision phones, the village seal over the committee's name and a short
verification code (核验码) that an auditor can check against the registry. An
internal copy with the full data is written beside it for the archive. Every seal
placed goes into the seal-use register (用印登记: stamping is itself item xwql-040).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.cases.meetings import Meeting, meetings_deciding
from pipeline.cases.model import Case, StepRecord
from pipeline.cases.store import IssuedNotice
from pipeline.cases.verification import verification_code, verification_payload
from pipeline.catalog.model import CatalogItem, DocumentKind, StepKind
from pipeline.documents.render import Image
from pipeline.errors import ExitCode, InputInvalid, XwqlError
from pipeline.organisations import Place
from pipeline.rules.flow import notice_period
from pipeline.units.contexts import (
    public_notice_context,
    public_rows,
    result_notice_context,
)
from pipeline.units.messages import NO_NOTICE_PERIOD, PUBLIC_SHEET_LEAKED
from pipeline.units.writer import StampedWriter

if TYPE_CHECKING:
    from pipeline.documents.pdftext import PdfText

_KIND_NAMES = {DocumentKind.PUBLIC_NOTICE: "公示", DocumentKind.RESULT_NOTICE: "结果公开"}
# What must never appear in a public sheet's text layer.
_LEAKS = (
    re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"),  # 18-digit ID number
    re.compile(r"(?<!\d)\d{15}(?!\d)"),  # old 15-digit ID number
    re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),  # mobile phone
)


class PrivacyLeak(XwqlError):
    """A public document would show personal data; it was not written."""

    exit_code = ExitCode.INPUT_INVALID


@dataclass(frozen=True)
class NoticeJob:
    """One public sheet to issue: a notice or result step recorded on a case."""

    case: Case
    item: CatalogItem
    place: Place
    kind: DocumentKind
    step: StepRecord
    start: dt.date | None = None
    end: dt.date | None = None
    meeting: Meeting | None = None
    """A 公示 after a meeting's decision (决议公开): that meeting, whose vote it states."""

    @property
    def verification_code(self) -> str:
        """The sheet's verification code (核验码), fixed by its public facts."""
        payload = verification_payload(
            self.kind, self.case, issued_on=self.step.date, start=self.start, end=self.end
        )
        return verification_code(payload)

    @property
    def file_stem(self) -> str:
        """``NM-2026-001-公示-2026-11-03``."""
        return f"{self.case.case_id}-{_KIND_NAMES[self.kind]}-{self.step.date.isoformat()}"


@dataclass(frozen=True)
class IssuedFiles:
    """What issuing one notice wrote, for which job."""

    job: NoticeJob
    notice: IssuedNotice
    public_pdf: Path
    internal_pdf: Path


@dataclass(frozen=True)
class NoticeBatch:
    """What a batch issued, and the jobs that failed with why."""

    issued: list[IssuedFiles]
    failed: list[tuple[NoticeJob, XwqlError]]


def notice_jobs(
    case: Case, item: CatalogItem, place: Place, register: Mapping[str, Meeting] | None = None
) -> list[NoticeJob]:
    """Every notice (公示) and result (结果公开) step recorded on ``case``, in order.

    With the village's meeting ``register``, a 公示 following a registered meeting's
    decision states that meeting's vote (决议公开).
    """
    steps = {step.id: step for step in item.steps}
    jobs: list[NoticeJob] = []
    for index, record in enumerate(case.steps):
        step = steps.get(record.step)
        if step is None:
            continue
        if step.kind == StepKind.NOTICE:
            period = notice_period(item, step, record.date)
            if period is None:
                raise InputInvalid(NO_NOTICE_PERIOD(item=item.code, step=step.name))
            start, end, _, _ = period
            before = case.model_copy(update={"steps": case.steps[:index]})
            decided = meetings_deciding(before, register or {})
            jobs.append(
                NoticeJob(case, item, place, DocumentKind.PUBLIC_NOTICE, record, start, end,
                          meeting=decided[-1] if decided else None)
            )  # fmt: skip
        elif step.kind == StepKind.RESULT:
            jobs.append(NoticeJob(case, item, place, DocumentKind.RESULT_NOTICE, record))
    return jobs


def internal_rows(case: Case) -> list[dict[str, str]]:
    """The notice table with full ID numbers, for the archived internal copy only."""
    return [
        row | {"id_number": person.id_number or ""}
        for row, person in zip(public_rows(case), case.applicants, strict=True)
    ]


def check_public_text(pdf: Path, text: PdfText | None = None) -> None:
    """Refuse (and delete) a public PDF whose text shows a full ID or mobile number.

    ``text`` is the PDF's text when it was read already.
    """
    from pipeline.documents.pdftext import read_pdf_text

    printed = (text or read_pdf_text(pdf)).text
    # As printed, and without white space: a number a line break cut in two is
    # whole only in the second, one followed by a table's next cell only in the first.
    joined = "".join(printed.split())
    for pattern in _LEAKS:
        if pattern.search(printed) or pattern.search(joined):
            pdf.unlink(missing_ok=True)
            raise PrivacyLeak(PUBLIC_SHEET_LEAKED(file=pdf.name))


def _qr(code: str, target: Path, public_url: str) -> Image:
    """The QR code printed beside the code: it opens the notice's page on the village board.

    ``<public_url>/n/7K3D-Q9XM`` is about 40 characters: version 3 at error correction M
    (29 modules), about 0.6 mm a module at 18 mm, which a phone reads off a board.
    """
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    target.parent.mkdir(parents=True, exist_ok=True)
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=1)
    qr.add_data(f"{public_url}/n/{code}")
    qr.make(fit=True)
    qr.make_image().save(str(target))
    return Image(target, width_mm=18)


class NoticeIssuer(StampedWriter):
    """Issues notices through one document engine and one store."""

    def _context(self, job: NoticeJob, code: str, qr: Image) -> dict[str, Any]:
        if job.kind == DocumentKind.PUBLIC_NOTICE:
            assert job.start is not None and job.end is not None
            return public_notice_context(
                job.case, job.item, job.place, start=job.start, end=job.end,
                verification_code=code, qr=qr, issued_on=job.step.date,
                supervision_phone=self.supervision_phone, meeting=job.meeting,
            )  # fmt: skip
        return result_notice_context(
            job.case, job.item, job.place, result_on=job.step.date, verification_code=code,
            qr=qr, issued_on=job.step.date, supervision_phone=self.supervision_phone,
        )  # fmt: skip

    def issue(self, job: NoticeJob, out: Path) -> IssuedFiles:
        """Write the public sheet and the internal copy of ``job`` into ``out``.

        Both are converted at once (the converters join or share them); the
        internal copy is stamped, and its seal registered, only once the public
        sheet passed the privacy check.
        """
        from pipeline.documents.pdftext import read_pdf_text

        code = job.verification_code
        qr = _qr(code, self.work / f"qr-{code}.png", self.engine.settings.public_url)
        context = self._context(job, code, qr)
        name = _KIND_NAMES[job.kind]
        public_pdf = out / f"{job.file_stem}.pdf"
        internal_pdf = out / "internal" / f"{job.file_stem}-内部.pdf"
        template = "public_notice" if job.kind == DocumentKind.PUBLIC_NOTICE else "result_notice"
        with ThreadPoolExecutor(max_workers=1) as helper:
            internal = helper.submit(
                self.convert, template, context | {"rows": internal_rows(job.case)},
                internal_pdf, stamped=True,
            )  # fmt: skip
            unstamped = self.convert(template, context, public_pdf, stamped=True)
            # Read once, for the privacy check and the seal's place.
            text = read_pdf_text(unstamped, find=job.place.village.committee)
            check_public_text(unstamped, text)
            digest = self.stamp(
                unstamped, public_pdf, case=job.case, place=job.place,
                purpose=f"{job.item.name}{name}（张贴）", text=text, dated=job.step.date,
            )  # fmt: skip
            self.stamp(
                internal.result(), internal_pdf, case=job.case, place=job.place,
                purpose=f"{job.item.name}{name}（存档内部件）", dated=job.step.date,
            )  # fmt: skip
        notice = IssuedNotice(
            verification_code=code, case_id=job.case.case_id, kind=job.kind.value,
            village=job.place.village.code, item_code=job.item.code, period_start=job.start,
            period_end=job.end, issued_on=job.step.date, public_sha256=digest,
            public_file=public_pdf.name,
        )  # fmt: skip
        self.store.register_notice(notice)
        return IssuedFiles(job=job, notice=notice, public_pdf=public_pdf, internal_pdf=internal_pdf)

    def issue_all(
        self,
        jobs: Sequence[NoticeJob],
        out: Path,
        *,
        progress: Callable[[str], None] = lambda message: None,
    ) -> NoticeBatch:
        """Issue every job on all converters at once, in the jobs' order.

        A job that fails with an expected error (bad data, a document LibreOffice
        cannot convert) is reported in ``failed``; the others are still issued.
        """

        def one(job: NoticeJob) -> IssuedFiles | XwqlError:
            progress(f"{job.case.case_id} {_KIND_NAMES[job.kind]}")
            try:
                return self.issue(job, out)
            except XwqlError as exc:
                return exc

        # More callers than converters: the documents waiting together are converted together.
        with ThreadPoolExecutor(max_workers=self.engine.pool.callers) as executor:
            outcomes = list(executor.map(one, jobs))
        return NoticeBatch(
            issued=[o for o in outcomes if isinstance(o, IssuedFiles)],
            failed=[
                (j, o) for j, o in zip(jobs, outcomes, strict=True) if isinstance(o, XwqlError)
            ],
        )
