"""Forced steps in a ledger: accepted, and every rule they break recorded as an irregularity.

The item's flow (xwql-026) is confirmed by the district here, so its rules refuse; the
last tests import the same ledger on the shipped catalog, where the flow is a draft.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.cases.model import CaseStatus
from pipeline.cases.store import Change
from pipeline.catalog import Catalog
from pipeline.config import Settings
from pipeline.intake.importing import import_ledger
from pipeline.organisations import Directory
from pipeline.workspace import Workspace
from tests.catalogs import confirmed_catalog
from tests.intake.ledgers import case_row, save, step_row, workbook
from tests.workspaces import private_workspace

REASON = "申请人家中失火，经镇（街道）批准先行审批，公示同步进行"


@pytest.fixture
def workspace(
    tmp_path: Path, settings: Settings, catalog: Catalog, directory: Directory
) -> Iterator[Workspace]:
    with private_workspace(
        settings, confirmed_catalog(catalog, "xwql-026"), directory, tmp_path
    ) as opened:
        yield opened


@pytest.fixture
def drafted(
    tmp_path: Path, settings: Settings, catalog: Catalog, directory: Directory
) -> Iterator[Workspace]:
    with private_workspace(settings, catalog, directory, tmp_path) as opened:
        yield opened


def _steps(case_id: str, approve: dict[str, Any]) -> list[dict[str, Any] | None]:
    """xwql-026 up to its approval, the approval dated inside the notice period (5–11 Nov)."""
    steps = [
        ("apply", "申请人", "2026-11-02"),
        ("accept", "村便民服务室民政协理员", "2026-11-02"),
        ("investigate", "村民委员会", "2026-11-03"),
        ("town_review", "镇（街道）", "2026-11-04"),
        ("notice", "村民委员会", "2026-11-05"),
        ("approve", "区民政局", "2026-11-06"),
    ]
    return [
        step_row(case_id, {"环节": step, "办理主体": actor, "日期": date})
        | (approve if step == "approve" else {})
        for step, actor, date in steps
    ]


def _ledger(folder: Path, approve: dict[str, Any]) -> Path:
    book = workbook([case_row("NM-1", {"受理日期": "2026-11-02"})], _steps("NM-1", approve))
    return save(book, folder)


def test_a_step_with_a_forced_reason_imports_as_an_irregularity(
    tmp_path: Path, workspace: Workspace
) -> None:
    outcome = import_ledger(_ledger(tmp_path, {"强制理由": REASON}), workspace)
    assert outcome.result.errors == [] and outcome.changes[Change.ADDED] == 1
    case = workspace.store.get("NM-1")
    assert case.status is CaseStatus.OPEN and case.steps[-1].forced_reason == REASON
    (irregularity,) = case.irregularities
    assert (irregularity.step, irregularity.rule, irregularity.reason) == (
        "approve",
        "notice-period",
        REASON,
    )
    assert str(irregularity.date) == "2026-11-06" and "2026-11-11" in irregularity.message


def test_the_same_step_without_a_reason_rejects_the_case(
    tmp_path: Path, workspace: Workspace
) -> None:
    outcome = import_ledger(_ledger(tmp_path, {}), workspace)
    assert outcome.result.rows_rejected == 1 and outcome.result.cases == []
    assert "强制理由" in outcome.result.errors[0].fix.zh


def test_a_forced_reason_on_a_step_that_breaks_nothing_adds_no_irregularity(
    tmp_path: Path, workspace: Workspace
) -> None:
    ledger = _ledger(tmp_path, {"日期": "2026-11-12", "强制理由": REASON})
    assert import_ledger(ledger, workspace).result.errors == []
    assert workspace.store.get("NM-1").irregularities == []


def test_a_json_case_with_a_forced_step_gains_its_irregularity(
    tmp_path: Path, workspace: Workspace
) -> None:
    # Regression: the replay accepted the forced step but left no irregularity on the case.
    assert import_ledger(_ledger(tmp_path, {"强制理由": REASON}), workspace).result.errors == []
    exported = workspace.store.get("NM-1").model_dump(mode="json")
    bare = {**exported, "case_id": "NM-2", "irregularities": []}
    path = tmp_path / "台账.json"
    path.write_text(json.dumps({"cases": [exported, bare]}, ensure_ascii=False), "utf-8")
    outcome = import_ledger(path, workspace)
    assert outcome.result.errors == []
    # The exported case is unchanged (its irregularity is not added twice) ...
    assert outcome.changes[Change.UNCHANGED] == 1 and outcome.changes[Change.ADDED] == 1
    # ... and the one stripped of it gets it back.
    again = workspace.store.get("NM-2")
    assert [i.rule for i in again.irregularities] == ["notice-period"]
    assert again.irregularities == workspace.store.get("NM-1").irregularities


def test_a_drafted_flow_imports_the_step_with_advice_and_a_located_warning(
    tmp_path: Path, drafted: Workspace
) -> None:
    outcome = import_ledger(_ledger(tmp_path, {}), drafted)
    assert outcome.result.errors == [] and outcome.changes[Change.ADDED] == 1
    case = drafted.store.get("NM-1")
    assert case.irregularities == [] and case.steps[-1].forced_reason is None
    (advice,) = case.advisories
    assert (advice.step, advice.rule, str(advice.date)) == (
        "approve",
        "notice-period",
        "2026-11-06",
    )
    (warning,) = outcome.result.warnings
    assert (warning.sheet, warning.row) == ("办件台账", 2)
    assert warning.value == "NM-1（办理环节: approve）"
    assert "起草稿" in warning.problem.zh and "2026-11-11" in warning.problem.zh
    assert "xwql catalog confirm" in warning.fix.en
    # Importing it again changes nothing; the ledger's row is pointed out again.
    again = import_ledger(_ledger(tmp_path, {}), drafted)
    assert again.changes[Change.UNCHANGED] == 1 and len(again.result.warnings) == 1
    assert drafted.store.get("NM-1").advisories == case.advisories


def test_a_case_marked_closed_before_its_last_step_is_refused_at_its_status(
    tmp_path: Path, drafted: Workspace
) -> None:
    closed = case_row("NM-1", {"受理日期": "2026-11-02", "办理状态": "已办结"})
    fine = case_row("NM-2", {"受理日期": "2026-11-02"})
    steps = [step_row(case_id, {"环节": "apply", "办理主体": "申请人", "日期": "2026-11-02"})
             for case_id in ("NM-1", "NM-2")]  # fmt: skip
    outcome = import_ledger(save(workbook([closed, fine], steps), tmp_path), drafted)
    (error,) = outcome.result.errors
    where = (error.sheet, error.row, error.column, error.value)
    assert where == ("办件台账", 2, "办理状态", "已办结")
    assert "还缺办理环节" in error.problem.zh and "（accept）" in error.problem.zh
    assert "办理中" in error.fix.zh
    # The good row still goes in; the refused one is not saved as open either.
    assert [case.case_id for case in drafted.store.find()] == ["NM-2"]
    # In JSON, the status of the case is named by its path.
    exported = drafted.store.get("NM-2").model_dump(mode="json")
    path = tmp_path / "台账.json"
    payload = {"cases": [{**exported, "case_id": "NM-3", "status": "已办结"}]}
    path.write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
    (error,) = import_ledger(path, drafted).result.errors
    assert error.column == "cases[0].status"
