"""The sample district month: every village's ledger of November 2026, imported whole."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import ric

from pipeline.cases.model import Case, CaseStatus
from pipeline.cases.store import Change
from pipeline.catalog import Catalog
from pipeline.catalog.model import StepKind
from pipeline.config import Settings
from pipeline.intake.importing import ImportOutcome, import_ledger
from pipeline.organisations import Directory, load_district
from pipeline.rules.deadlines import overdue
from pipeline.rules.flow import notice_period
from pipeline.rules.meetings import needs_meeting
from pipeline.units.filing import notice_source_sha256
from pipeline.units.notices import notice_jobs
from pipeline.workspace import Workspace
from tests.conftest import ROOT
from tests.workspaces import private_workspace

SAMPLE = ROOT / "examples" / "linzi"
LEDGERS = SAMPLE / "ledgers" / "2026-11"
GENERATOR = SAMPLE / "make_sample_ledgers.py"
MONTH_END = dt.date(2026, 11, 30)
MONEY_CATEGORIES = ("资金管理", "工资薪酬类", "保障救助")
MOBILE = re.compile(r"1[3-9]\d{9}")
HAN_NAME = re.compile(r"[\u4e00-\u9fff]{2,3}")


@dataclass(frozen=True)
class Imported:
    """A folder of ledgers imported into a fresh case store."""

    outcomes: dict[str, ImportOutcome]
    cases: list[Case]


def import_all(space: Workspace, ledgers: Path) -> Imported:
    outcomes = {path.name: import_ledger(path, space) for path in sorted(ledgers.glob("*.xlsx"))}
    return Imported(outcomes, space.store.find())


@pytest.fixture(scope="module")
def directory(settings: Settings) -> Directory:
    return load_district(settings.district_path)


@pytest.fixture(scope="module")
def space(
    settings: Settings,
    catalog: Catalog,
    directory: Directory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Workspace]:
    with private_workspace(
        settings, catalog, directory, tmp_path_factory.mktemp("district")
    ) as opened:
        yield opened


@pytest.fixture(scope="module")
def district(space: Workspace) -> Imported:
    return import_all(space, LEDGERS)


def test_there_is_one_ledger_per_village(directory: Directory) -> None:
    names = {f"{place.village.name}-2026-11-台账.xlsx" for place in directory.villages}
    assert {path.name for path in LEDGERS.glob("*.xlsx")} == names


# The registers' deliberate faults (make_sample_ledgers.MEETING_FAULTS), as the import
# refuses them: (ledger, sheet, rule or problem).
REFUSED = {
    ("刘家庄村-2026-11-台账.xlsx", "办件台账", "未达到过半数（须36人）"),  # quorum
    ("刘家庄村-2026-11-台账.xlsx", "办件台账", "同意35票"),  # and so no majority
    ("大王村-2026-11-台账.xlsx", "办件台账", "未达到三分之二以上（须16人）"),
    ("上台村-2026-11-台账.xlsx", "办件台账", "“四议两公开”须依次进行：党员大会"),
    ("王店村-2026-11-台账.xlsx", "会议记录", "多于实到"),
}


def test_every_row_of_every_ledger_imports_but_the_deliberate_faults(district: Imported) -> None:
    refused = set()
    for name, outcome in district.outcomes.items():
        result = outcome.result
        for error in result.errors:
            match = next((r for r in REFUSED if r[:2] == (name, error.sheet)
                          and r[2] in error.problem.zh), None)  # fmt: skip
            assert match is not None, (name, error.sheet, error.row, error.problem.zh)
            refused.add(match)
        assert result.steps_rejected == 0, name
        assert result.rows_rejected == len({e.row for e in result.errors if e.sheet == "办件台账"})
        # The only warnings: steps off a drafted flow, each pointed out at its case's row.
        advised = [a for case in result.cases for a in case.advisories]
        assert len(result.warnings) == len(advised), (name, result.warnings[:3])
        assert all("起草稿" in w.problem.zh and w.row for w in result.warnings), name
        assert outcome.changes[Change.ADDED] == result.rows_imported > 0, name
    assert refused == REFUSED


def test_every_decision_has_its_meeting_in_the_register(
    district: Imported, space: Workspace, catalog: Catalog
) -> None:
    assert catalog.meetings is not None
    on_paper = []
    for case in district.cases:
        item = catalog.get(case.item_code)
        register = space.meetings.of_village(case.village)
        for record in case.steps:
            step = next(s for s in item.steps if s.id == record.step)
            if record.meeting_record and needs_meeting(item, step, catalog.meetings):
                meeting = register.get(record.meeting_record)
                if meeting is None:
                    on_paper.append((case.case_id, record.meeting_record))
                    continue
                assert meeting.vote_on(case.case_id) is not None
                assert meeting.held_on <= record.date
    # 南马村's hand-written cases keep their minutes on paper; 王店村's faulty one is refused.
    assert {case_id.split("-")[0] for case_id, _ in on_paper} <= {"NM", "WD"}
    assert (
        sum(len(space.meetings.of_village(p.village.code)) for p in space.directory.villages) >= 90
    )


def test_the_month_is_a_district_of_many_cases_and_items(
    district: Imported, directory: Directory
) -> None:
    villages = {case.village for case in district.cases}
    assert len(villages) >= 12 and villages == {p.village.code for p in directory.villages}
    assert len(district.cases) >= 150
    assert len({case.item_code for case in district.cases}) >= 20


def test_some_open_cases_are_overdue_at_month_end(district: Imported, catalog: Catalog) -> None:
    late = overdue(district.cases, catalog, MONTH_END)
    assert len(late) >= 5
    assert len({entry.village for entry in late}) >= 5
    assert all(entry.due < MONTH_END for entry in late)
    still_open = [c for c in district.cases if c.status is CaseStatus.OPEN]
    assert len(still_open) > len(late)  # open cases in time, too


def test_no_case_is_overdue_while_a_notice_before_its_step_still_runs(
    district: Imported, catalog: Catalog
) -> None:
    # The overdue list is public: a step due before the notice period it waits for has
    # run would shame a clerk for keeping the rules.
    by_id = {case.case_id: case for case in district.cases}
    waited = 0
    for entry in overdue(district.cases, catalog, MONTH_END):
        case, item = by_id[entry.case_id], catalog.get(entry.item_code)
        position = [step.id for step in item.steps].index(entry.step_id)
        before = item.steps[position - 1] if position else None
        if before is None or before.kind is not StepKind.NOTICE:
            continue
        posted = [record.date for record in case.steps if record.step == before.id][-1]
        period = notice_period(item, before, posted)
        assert period is not None and entry.due > period[1], (entry.case_id, entry.due, period)
        waited += 1
    assert waited >= 1  # the sample has such a case: the check is not vacuous


def test_irregular_cases_carry_the_forced_steps_and_their_reasons(district: Imported) -> None:
    irregular = [case for case in district.cases if case.irregularities]
    assert len(irregular) >= 3
    assert len({i.rule for case in irregular for i in case.irregularities}) >= 3
    for case in irregular:
        forced = {(r.step, r.date): r.forced_reason for r in case.steps if r.forced_reason}
        for irregularity in case.irregularities:
            assert forced[irregularity.step, irregularity.date] == irregularity.reason
    early = [i for case in irregular for i in case.irregularities if i.rule == "notice-period"]
    assert early, "a step before the notice period ended"


def test_steps_off_a_drafted_flow_carry_advice_not_irregularities(
    district: Imported, catalog: Catalog
) -> None:
    advised = [case for case in district.cases if case.advisories]
    assert len(advised) >= 2
    assert {a.rule for case in advised for a in case.advisories} >= {
        "meeting-record",
        "notice-period",
    }
    for case in advised:
        assert case.irregularities == [] and not any(r.forced_reason for r in case.steps)
        item = catalog.get(case.item_code)
        assert all(item.drafted("steps", on=a.date) for a in case.advisories), case.case_id
    # A flow rule that refused was forced on a flow the source prints (not a draft).
    for case in district.cases:
        item = catalog.get(case.item_code)
        for irregularity in case.irregularities:
            if irregularity.rule in ("step-order", "notice-period", "meeting-record", "actor"):
                assert not item.drafted("steps", on=irregularity.date), case.case_id


def test_rejected_withdrawn_and_proxy_cases(district: Imported) -> None:
    refused = [c for c in district.cases if c.status in (CaseStatus.REJECTED, CaseStatus.WITHDRAWN)]
    assert refused and all(case.result for case in refused)
    by_proxy = [case for case in district.cases if case.proxy is not None]
    assert len(by_proxy) >= 3
    assert all(any(r.by_proxy for r in case.steps) for case in by_proxy if case.steps)


def test_closed_money_cases_have_amounts_notices_and_results(
    district: Imported, catalog: Catalog
) -> None:
    money = [
        case
        for case in district.cases
        if case.status is CaseStatus.CLOSED
        and case.amount is not None
        and catalog.get(case.item_code).category in MONEY_CATEGORIES
    ]
    assert len(money) >= 10
    closed_in_month = [case for case in money if case.steps[-1].date.month == 11]
    assert len(closed_in_month) >= 10
    with_notice = []
    for case in closed_in_month:
        kinds = {s.id: s.kind for s in catalog.get(case.item_code).steps}
        recorded = {kinds[record.step] for record in case.steps}
        assert StepKind.RESULT in recorded and case.result
        if StepKind.NOTICE in recorded:
            with_notice.append(case)
    assert len(with_notice) >= 5


def test_people_are_invented_but_plausible(district: Imported) -> None:
    people = [person for case in district.cases for person in case.applicants if person.id_number]
    assert len(people) >= 100
    seen: dict[str, str] = {}
    for person in people:
        number = person.id_number
        assert number is not None and ric.calc_check_digit(number) == number[-1], number
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))  # a real date
        assert number.startswith("370305")  # 临淄区
        assert seen.setdefault(number, person.name) == person.name  # one person per number
        assert person.phone is None or MOBILE.fullmatch(person.phone) or person.phone[:5] == "0533-"
    names = {person.name for person in people}
    assert all(HAN_NAME.fullmatch(name) for name in names if name not in ("王𠮷", "赵䶮"))
    assert sum(len(name) == 2 for name in names) >= len(names) * 0.4


def test_reimporting_the_district_changes_nothing(space: Workspace, district: Imported) -> None:
    again = import_all(space, LEDGERS)
    for outcome in again.outcomes.values():
        assert outcome.changes[Change.ADDED] == outcome.changes[Change.UPDATED] == 0


def test_nanma_starts_with_the_hand_written_sample(space: Workspace, district: Imported) -> None:
    # The single-village sample imports over the district unchanged: the same ten cases.
    outcome = import_ledger(SAMPLE / "南马村-2026-11-台账.xlsx", space)
    assert outcome.changes[Change.UNCHANGED] == 10 and outcome.result.rows_rejected == 0


def _data(cases: list[Case]) -> list[dict[str, Any]]:
    return [case.model_dump(mode="json") for case in cases]


def test_the_generator_writes_the_same_cases_again(
    tmp_path: Path,
    settings: Settings,
    catalog: Catalog,
    directory: Directory,
    district: Imported,
) -> None:
    out = tmp_path / "ledgers"
    run = subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in out.glob("*.xlsx")) == sorted(district.outcomes)
    with private_workspace(settings, catalog, directory, tmp_path) as fresh:
        regenerated = import_all(fresh, out)
    assert _data(regenerated.cases) == _data(district.cases)


def test_a_resolution_notice_follows_the_meeting_that_decided(
    district: Imported, space: Workspace, catalog: Catalog
) -> None:
    case = next(c for c in district.cases if c.case_id == "NM-2026-11-004")  # 四议两公开
    item, place = catalog.get(case.item_code), space.directory.get(case.village)
    register = space.meetings.of_village("QL-NM")
    (notice,) = [j for j in notice_jobs(case, item, place, register) if j.meeting is not None]
    assert notice.step.step == "resolution_notice"
    assert notice.meeting is not None and notice.meeting.kind.value == "村民代表会议"
    # Without the register the notice is as before (and hashes as before).
    bare = [j for j in notice_jobs(case, item, place) if j.step.step == "resolution_notice"]
    assert bare[0].meeting is None
    assert notice_source_sha256(bare[0]) != notice_source_sha256(notice)
