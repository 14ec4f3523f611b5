"""A village's meetings: the register as the clerk reads it, and the minutes to sign.

``xwql cases meetings`` and the workspace's meetings page list a village's register
(会议记录), each meeting with its quorum line, the topics whose vote fell short, and
the cases it decided; ``xwql cases minutes`` and the page's print link write a
meeting's minutes (会议记录) for those present to sign, the same document its
cases' files hold.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.cases.meetings import Meeting
from pipeline.catalog.model import MeetingRules
from pipeline.config import Settings
from pipeline.documents.engine import DocumentEngine
from pipeline.errors import InputInvalid
from pipeline.jobs.messages import NO_SUCH_MEETING
from pipeline.organisations import Place
from pipeline.rules.meetings import majority_short, quorum_short, quorum_statement
from pipeline.units.contexts import minutes_context
from pipeline.workspace import Workspace


@dataclass(frozen=True)
class MeetingOverview:
    """One meeting of the register, as judged on its own.

    Attributes:
        meeting: The meeting.
        quorum: The minutes' quorum line (符合三分之二以上要求; empty for a kind
            without a quorum rule).
        shortfalls: What the meeting fell short of: the quorum, a topic's majority
            (each ``中文 / English``). A step that names it is refused for it.
        advisory: The kind's figures are drafted (no law sets them): advice only.
    """

    meeting: Meeting
    quorum: str
    shortfalls: list[str]
    advisory: bool


def meeting_overview(meeting: Meeting, place: Place, rules: MeetingRules | None) -> MeetingOverview:
    """The quorum line and the shortfalls of ``meeting`` under the catalog's meeting rules."""
    rule = rules.kinds.get(meeting.kind.value) if rules else None
    if rules is None or rule is None:
        return MeetingOverview(meeting, "", [], advisory=False)
    found = [quorum_short(meeting, place.village, rule)]
    found += [majority_short(meeting, vote, place.village, rule) for vote in meeting.topics]
    shortfalls = [f"{text.zh} / {text.en}" for text in found if text is not None]
    quorum = quorum_statement(meeting, place.village, rules)
    return MeetingOverview(meeting, quorum, shortfalls, advisory=rule.drafted)


def village_meetings(workspace: Workspace, place: Place) -> list[MeetingOverview]:
    """The village's register, the latest meeting first."""
    register = workspace.meetings.of_village(place.village.code)
    rules = workspace.catalog.meetings
    found = [meeting_overview(meeting, place, rules) for meeting in register.values()]
    return sorted(found, key=lambda seen: seen.meeting.held_on, reverse=True)


def find_meeting(workspace: Workspace, place: Place, number: str) -> Meeting:
    """The village's meeting ``number``.

    Raises:
        InputInvalid: The register has no such meeting (the known numbers are named).
    """
    register = workspace.meetings.of_village(place.village.code)
    meeting = register.get(number.strip())
    if meeting is None:
        known = "、".join(register) or "—"
        raise InputInvalid(NO_SUCH_MEETING(number=number, village=place.village.name, known=known))
    return meeting


def minutes_file_name(meeting: Meeting) -> str:
    """The minutes' file name: the number, with what a file name cannot hold replaced."""
    safe = "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in meeting.number)
    return f"{safe}.pdf" if safe.endswith("会议记录") else f"{safe}-会议记录.pdf"


def write_minutes(
    engine: DocumentEngine,
    meeting: Meeting,
    place: Place,
    rules: MeetingRules | None,
    out: Path,
) -> Path:
    """Write the minutes of ``meeting`` into ``out`` as PDF/A, to print and sign."""
    quorum = quorum_statement(meeting, place.village, rules) if rules else ""
    context = minutes_context(meeting, place, quorum=quorum)
    out.mkdir(parents=True, exist_ok=True)
    target = out / minutes_file_name(meeting)
    work = engine.settings.data / "work" / "minutes"
    work.mkdir(parents=True, exist_ok=True)
    # Two clerks may print the same minutes at once: each writes in its own folder.
    with tempfile.TemporaryDirectory(dir=work) as scratch:
        docx = Path(scratch) / f"{target.stem}.docx"
        engine.templates.render("meeting_record", context, docx)
        engine.pool.convert(docx, Path(scratch) / target.name).replace(target)
    return target


def print_minutes(
    settings: Settings, village: str, numbers: Sequence[str], out: Path
) -> Iterator[Path]:
    """Write the minutes of each meeting of ``village`` named (every one when none is).

    Raises:
        InputInvalid: No such village, or no such meeting (before anything is written).
    """
    with Workspace.open(settings) as workspace:
        place = workspace.directory.get(village)
        if numbers:
            meetings = [find_meeting(workspace, place, number) for number in numbers]
        else:
            meetings = list(workspace.meetings.of_village(place.village.code).values())
        rules = workspace.catalog.meetings
        with DocumentEngine.open(settings) as engine:
            for meeting in meetings:
                yield write_minutes(engine, meeting, place, rules, out)
