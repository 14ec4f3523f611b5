"""The clerk's commands end to end: intake, cases, overdue, notices, demo."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from openpyxl import load_workbook

from pipeline.accounts.store import AccountStore
from pipeline.archive.package import load_record, unseal_into
from pipeline.archive.sealing import Sealer, load_keyring
from pipeline.config import Settings
from tests.conftest import CORPUS, ROOT, assert_fonts_embedded_sc, pdf_text
from tests.pdfa import pdfa_problems

SAMPLE = ROOT / "examples" / "linzi" / "南马村-2026-11-台账.xlsx"
ID_18 = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture
def fresh(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The CLI on an empty case store of its own."""
    monkeypatch.setenv("XWQL_DATA", str(tmp_path / "data"))
    return cli


def test_sample_ledger_imports_whole_and_reimport_changes_nothing(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = fresh("intake", str(SAMPLE), "--json")
    assert first.code == 0, first.err
    data = json.loads(first.out)
    assert data["rows_in"] == data["imported"] == 10 and data["rejected"] == 0
    assert data["changes"]["added"] == 10
    again = json.loads(fresh("intake", str(SAMPLE), "--json").out)
    assert again["changes"] == {"added": 0, "updated": 0, "unchanged": 10}
    cases = json.loads(fresh("cases", "list", "--json").out)
    assert len(cases) == 10
    closed = {c["case_id"] for c in cases if c["status"] == "已办结"}
    assert closed == {"NM-2026-11-002", "NM-2026-11-003", "NM-2026-11-005"}


def test_nasty_ledger_is_located_reported_and_counted(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ledger = tmp_path / "nasty.xlsx"
    shutil.copyfile(CORPUS / "ledgers" / "nasty.xlsx", ledger)
    result = fresh("intake", str(ledger), "--json")
    assert result.code == 3
    data = json.loads(result.out)
    assert data["rows_in"] == data["imported"] + data["rejected"]
    assert data["imported"] > 0 and data["rejected"] > 0
    assert all("row" in e or "行" in e for e in data["errors"])
    report = Path(data["report"])
    assert report.is_file()
    rows = list(load_workbook(report).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:4] == ("文件", "工作表", "行", "列")
    assert len(rows) > len(data["errors"])  # header + one row per problem (and warnings)


def test_broken_step_history_rejects_that_case_only(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ledger = tmp_path / "broken.xlsx"
    shutil.copyfile(SAMPLE, ledger)
    book = load_workbook(ledger)
    steps = book["办理环节"]
    header = next(r for r in steps.iter_rows(min_row=1, max_row=5) if r[0].value == "办件编号")
    date_col = next(c.column for c in header if c.value == "日期")
    # Date the result of NM-2026-11-002 inside its notice period.
    rows = [r for r in steps.iter_rows(min_row=header[0].row + 1) if r[0].value == "NM-2026-11-002"]
    rows[-1][date_col - 1].value = rows[4][date_col - 1].value
    book.save(ledger)
    data = json.loads(fresh("intake", str(ledger), "--json").out)
    assert data["imported"] == 9 and data["rejected"] == 1
    assert any("NM-2026-11-002" in e and "notice-period" not in e for e in data["errors"])


REASON = "纸质登记簿日期有误，按原始凭证日期补录"


def test_refused_step_then_forced_becomes_an_irregularity(fresh) -> None:  # type: ignore[no-untyped-def]
    assert fresh("intake", str(SAMPLE)).code == 0
    # NM-2026-11-010 was received on 16 November: a step dated before is refused (date-order)
    refused = fresh("cases", "step", "NM-2026-11-010", "village_review", "--actor", "村民委员会",
                    "--date", "2026-11-13")  # fmt: skip
    assert refused.code == 3
    assert "date-order" in refused.err and "Traceback" not in refused.err
    forced = fresh("cases", "step", "NM-2026-11-010", "village_review", "--actor", "村民委员会",
                   "--date", "2026-11-13", "--force", REASON)  # fmt: skip
    assert forced.code == 0, forced.err
    assert "已记为异常 recorded as irregularity" in forced.err
    shown = json.loads(fresh("cases", "show", "NM-2026-11-010", "--json").out)
    assert shown["irregularities"][0]["reason"] == REASON
    assert shown["steps"][-1]["forced_reason"] == REASON
    assert [v["source"] for v in shown["versions"]][-1] == "xwql cases step village_review"


def test_a_step_off_a_drafted_flow_is_recorded_with_advice(fresh) -> None:  # type: ignore[no-untyped-def]
    assert fresh("intake", str(SAMPLE)).code == 0
    # 特困供养's flow is a draft: skipping the village's review advises, it does not refuse
    done = fresh("cases", "step", "NM-2026-11-009", "town_review", "--actor", "镇（街道）",
                 "--date", "2026-11-20")  # fmt: skip
    assert done.code == 0, done.err
    assert "已记为提示 recorded as advice" in done.err and "起草稿" in done.err
    shown = json.loads(fresh("cases", "show", "NM-2026-11-009", "--json").out)
    assert shown["irregularities"] == [] and shown["steps"][-1]["forced_reason"] is None
    assert [a["rule"] for a in shown["advisories"]] == ["step-order"]


def test_overdue_lists_late_cases(fresh) -> None:  # type: ignore[no-untyped-def]
    assert fresh("intake", str(SAMPLE)).code == 0
    late = json.loads(fresh("cases", "overdue", "--today", "2026-11-30", "--json").out)
    assert [o["case_id"] for o in late] == ["NM-2026-11-010"]
    assert late[0]["working_days_late"] > 0
    assert json.loads(fresh("cases", "overdue", "--today", "2026-11-18", "--json").out) == []


def test_template_ledger_is_written(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "台账模板.xlsx"
    assert fresh("intake", "--template", "--out", str(target)).code == 0
    assert {"办件台账", "办理环节", "填写说明"} <= set(load_workbook(target).sheetnames)


@pytest.mark.soffice
def test_notice_for_a_case(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert fresh("intake", str(SAMPLE)).code == 0
    out = tmp_path / "notices"
    result = fresh("notice", "NM-2026-11-001", "--out", str(out))
    assert result.code == 0, result.err
    (public,) = out.glob("NM-2026-11-001-公示-*.pdf")
    (internal,) = (out / "internal").glob("NM-2026-11-001-公示-*-内部.pdf")
    text = "".join(pdf_text(public).split())
    assert not ID_18.search(text) and not MOBILE.search(text)
    assert ID_18.search(pdf_text(internal))
    seals = json.loads(fresh("seals", "--village", "南马村", "--json").out)
    assert {s["document"] for s in seals} == {public.name, internal.name}


def test_notice_without_a_notice_step_is_a_clear_error(fresh) -> None:  # type: ignore[no-untyped-def]
    assert fresh("intake", str(SAMPLE)).code == 0
    result = fresh("notice", "NM-2026-11-006")
    assert result.code == 3 and "no notice" in result.err


@pytest.mark.slow
@pytest.mark.soffice
@pytest.mark.s3
def test_demo_from_scratch(tmp_path: Path) -> None:
    """The README's main command, as a user runs it (one village, to keep the suite short)."""
    out = tmp_path / "demo"
    env = {"XWQL_DATA": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    xwql = str(ROOT / ".venv" / "bin" / "xwql")
    command = [xwql, "demo", "--out", str(out), "--village", "南马村"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900,
                              check=False)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "示例完成" in done.stdout and "核验结论 verdict: 通过 passed" in done.stdout
        # It sweeps the archive as an auditor will and says what that finds beforehand.
        assert re.search(r"全档核验 archive sweep: \d+ 个归档包 packages, 无异常", done.stdout)
        # The demo ends with the workspace's address and a ready clerk login for 南马村.
        login = re.search(r"http://127\.0\.0\.1:8080/w .*clerk login: (\S+) / (\S+)", done.stdout)
        assert login is not None, done.stdout
        accounts = AccountStore.of(Settings(data=tmp_path / "data"))
        try:
            clerk = accounts.authenticate(login.group(1), login.group(2), address="test")
        finally:
            accounts.close()
        assert clerk.scope.village == "QL-NM"
        # And with the village board's address and the notice whose period ends last.
        board = re.search(
            r"board \(xwql web\): http://127\.0\.0\.1:8080/v/QL-NM\n"
            r"  .+: http://127\.0\.0\.1:8080/n/[0-9A-Z]{4}-[0-9A-Z]{4}  \(公示至 2026-1[12]-\d\d",
            done.stdout,
        )
        assert board is not None, done.stdout
        assert list((out / "catalog").glob("*流程图汇编.pdf"))
        (pack,) = (out / "monthly").glob("QL-NM-2026-11-*.pdf")
        # The seals placed today on November's notices count in November's register.
        used = re.search(r"印章用印共(\d+)次", "".join(pdf_text(pack).split()))
        assert used is not None and int(used.group(1)) > 0
        public = sorted((out / "notices" / "南马村").glob("*.pdf"))
        internal = sorted((out / "notices" / "南马村" / "internal").glob("*.pdf"))
        assert len(public) == len(internal) >= 5
        for pdf in public:
            text = "".join(pdf_text(pdf).split())
            assert not ID_18.search(text), pdf.name
            assert not MOBILE.search(text), pdf.name
            assert "核验码" in text
        assert any(ID_18.search(pdf_text(pdf)) for pdf in internal)
        # The auditor's download holds the case file sealed: no ID number in any byte.
        (package,) = (out / "audit").iterdir()
        assert "个人信息部分已加密" in done.stdout
        stored = [p.read_bytes() for p in package.rglob("*") if p.is_file()]
        assert not [data for data in stored if ID_18.search(data.decode("latin-1"))]
        # Every PDF the demo writes keeps the PDF/A-2b rules xwql's rewrites could break
        # (split, stamped, collated, signed): the signed case file it retrieved too,
        # opened with the data folder's archive keys as the internal role would.
        sealer = Sealer(load_keyring(Settings(data=tmp_path / "data")))
        record = load_record(package)
        unseal_into(package, record, sealer, tmp_path / "opened")
        written = sorted([*out.rglob("*.pdf"), *(tmp_path / "opened").rglob("*.pdf")])
        assert any(pdf.name == "案卷.pdf" for pdf in written)
        assert {pdf.name: pdfa_problems(pdf) for pdf in written if pdfa_problems(pdf)} == {}
        again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900,
                               check=False)  # fmt: skip
        assert again.returncode == 0, again.stdout + again.stderr
        assert "nothing new" in again.stdout
    finally:
        subprocess.run([xwql, "storage", "down"], env=env, timeout=120, check=False)


@pytest.mark.soffice
def test_case_documents_with_proxy_and_seals(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert fresh("intake", str(SAMPLE)).code == 0
    result = fresh("cases", "documents", "NM-2026-11-007", "--out", str(tmp_path / "cases"))
    assert result.code == 0, result.err
    folder = tmp_path / "cases" / "NM-2026-11-007"
    names = sorted(p.name for p in folder.glob("*.pdf"))
    assert names == sorted(
        f"NM-2026-11-007-{t}.pdf" for t in ("申请表", "一次性告知单", "受理回执", "代办委托书")
    )
    receipt = "".join(pdf_text(folder / "NM-2026-11-007-受理回执.pdf").split())
    assert "刘芳" in receipt and "2026年11月6日" in receipt  # first-contact officer, date
    assert ID_18.search(receipt)  # internal: full data
    seals = json.loads(fresh("seals", "--json").out)
    assert {s["document"] for s in seals} == {
        "NM-2026-11-007-一次性告知单.pdf", "NM-2026-11-007-受理回执.pdf"
    }  # fmt: skip


def test_a_villages_meetings_and_their_minutes_to_sign(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert fresh("intake", str(SAMPLE)).code == 0
    listed = json.loads(fresh("cases", "meetings", "--village", "南马村", "--json").out)
    representatives = next(m for m in listed if m["kind"] == "村民代表会议")
    assert (representatives["members"], representatives["present"]) == (15, 10)
    assert representatives["quorum"] == "符合三分之二以上要求"  # 10 of 15: 以上 counts it
    assert representatives["shortfalls"] == [] and "NM-2026-11-004" in representatives["cases"]
    assert [m["held_on"] for m in listed] == sorted((m["held_on"] for m in listed), reverse=True)
    out = tmp_path / "minutes"
    printed = fresh("cases", "minutes", representatives["number"], "--village", "南马村",
                    "--out", str(out))  # fmt: skip
    assert printed.code == 0, printed.err
    (pdf,) = out.glob("*.pdf")
    assert pdf.name == f"{representatives['number']}.pdf"
    text = "".join(pdf_text(pdf).split())
    assert "村民代表会议记录" in text and representatives["number"] in text
    assert "应到15人，实到10人，符合三分之二以上要求" in text and "2026年11月5日" in text
    assert "参会人员签到" in text and "主持人（签字）" in text and "NM-2026-11-004" in text
    assert pdfa_problems(pdf) == []
    with pikepdf.open(pdf) as opened:
        assert opened.open_metadata().pdfa_status == "2B"
    assert_fonts_embedded_sc(pdf)
    # A number the register does not hold is a clear error naming those it does.
    missing = fresh("cases", "minutes", "南马村〔2026〕99号", "--village", "南马村")
    assert missing.code != 0 and representatives["number"] in missing.err
    assert "Traceback" not in missing.err


def test_a_decided_cases_documents_hold_its_minutes(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert fresh("intake", str(SAMPLE)).code == 0
    result = fresh("cases", "documents", "NM-2026-11-004", "--out", str(tmp_path / "cases"))
    assert result.code == 0, result.err
    assert "未生成" not in result.err  # every deciding meeting is in the register
    minutes = sorted((tmp_path / "cases" / "NM-2026-11-004").glob("*会议记录*.pdf"))
    assert len(minutes) == 3  # 两委会议, 党员大会, 村民代表会议 of 四议两公开
    kinds = ["".join(pdf_text(pdf).split()) for pdf in minutes]
    assert all("参会人员签到" in text for text in kinds)
