"""Read a ledger's meeting register (会议记录): one row per topic, rows grouped by number.

A meeting's details (village, kind, date, place, chair, recorder, 应到, 实到, those
present, resolution) are given on its first row and may be repeated on the others;
each row is one topic with its vote and the case it decided. Every problem is
located at its cell: rows that disagree on a detail, more present than members,
names that do not match the count, more votes than those present, and members in
office other than the organisations data give for that body on that day. A meeting
with any problem is rejected whole, with all its rows; the others are read.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from pipeline.cases.meetings import Meeting
from pipeline.intake.columns import MEETINGS
from pipeline.intake.messages import (
    ATTENDEES_NOT_PRESENT,
    MEETING_INVALID,
    MEETING_ROWS_DISAGREE,
    MEMBERS_NOT_AS_RECORDED,
    MORE_PRESENT_THAN_MEMBERS,
    MORE_VOTES_THAN_PRESENT,
    BadValue,
    Finding,
    finding,
)
from pipeline.intake.result import IntakeResult, Issue, Location
from pipeline.intake.tables import Row, Table, parse_table
from pipeline.intake.values import Context, parse_meeting_kind, parse_village, show

_MEETING_FIELDS = (
    "number", "village", "kind", "held_on", "place", "chair", "recorder", "members", "present",
    "attendees", "resolution",
)  # fmt: skip
_TOPIC_FIELDS = ("topic", "case_id", "in_favour", "against", "abstaining")
_HEADERS = {column.path[0]: column.header for column in MEETINGS.columns if column.path}


def read_meetings(table: Table, ctx: Context, result: IntakeResult) -> list[Meeting]:
    """The meetings of ``table``; rows of meetings with problems go to ``result``."""
    parsed = parse_table(table, MEETINGS, ctx, result)
    result.blank_rows += parsed.blank_rows
    groups: dict[tuple[object, object], list[Row]] = {}
    for row in parsed.rows:
        if row.key is None:  # no number: its error is on the row already
            result.errors.extend(row.errors)
            result.meeting_rows_rejected += 1
            continue
        # A meeting is its village's: two villages of a town ledger may number alike.
        groups.setdefault((row.values.get("村（社区）"), row.key), []).append(row)
    meetings = []
    for rows in groups.values():
        meeting = None if parsed.failed else _meeting(rows, ctx, result)
        result.meeting_rows_in += len(rows)
        if meeting is None:
            result.meeting_rows_rejected += len(rows)
        else:
            meetings.append(meeting)
            where = rows[0].where.at(_HEADERS["number"])
            result.meeting_locations[(meeting.village, meeting.number)] = where
    return meetings


def _meeting(rows: list[Row], ctx: Context, result: IntakeResult) -> Meeting | None:
    """One meeting from its rows, or None after its problems went to ``result``."""
    errors = [issue for row in rows for issue in row.errors]
    details: dict[str, Any] = {}
    first_row: dict[str, Row] = {}
    for row in rows:
        data = row.data()
        for name in _MEETING_FIELDS:
            if name not in data:
                continue
            if name in details and data[name] != details[name]:
                errors.append(_disagreeing(row, name, first_row[name], rows[0].key))
            else:
                details.setdefault(name, data[name])
                first_row.setdefault(name, row)
    if not errors:
        errors = _counts(rows, details, first_row, ctx)
    if errors:
        result.errors.extend(errors)
        return None
    topics = [{key: value for key, value in row.data().items() if key in _TOPIC_FIELDS}
              for row in rows]  # fmt: skip
    try:
        return Meeting.model_validate({**details, "topics": topics})
    except ValidationError as exc:
        for error in exc.errors():
            where = rows[0].where.at(_HEADERS.get(str(error["loc"][0])) if error["loc"] else None)
            result.errors.append(where.issue("", finding(MEETING_INVALID, error=error["msg"])))
        return None


def _disagreeing(row: Row, name: str, first: Row, number: object) -> Issue:
    header = _HEADERS[name]
    problem = finding(
        MEETING_ROWS_DISAGREE, number=number, header=header, first_row=first.where.row,
        first=first.raw.get(header, ""), value=row.raw.get(header, ""),
    )  # fmt: skip
    return row.where.at(header).issue(row.raw.get(header, ""), problem)


def _counts(
    rows: list[Row], details: dict[str, Any], first_row: dict[str, Row], ctx: Context
) -> list[Issue]:
    """Members, those present, their names and the votes, as the minutes must hold them."""
    errors: list[Issue] = []
    members, present = details.get("members"), details.get("present")
    if members is None or present is None:
        return errors  # a required cell is empty: reported as such already

    def at(name: str, row: Row | None = None) -> tuple[Row, str]:
        where = row or first_row[name]
        return where, where.raw.get(_HEADERS[name], "")

    if present > members:
        row, raw = at("present")
        problem = finding(MORE_PRESENT_THAN_MEMBERS, present=present, members=members)
        errors.append(row.where.at(_HEADERS["present"]).issue(raw, problem))
    attendees = details.get("attendees") or []
    if attendees and len(attendees) != present:
        row, raw = at("attendees")
        problem = finding(ATTENDEES_NOT_PRESENT, listed=len(attendees), present=present)
        errors.append(row.where.at(_HEADERS["attendees"]).issue(raw, problem))
    for row in rows:
        data = row.data()
        votes = sum(data.get(name, 0) for name in ("in_favour", "against", "abstaining"))
        if votes > present:
            problem = finding(MORE_VOTES_THAN_PRESENT, votes=votes, present=present)
            errors.append(row.where.at(_HEADERS["in_favour"]).issue(show(votes), problem))
    on_record = _members_on_record(details, ctx)
    if on_record is not None:
        row, raw = at("members")
        errors.append(row.where.at(_HEADERS["members"]).issue(raw, on_record))
    return errors


def _as_parsed(data: object, ctx: Context) -> object:
    """A JSON meeting with its village and kind read as the sheet's columns read them."""
    if not isinstance(data, dict):
        return data  # the model says what is wrong with it
    parsed = dict(data)
    if "village" in parsed:
        parsed["village"] = parse_village(parsed["village"], ctx)
    if "kind" in parsed:
        parsed["kind"] = parse_meeting_kind(parsed["kind"])
    return parsed


def _members_on_record(details: dict[str, Any], ctx: Context) -> Finding | None:
    """Why 应到 is not the body's size in the organisations data that day, or None."""
    place = ctx.directory.find(str(details.get("village", "")))
    kind, held_on, members = details.get("kind"), details.get("held_on"), details.get("members")
    body = place.village.body(kind, on=held_on) if place and kind and held_on else None
    recorded = None if body is None else (body.members or body.adults)
    if place is None or body is None or recorded is None or recorded == members:
        return None
    return finding(
        MEMBERS_NOT_AS_RECORDED, village=place.village.name, kind=kind, since=body.since,
        recorded=recorded, members=members,
    )  # fmt: skip


def read_json_meetings(
    file: str, raw: list[Any], ctx: Context, result: IntakeResult
) -> list[Meeting]:
    """The meetings of a JSON ledger's ``meetings`` (in the model's form), each checked."""
    meetings = []
    for index, data in enumerate(raw):
        where = Location(file, None, None, f"meetings[{index}]")
        result.meeting_rows_in += 1
        try:
            data = _as_parsed(data, ctx)
            meeting = Meeting.model_validate(data)
        except BadValue as exc:
            result.errors.append(where.issue("", exc.finding))
            result.meeting_rows_rejected += 1
            continue
        except ValidationError as exc:
            for error in exc.errors():
                path = ".".join(str(part) for part in error["loc"])
                at = Location(
                    file, None, None, f"meetings[{index}].{path}" if path else where.column
                )
                result.errors.append(at.issue("", finding(MEETING_INVALID, error=error["msg"])))
            result.meeting_rows_rejected += 1
            continue
        problem = _members_on_record(meeting.model_dump(), ctx)
        if problem is not None:
            at = Location(file, None, None, f"meetings[{index}].members")
            result.errors.append(at.issue(str(meeting.members), problem))
            result.meeting_rows_rejected += 1
            continue
        meetings.append(meeting)
        result.meeting_locations[(meeting.village, meeting.number)] = where
    return meetings
