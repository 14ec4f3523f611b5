"""The meeting register of the scope (会议记录), and each meeting's minutes to sign.

==============================================  ========================================
``GET /w/meetings?village``                     the meetings of the scope (or one of its
                                                villages), latest first: attendance, the
                                                quorum line, what fell short, the cases
``GET /w/meetings/minutes.pdf?village&number``  a meeting's minutes as PDF/A, for those
                                                present to sign (the case file's copy)
==============================================  ========================================

The lines come from the same job as ``xwql cases meetings`` and ``xwql cases
minutes`` (:mod:`pipeline.jobs.meetings`); the page has a JSON twin (``?format=json``).
Anyone who may see the village's cases may read and print its minutes: they carry
the names of those present and the topics, no ID number or phone.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pipeline.accounts.permissions import Action
from pipeline.documents.engine import DocumentEngine
from pipeline.jobs.meetings import MeetingOverview, find_meeting, village_meetings, write_minutes
from pipeline.organisations import Place
from pipeline.web.state import file_response, page, web_state
from pipeline.web.workspace.base import (
    AccountDep,
    log,
    open_workspace,
    places,
    places_for,
    require,
)

router = APIRouter(prefix="/w/meetings")


def _row(seen: MeetingOverview, place: Place) -> dict[str, Any]:
    meeting = seen.meeting
    topics = [
        {
            "topic": vote.topic, "case_id": vote.case_id, "in_favour": vote.in_favour,
            "against": vote.against, "abstaining": vote.abstaining,
        }
        for vote in meeting.topics
    ]  # fmt: skip
    return {
        "village": place.village.code,
        "village_name": place.village.name,
        "number": meeting.number,
        "kind": meeting.kind.value,
        "held_on": meeting.held_on,
        "place": meeting.place,
        "chair": meeting.chair,
        "members": meeting.members,
        "present": meeting.present,
        "quorum": seen.quorum,
        "shortfalls": seen.shortfalls,
        "advisory": seen.advisory,
        "topics": topics,
    }


@router.get("")
def meetings(request: Request, session: AccountDep, village: str = "") -> Response:
    """The meetings of the scope, or of one of its villages, the latest first."""
    chosen = places_for(request, session, Action.VIEW_CASES, village)
    workspace = open_workspace(request)
    rows = [_row(seen, place) for place in chosen for seen in village_meetings(workspace, place)]
    rows.sort(key=lambda row: row["held_on"], reverse=True)
    scope = places(request, session, Action.VIEW_CASES)
    label = chosen[0].village.name if village else session.scope.label(workspace.directory)
    context = {
        "scope": label, "village": village, "meetings": rows,
        "villages": [(p.village.code, p.village.name) for p in scope],
    }  # fmt: skip
    return page(request, "workspace/meetings.html", context)


@router.get("/minutes.pdf")
def minutes(request: Request, session: AccountDep, village: str, number: str) -> Response:
    """A meeting's minutes, written now from the register, to print and sign."""
    workspace = open_workspace(request)
    place = workspace.directory.get(village)
    require(request, session, Action.VIEW_CASES, place)
    meeting = find_meeting(workspace, place, number)
    settings = web_state(request).settings
    out = settings.data / "web" / "meetings" / place.village.code
    with DocumentEngine.open(settings) as engine:
        pdf = write_minutes(engine, meeting, place, workspace.catalog.meetings, out)
    log(request, session, "minutes", f"{place.village.code} {meeting.number}")
    return file_response(pdf.read_bytes(), pdf.name)
