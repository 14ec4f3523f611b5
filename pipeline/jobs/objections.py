"""The villagers' objections and reports, and the supervision committee's answers.

One function per act, for every face: the board's pages call :func:`object_to_notice`
and :func:`report_problem` for a villager; the supervision desk calls
:func:`answer_objection`; both show :func:`public_view` to the villager who follows a
receipt. An objection to a notice in its period becomes part of the case's record
(:class:`~pipeline.cases.model.CaseObjection`), so the case's rules know of it: it
blocks the next step until answered, and an upheld one sends the case back.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.cases.model import CaseObjection, ObjectionAnswer, ObjectionDecision
from pipeline.cases.objections import Objection, ObjectionKind
from pipeline.cases.privacy import mask_text
from pipeline.cases.verification import receipt_code
from pipeline.catalog.model import DayUnit, DocumentKind
from pipeline.config import Settings
from pipeline.errors import InputInvalid
from pipeline.jobs import messages as msg
from pipeline.organisations import Place
from pipeline.rules.calendar import CHINA, add_days
from pipeline.units.notices import notice_jobs
from pipeline.workspace import Workspace

if TYPE_CHECKING:  # the archive (pyHanko, minio) is imported only when objections are filed
    from pipeline.archive.archiver import Archived

MAX_TEXT = 2000
"""Characters an objection may have (as the villager sees them)."""
MAX_NAME = 40
MAX_PHONE = 20
MAX_PHOTO = 5 * 1024 * 1024
"""Bytes a photo may have."""
ANSWER_WORKING_DAYS = 5
"""Working days the committee has to answer, unless the district sets another number."""

_INVISIBLE = {"Cf", "Cc", "Zs", "Zl", "Zp"}
_PHONE = re.compile(r"^[0-9 +\-()（）]{5,20}$")
_PHOTO_TYPES = {b"\xff\xd8\xff": ("image/jpeg", "JPEG"), b"\x89PNG\r\n\x1a\n": ("image/png", "PNG")}


@dataclass(frozen=True)
class Submission:
    """What a villager typed (and attached) on the board.

    Attributes:
        text: What they object to or report (kept exactly as typed).
        name: Their name, if they give it (only the committee reads it).
        phone: Their phone, if they give it (only the committee reads it).
        photo: A photo's bytes, if they attach one.
    """

    text: str
    name: str = ""
    phone: str = ""
    photo: bytes | None = None


@dataclass(frozen=True)
class PublicObjection:
    """An objection or report as its receipt's page shows it: never who sent it.

    Attributes:
        receipt: The receipt code.
        kind: 异议 or 反映问题.
        village: The village's name (with its town).
        subject: What it is about (the item and notice, or the village).
        text: What was written.
        received_on: The day it arrived.
        due_on: The day the committee must answer by.
        answer: The committee's answer, once given.
        overdue: Unanswered after its last day.
    """

    receipt: str
    kind: str
    village: str
    subject: str
    text: str
    received_on: dt.date
    due_on: dt.date
    answer: ObjectionAnswer | None
    overdue: bool

    @property
    def state(self) -> str:
        """Where it stands, as the page prints it."""
        if self.answer is not None:
            return f"已答复（{self.answer.decision.value}）"
        return "逾期未答复" if self.overdue else "待答复"

    def as_dict(self) -> dict[str, object]:
        """The view as plain data (the page's JSON twin); the answer without who gave it."""
        answer = None
        if self.answer is not None:
            answer = {
                "findings": self.answer.findings,
                "decision": self.answer.decision.value,
                "answered_on": self.answer.answered_on,
            }
        return {
            "receipt": self.receipt, "kind": self.kind, "village": self.village,
            "subject": self.subject, "text": self.text, "received_on": self.received_on,
            "due_on": self.due_on, "state": self.state, "overdue": self.overdue,
            "answer": answer,
        }  # fmt: skip


def _received(now: dt.datetime) -> dt.date:
    return now.astimezone(CHINA).date()


def check_submission(submission: Submission) -> Submission:
    """The submission with its text, name and phone trimmed, if it can be accepted.

    The text is kept as typed (rare characters, zero-width marks, markup): pages
    show it literally. It must say something visible, in at most 2 000 characters.

    Raises:
        InputInvalid: Empty or too long text, a name or phone that cannot be one,
            a photo over 5 MB or that is not really a JPEG or PNG image.
    """
    text = submission.text.strip()
    if not any(unicodedata.category(char) not in _INVISIBLE for char in text):
        raise InputInvalid(msg.OBJECTION_EMPTY())
    if len(text) > MAX_TEXT:
        raise InputInvalid(msg.OBJECTION_TOO_LONG(most=MAX_TEXT, length=len(text)))
    name, phone = submission.name.strip(), submission.phone.strip()
    if len(name) > MAX_NAME:
        raise InputInvalid(msg.NAME_TOO_LONG(most=MAX_NAME))
    if phone and not _PHONE.match(phone):
        raise InputInvalid(msg.NOT_A_PHONE())
    if submission.photo:
        _check_photo(submission.photo)
    return Submission(text, name, phone, submission.photo or None)


def _check_photo(photo: bytes) -> None:
    """Refuse a photo that is not what it says, by its content (not its name or the browser's word).

    Raises:
        InputInvalid: Over 5 MB, or not a JPEG or PNG image that opens.
    """
    from PIL import Image, UnidentifiedImageError

    if len(photo) > MAX_PHOTO:
        raise InputInvalid(msg.PHOTO_TOO_BIG(mb=MAX_PHOTO // (1024 * 1024)))
    kind = _kind(photo)
    if kind is None:
        raise InputInvalid(msg.NOT_A_PHOTO())
    try:
        with Image.open(io.BytesIO(photo)) as image:
            if image.format != kind[1]:
                raise InputInvalid(msg.NOT_A_PHOTO())
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputInvalid(msg.NOT_A_PHOTO()) from exc


def _kind(photo: bytes) -> tuple[str, str] | None:
    """The media type and Pillow format its first bytes say a photo is, if JPEG or PNG."""
    return next((kind for magic, kind in _PHOTO_TYPES.items() if photo.startswith(magic)), None)


def _media_type(photo: bytes) -> str:
    """The media type of a photo ``check_submission`` opened already (not opened again)."""
    kind = _kind(photo)
    assert kind is not None
    return kind[0]


def _new(
    kind: ObjectionKind,
    place: Place,
    submission: Submission,
    now: dt.datetime,
    answer_days: int,
    *,
    case_id: str | None = None,
    notice_code: str | None = None,
    notice_step: str | None = None,
    item_code: str | None = None,
) -> tuple[Objection, bytes | None]:
    checked = check_submission(submission)
    received_on = _received(now)
    objection = Objection(
        receipt=receipt_code(), kind=kind, village=place.village.code,
        case_id=case_id, notice_code=notice_code, notice_step=notice_step, item_code=item_code,
        text=checked.text, contact_name=checked.name or None,
        contact_phone=checked.phone or None,
        photo_type=_media_type(checked.photo) if checked.photo else None,
        received_at=now, received_on=received_on, in_period=notice_code is not None,
        due_on=add_days(received_on, answer_days, DayUnit.WORKING),
    )  # fmt: skip
    return objection, checked.photo


def object_to_notice(
    workspace: Workspace,
    code: str,
    submission: Submission,
    *,
    now: dt.datetime,
    answer_days: int = ANSWER_WORKING_DAYS,
) -> Objection:
    """A villager's objection (异议) to the notice with verification code ``code``.

    Only a notice (公示) in its period takes objections; the objection is kept and
    written into the case's record, where it blocks the case's next step until the
    committee answers.

    Raises:
        InputInvalid: No such notice, not a notice with a period, the period is
            not running, or the submission cannot be accepted.
    """
    issued = workspace.store.notice(code)
    if issued is None or issued.kind != DocumentKind.PUBLIC_NOTICE.value:
        raise InputInvalid(msg.NOT_OBJECTABLE(code=code))
    today = _received(now)
    start, end = issued.period_start, issued.period_end
    if start is None or end is None or not start <= today <= end:
        raise InputInvalid(msg.PERIOD_NOT_RUNNING(code=code, start=start, end=end))
    case = workspace.store.get(issued.case_id)
    item = workspace.catalog.get(case.item_code)
    place = workspace.directory.get(case.village)
    job = next(j for j in notice_jobs(case, item, place) if j.verification_code == code)
    objection, photo = _new(
        ObjectionKind.OBJECTION, place, submission, now, answer_days,
        case_id=case.case_id, notice_code=code, notice_step=job.step.step,
        item_code=item.code,
    )  # fmt: skip
    workspace.objections.add(objection, photo=photo)
    on_case = CaseObjection(
        receipt=objection.receipt, notice_step=job.step.step, notice_code=code,
        received_on=objection.received_on, due_on=objection.due_on, in_period=True,
        steps_before=len(case.steps),
        text=objection.text,
    )  # fmt: skip
    updated = case.model_copy(update={"objections": [*case.objections, on_case]})
    workspace.store.save(updated, source=f"异议 {objection.receipt}")
    return objection


def report_problem(
    workspace: Workspace,
    village: str,
    submission: Submission,
    *,
    now: dt.datetime,
    answer_days: int = ANSWER_WORKING_DAYS,
) -> Objection:
    """A villager's report (反映问题) to the village's supervision committee.

    Raises:
        UnknownVillage: No such village.
        InputInvalid: The submission cannot be accepted.
    """
    place = workspace.directory.get(village)
    objection, photo = _new(ObjectionKind.REPORT, place, submission, now, answer_days)
    workspace.objections.add(objection, photo=photo)
    return objection


def answer_objection(
    workspace: Workspace,
    receipt: str,
    *,
    findings: str,
    decision: ObjectionDecision,
    answered_on: dt.date,
    answered_by: str,
) -> Objection:
    """Record the supervision committee's handling of an objection or report (once).

    On an objection, the case's record gets the answer too: not upheld, the case
    goes on; upheld (or partly), it goes back to the step before the notice.

    Raises:
        InputInvalid: No such receipt, answered already, blank findings, or an
            answer dated before the objection arrived.
    """
    objection = workspace.objections.get(receipt)
    if not findings.strip():
        raise InputInvalid(msg.FINDINGS_MISSING())
    if answered_on < objection.received_on:
        raise InputInvalid(
            msg.ANSWERED_BEFORE_RECEIVED(date=answered_on, received=objection.received_on)
        )
    case = workspace.store.get(objection.case_id) if objection.case_id else None
    answer = ObjectionAnswer(
        findings=findings.strip(), decision=decision, answered_on=answered_on,
        answered_by=answered_by, steps_before=len(case.steps) if case else 0,
    )  # fmt: skip
    answered = workspace.objections.record_answer(receipt, answer)
    if case is not None:
        kept = [
            o.model_copy(update={"answer": answer}) if o.receipt == receipt else o
            for o in case.objections
        ]
        workspace.store.save(
            case.model_copy(update={"objections": kept}), source=f"异议答复 {receipt}"
        )
    return answered


def public_view(workspace: Workspace, objection: Objection, today: dt.date) -> PublicObjection:
    """What the villager following ``objection``'s receipt may see (no name, no phone).

    ID and mobile numbers typed into the text or the findings are masked: a receipt's
    page is public to whoever holds the code, like the board.
    """
    place = workspace.directory.get(objection.village)
    answer = objection.answer
    if answer is not None:
        answer = answer.model_copy(update={"findings": mask_text(answer.findings)})
    subject = f"{place.village.name}村务"
    if objection.item_code is not None:
        item = workspace.catalog.get(objection.item_code)
        subject = f"{item.name}的公示（核验码 {objection.notice_code}）"
    return PublicObjection(
        receipt=objection.receipt, kind=objection.kind.value,
        village=f"{place.town.name}{place.village.name}", subject=subject,
        text=mask_text(objection.text), received_on=objection.received_on,
        due_on=objection.due_on, answer=answer, overdue=objection.overdue(today),
    )  # fmt: skip


def file_objections(settings: Settings, receipts: Sequence[str]) -> list[Archived]:
    """File the records of these objections now, each unless archived as it stands.

    The supervision desk files an objection right after its answer; the district's
    monthly run files every objection and report too, so one the desk could not
    file (the archive down) is filed then.

    Raises:
        XwqlError: A receipt is unknown, a record cannot be written, or the archive
            cannot be used (what was filed before the failure stays filed).
    """
    from pipeline.archive.session import ArchiveSession
    from pipeline.documents.engine import DocumentEngine
    from pipeline.units.filing import file_objection
    from pipeline.units.writer import StampedWriter

    with (
        Workspace.open(settings) as workspace,
        ArchiveSession.open(settings, writing=True) as session,
        DocumentEngine.open(settings) as engine,
    ):
        writer = StampedWriter(
            engine, workspace.store,
            supervision_phone=workspace.directory.district.shown(
                    workspace.directory.district.supervision_phone
                ),
            operator="xwql", work=settings.data / "work" / "objections",
        )  # fmt: skip
        filed = []
        for receipt in receipts:
            objection = workspace.objections.get(receipt)
            item = workspace.catalog.get(objection.item_code) if objection.item_code else None
            done = file_objection(
                objection, workspace.objections.photo(receipt),
                workspace.directory.get(objection.village), item, writer, session.archiver,
                work=settings.data / "work" / "objections", keep_work=settings.keep_work,
            )  # fmt: skip
            workspace.objections.mark_archived(receipt, done.archival_code)
            filed.append(done)
        return filed


def objections_of(
    workspace: Workspace, villages: Sequence[Place], *, answered: bool | None = None
) -> list[Objection]:
    """The objections and reports of ``villages``, oldest first."""
    return workspace.objections.find(
        villages=[place.village.code for place in villages], answered=answered
    )
