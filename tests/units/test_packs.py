"""The monthly disclosure pack (五公开) and the district summary, on the sample ledger."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from openpyxl import load_workbook

from pipeline.cases.model import CaseStatus, ObjectionDecision, StepRecord
from pipeline.catalog import Catalog
from pipeline.config import Settings
from pipeline.documents.engine import DocumentEngine
from pipeline.documents.render import TemplateSet
from pipeline.documents.stamp import SealUse
from pipeline.errors import InputInvalid
from pipeline.intake.importing import import_ledger
from pipeline.jobs.objections import Submission, answer_objection, report_problem
from pipeline.programs.fonts import FontSetup
from pipeline.programs.soffice import ConverterPool
from pipeline.rules.flow import apply_step
from pipeline.units.notices import PrivacyLeak
from pipeline.units.packs.month import VillageMonth, as_of, month_days, parse_month, village_month
from pipeline.units.packs.pack import MonthlyPack, build_monthly_pack
from pipeline.units.packs.sections import MONEY_CATEGORIES
from pipeline.units.packs.summary import DistrictSummary, build_district_summary, select_villages
from pipeline.workspace import Workspace
from tests.catalogs import confirmed_catalog
from tests.conftest import ROOT, assert_fonts_embedded_sc

SAMPLE = ROOT / "examples" / "linzi" / "南马村-2026-11-台账.xlsx"
NOVEMBER = (2026, 11)
ISSUED = dt.date(2026, 12, 1)
ID_18 = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
FORCED_REASON = "镇街集中审核，村级受理补录（联系人电话13805331021）"
SEAL_PURPOSE = "低保申请公示（张贴），申请人张秀英 370305195803121012"
HEADINGS = (
    "一、清单公开",
    "三、过程公开",
    "四、结果公开",
    "五、逾期办件",
    "六、违规办理",
    "七、用印登记",
    "八、异议与反映",
)
REPORTER, REPORTER_PHONE = "赵反映", "13966667777"


@pytest.fixture(scope="module")
def workspace(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The sample month imported, plus one forced step, one seal use and a report in November.

    The district confirms the flow of 特困供养 (xwql-027) on 20 November: from then on
    its rules refuse, so the step forced that day is an irregularity, and its time
    limits are public.
    """
    own = dataclasses.replace(settings, data=tmp_path_factory.mktemp("packs-data"))
    with Workspace.open(own) as opened:
        opened.catalog = confirmed_catalog(opened.catalog, "xwql-027", on=dt.date(2026, 11, 20))
        assert import_ledger(SAMPLE, opened).result.ok
        case = opened.store.get("NM-2026-11-009")
        item = opened.catalog.get(case.item_code)
        record = StepRecord(step="town_review", actor="镇（街道）", date=dt.date(2026, 11, 20))
        opened.store.save(apply_step(case, item, record, force_reason=FORCED_REASON), source="test")
        use = SealUse(
            organisation="临淄区齐陵街道南马村民委员会",
            document="NM-2026-11-001-公示-2026-11-07.pdf",
            page=1, purpose=SEAL_PURPOSE, operator="刘芳",
            placed_at=dt.datetime(2026, 11, 7, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        )  # fmt: skip
        opened.store.record_seal_use(use, document_sha256="0" * 64, case_id="NM-2026-11-001")
        sent = Submission("村集体收入公开不及时。", REPORTER, REPORTER_PHONE)
        received = dt.datetime(2026, 11, 16, 2, tzinfo=dt.UTC)
        report = report_problem(opened, "南马村", sent, now=received)
        answer_objection(
            opened, report.receipt, findings="已督促村委会按月公开。",
            decision=ObjectionDecision.PARTLY_UPHELD, answered_on=dt.date(2026, 11, 20),
            answered_by="王监督",
        )  # fmt: skip
        yield opened


@pytest.fixture(scope="module")
def engine(
    workspace: Workspace, fonts: FontSetup, templates: TemplateSet, pool: ConverterPool
) -> DocumentEngine:
    return DocumentEngine(settings=workspace.settings, fonts=fonts, templates=templates, pool=pool)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("flowchart-cache")


@pytest.fixture(scope="module")
def pack(
    workspace: Workspace,
    engine: DocumentEngine,
    cache: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> MonthlyPack:
    return build_monthly_pack(
        workspace, engine, workspace.directory.get("南马村"), NOVEMBER,
        tmp_path_factory.mktemp("packs"), flowchart_cache_dir=cache, issued_on=ISSUED,
        operator="王会计",
    )  # fmt: skip


def _text(
    pdf: Path, first: int | None = None, last: int | None = None, *, layout: bool = False
) -> str:
    """Text of the pages (all by default) without whitespace.

    With ``layout``, each printed line reads left to right across the table, so the
    first line of a wrapped cell stays in one piece.
    """
    options = ["-f", str(first), "-l", str(last or first)] if first else []
    options += ["-layout"] if layout else []
    done = subprocess.run(
        ["pdftotext", *options, str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return "".join(done.stdout.split())


def _section_text(pack: MonthlyPack, heading: str, *, layout: bool = False) -> str:
    (section,) = [s for s in pack.sections if s.title.startswith(heading)]
    return _text(pack.path, section.first_page, section.last_page, layout=layout)


# --- the month as data (no LibreOffice) ---------------------------------------------------


def test_months_parse_and_end_on_their_last_day() -> None:
    assert parse_month("2026-11") == (2026, 11)
    assert month_days((2026, 12)) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert month_days((2028, 2))[1] == dt.date(2028, 2, 29)
    for bad in ("2026-13", "2026/11", "11-2026", ""):
        with pytest.raises(InputInvalid, match="YYYY-MM"):
            parse_month(bad)


def test_money_categories_are_the_catalogs(catalog: Catalog) -> None:
    assert set(MONEY_CATEGORIES) <= {category.name for category in catalog.edition.categories}


def test_november_of_the_sample_village(workspace: Workspace) -> None:
    facts = village_month(workspace, workspace.directory.get("南马村"), NOVEMBER)
    assert len(facts.cases) == 10
    assert {c.case_id for c in facts.closed} == {
        "NM-2026-11-002",
        "NM-2026-11-003",
        "NM-2026-11-005",
    }
    # Late by a confirmed time limit: listed; by a drafted one: counted, not listed.
    assert [o.case_id for o in facts.overdue] == ["NM-2026-11-009"]
    assert [o.case_id for o in facts.overdue_drafted] == ["NM-2026-11-010"]
    assert [(c.case_id, i.rule) for c, i in facts.irregularities] == [
        ("NM-2026-11-009", "step-order")
    ]
    assert [row["operator"] for row in facts.seal_uses] == ["刘芳"]
    assert facts.counts.items_used == 10 and facts.counts.irregular == 1
    assert sum(tally.cases for tally in facts.tallies()) == 10


def test_cases_are_read_as_they_stood_at_the_months_end(workspace: Workspace) -> None:
    place = workspace.directory.get("南马村")
    assert village_month(workspace, place, (2026, 10)).cases == []
    december = village_month(workspace, place, (2026, 12))
    # Closed in November: not active in December; still open: active, and not "closed".
    assert {c.case_id for c in december.cases} == {
        c.case_id for c in workspace.store.find(village="QL-NM", status=CaseStatus.OPEN.value)
    }
    assert december.closed == [] and december.irregularities == [] and december.seal_uses == []
    closed = workspace.store.get("NM-2026-11-002")
    earlier = as_of(closed, dt.date(2026, 11, 10))
    assert earlier is not None and earlier.status is CaseStatus.OPEN
    assert max(step.date for step in earlier.steps) <= dt.date(2026, 11, 10)
    assert as_of(closed, dt.date(2026, 11, 1)) is None
    still_open = workspace.store.get("NM-2026-11-001")
    then = as_of(still_open, dt.date(2026, 11, 4))
    assert then is not None and [step.step for step in then.steps] == [
        "apply", "accept", "investigate"
    ]  # fmt: skip


def test_villages_are_chosen_by_town_or_name(workspace: Workspace) -> None:
    directory = workspace.directory
    assert len(select_villages(directory)) == 16
    assert [p.village.code for p in select_villages(directory, town="QL")] == [
        "QL-NM", "QL-DZ", "QL-XG", "QL-HT"
    ]  # fmt: skip
    assert select_villages(directory, town="齐陵街道", village="南马村")[0].village.code == "QL-NM"
    with pytest.raises(InputInvalid, match="不属于"):
        select_villages(directory, town="稷下街道", village="南马村")
    with pytest.raises(InputInvalid, match="unknown town"):
        select_villages(directory, town="火星镇")


# --- the pack (real LibreOffice) ------------------------------------------------------------


@pytest.mark.soffice
def test_pack_is_pdfa_with_bookmarked_sections_that_add_up(pack: MonthlyPack) -> None:
    with pikepdf.open(pack.path) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
        with pdf.open_outline() as outline:
            top = [item.title for item in outline.root]
            charts = [child.title for child in outline.root[3].children]
            page_of = {page.objgen: index + 1 for index, page in enumerate(pdf.pages)}
            starts = [page_of[item.destination[0].objgen] for item in outline.root]
        pages = len(pdf.pages)
    assert top == [section.title for section in pack.sections]
    assert top[:4] == [
        "封面",
        "目录",
        "一、清单公开：本月办理的小微权力事项",
        "二、制度与流程公开：事项流程图",
    ]
    assert [title.split()[0] for title in charts] == pack.items
    assert starts == [section.first_page for section in pack.sections]
    assert pages == pack.pages == sum(section.pages for section in pack.sections)
    assert_fonts_embedded_sc(pack.path)
    check = subprocess.run(["qpdf", "--check", str(pack.path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


@pytest.mark.soffice
def test_contents_and_every_section_title_are_printed(pack: MonthlyPack) -> None:
    contents = _text(pack.path, 2)
    assert "目录" in contents
    for section in pack.sections[2:]:
        assert section.title in contents
        if not section.title.startswith("二、"):  # the flowcharts are the booklet's own pages
            assert section.title.split("：")[0] in _text(pack.path, section.first_page)
    # Page numbers count from the first page after the contents: — 1 —, in GB/T 9704 style.
    assert "—1—" in _text(pack.path, 3) and "—1—" not in _text(pack.path, 1, 2)


@pytest.mark.soffice
def test_cover_is_dated_and_stamped_over_the_committee(
    pack: MonthlyPack, workspace: Workspace
) -> None:
    cover = _text(pack.path, 1)
    assert "临淄区齐陵街道南马村" in cover and "2026年11月" in cover
    assert "2026年12月1日" in cover and "南马村民委员会" in cover
    assert "在办10件，其中本月办结3件、逾期1件、违规办理1件" in cover
    with pikepdf.open(pack.path) as pdf:
        images = [x for x in pdf.pages[0].Resources.XObject.values() if "/SMask" in x]
    assert images, "no seal on the cover"
    lines = [r for r in workspace.store.seal_uses() if r["document"] == pack.path.name]
    assert lines and lines[-1]["operator"] == "王会计" and lines[-1]["case_id"] is None
    assert pack.seal_use.organisation == "临淄区齐陵街道南马村民委员会"


@pytest.mark.soffice
def test_list_and_flowcharts_come_from_the_catalog(pack: MonthlyPack, catalog: Catalog) -> None:
    listed = _section_text(pack, "一、清单公开", layout=True)
    for code in pack.items:
        item = catalog.get(code)
        assert code in listed
        assert item.basis[0][:8] in listed, item.basis[0]  # a cell's first line
        assert item.acting_body[:5] in listed, item.acting_body
    # Neither is in the source: each is printed with its mark, and the section says what it is.
    compact = "".join(listed.split())
    assert compact.count("（起草，待确认）") == 2 * len(pack.items)
    assert "标“起草，待确认”的为清单原文未载、待区里确认的内容" in compact
    charts = _section_text(pack, "二、制度与流程公开")
    assert "监督电话：0533-7211234（示例）" in charts
    assert all(catalog.get(code).name in charts for code in pack.items)


@pytest.mark.soffice
def test_process_results_overdue_irregular_and_seal_sections(
    pack: MonthlyPack, workspace: Workspace
) -> None:
    process = _section_text(pack, "三、过程公开")
    for case in workspace.store.find(village="QL-NM"):
        assert case.case_id in process, case.case_id
    assert "2026年11月27日前" in process  # the step NM-2026-11-009 waits for, and its due date
    # 四议两公开 (NM-2026-11-004): its latest meeting, who came and how they voted.
    representatives = workspace.meetings.of_village("QL-NM")["南马村〔2026〕4号会议记录"]
    vote = representatives.vote_on("NM-2026-11-004")
    assert vote is not None
    came = f"应到15人实到{representatives.present}人同意{vote.in_favour}"
    assert f"村民代表会议11月5日{came}" in process
    results = _section_text(pack, "四、结果公开")
    assert "2,000.00" in results and "860.00" in results  # 临时救助, 办公用品
    assert "370305********1025" in results  # masked as on the notices
    assert "金额合计2,860.00元" in results
    assert [a.case_id for a in pack.amounts] == ["NM-2026-11-002", "NM-2026-11-005"]
    overdue = _section_text(pack, "五、逾期办件")
    assert "NM-2026-11-009" in overdue and "NM-2026-11-010" not in overdue
    assert "另有1件超过的是起草中、待区里确认的时限，确认前不在此公开" in overdue
    irregular = _section_text(pack, "六、违规办理")
    assert "NM-2026-11-009" in irregular and "办理顺序" in irregular
    assert "138****" in irregular and "13805331021" not in irregular  # the reason, masked
    seals = _section_text(pack, "七、用印登记")
    assert "2026年11月7日" in seals and "刘芳" in seals and "370305********1012" in seals
    objections = _section_text(pack, "八、异议与反映")
    assert "本月收到异议0件、反映问题1件，已答复1件，成立1件（含部分成立）" in objections
    assert "反映问题" in objections and "2026年11月20日答复：异议部分成立" in objections
    assert REPORTER not in objections and REPORTER_PHONE not in objections
    assert pack.counts.objections == pack.counts.objections_upheld == 1


@pytest.mark.soffice
def test_no_full_id_phone_or_address_of_the_ledger_appears(
    pack: MonthlyPack, workspace: Workspace
) -> None:
    text = _text(pack.path)
    people = [p for case in workspace.store.find(village="QL-NM") for p in case.applicants]
    for person in people:
        assert person.name in text or person.name == "南马村党支部"
        for secret in (person.id_number, person.phone, person.address):
            assert not secret or secret not in text, secret
    assert not ID_18.search(text) and not MOBILE.search(text)


@pytest.mark.soffice
def test_second_build_reuses_every_flowchart_page(
    pack: MonthlyPack,
    workspace: Workspace,
    engine: DocumentEngine,
    cache: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert pack.flowcharts_rendered == len(pack.items) == 10
    cached = {path: path.stat().st_mtime_ns for path in cache.glob("*.pdf")}
    converted: list[Path] = []
    convert = engine.pool.convert

    def counting(source: Path, target: Path) -> Path:
        converted.append(target)
        return convert(source, target)

    monkeypatch.setattr(engine.pool, "convert", counting)
    again = build_monthly_pack(
        workspace, engine, pack.place, NOVEMBER, tmp_path, flowchart_cache_dir=cache,
        issued_on=ISSUED,
    )  # fmt: skip
    assert again.flowcharts_rendered == 0
    assert not [target for target in converted if target.parent == cache]
    assert len(converted) == 9  # cover, contents and seven table sections
    assert {path: path.stat().st_mtime_ns for path in cache.glob("*.pdf")} == cached
    assert again.pages == pack.pages and again.source_sha256 == pack.source_sha256


@pytest.mark.soffice
def test_a_village_without_cases_gets_a_pack_that_says_so(
    workspace: Workspace, engine: DocumentEngine, cache: Path, tmp_path: Path
) -> None:
    empty = build_monthly_pack(
        workspace, engine, workspace.directory.get("东周家村"), NOVEMBER, tmp_path,
        flowchart_cache_dir=cache, issued_on=ISSUED,
    )  # fmt: skip
    assert empty.counts.cases_active == 0 and empty.items == []
    titles = [section.title for section in empty.sections]
    assert not any(title.startswith("二、") for title in titles)
    assert [t.split("：")[0] for t in titles[2:]] == list(HEADINGS)
    text = _text(empty.path)
    assert "本月无办件" in text and "截至月末无逾期办件" in text and "本月无用印登记" in text
    assert "本月未收到异议或反映" in text
    assert empty.pages == sum(section.pages for section in empty.sections)
    with pikepdf.open(empty.path) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"


@pytest.mark.soffice
def test_the_privacy_guard_refuses_a_leaking_pack(
    workspace: Workspace,
    engine: DocumentEngine,
    cache: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(VillageMonth, "mask", lambda self, text: text or "")
    before = len(workspace.store.seal_uses())
    with pytest.raises(PrivacyLeak):
        build_monthly_pack(
            workspace, engine, workspace.directory.get("南马村"), NOVEMBER, tmp_path,
            flowchart_cache_dir=cache, issued_on=ISSUED,
        )  # fmt: skip
    assert not list(tmp_path.glob("*.pdf"))
    assert len(workspace.store.seal_uses()) == before  # nothing was issued, nothing sealed


@pytest.mark.soffice
def test_a_pack_cannot_be_dated_before_its_month(
    workspace: Workspace, engine: DocumentEngine, cache: Path, tmp_path: Path
) -> None:
    with pytest.raises(InputInvalid, match="早于"):
        build_monthly_pack(
            workspace, engine, workspace.directory.get("南马村"), NOVEMBER, tmp_path,
            flowchart_cache_dir=cache, issued_on=dt.date(2026, 10, 31),
        )  # fmt: skip


@pytest.mark.soffice
def test_district_summary_counts_per_town_village_and_item(
    workspace: Workspace, engine: DocumentEngine, tmp_path: Path
) -> None:
    summary: DistrictSummary = build_district_summary(
        workspace, engine, NOVEMBER, tmp_path, issued_on=ISSUED
    )
    # 1 late by the confirmed limit of 特困供养; 1 by a drafted one, internal
    assert summary.totals.cases_active == 10 and summary.totals.overdue == 1
    assert summary.totals.items_used == 10 and len(summary.villages) == 16
    text = _text(summary.pdf)
    assert "临淄区2026年11月村级小微权力运行情况汇总表" in text
    assert "南马村" in text and "稷下街道" in text and "合计" in text and "小计" in text
    assert "xwql-022" in text and "低保申请" in text
    assert "收到异议和反映1件，已答复1件，成立1件" in text
    with pikepdf.open(summary.pdf) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
    book = load_workbook(summary.xlsx)
    villages = list(book["分村统计"].iter_rows(values_only=True))
    assert villages[0][:3] == ("镇（街道）", "村（社区）", "本月办件")
    # The overdue column counts confirmed time limits: the drafted ones are internal.
    assert villages[1][:6] == (
        "齐陵街道",
        "南马村",
        10,
        3,
        1,
        1,
    )  # the one late by a drafted limit is internal
    assert villages[-1][0] == "合计" and villages[-1][2] == 10
    items = list(book["分事项统计"].iter_rows(values_only=True))
    assert len(items) == 1 + 10


# --- the command ------------------------------------------------------------------------------


@pytest.mark.soffice
def test_monthly_command_writes_the_pack_and_the_summary(
    cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XWQL_DATA", str(tmp_path / "data"))
    imported = cli("intake", str(SAMPLE))
    assert imported.code == 0, imported.out + imported.err
    out = tmp_path / "monthly"
    result = cli(
        "monthly", "--month", "2026-11", "--village", "南马村", "--out", str(out),
        "--date", "2026-12-01", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    (made,) = data["packs"]
    assert Path(made["path"]).is_file() and made["month"] == "2026-11"
    assert made["counts"]["cases_active"] == 10 and made["counts"]["overdue"] == 0
    assert Path(data["summary"]["pdf"]).is_file() and Path(data["summary"]["xlsx"]).is_file()
    assert data["failed"] == []
    shown = cli("monthly", "--month", "2026-11", "--village", "QL-NM", "--out", str(out))
    assert shown.code == 0 and "QL-NM-2026-11-南马村月度公开材料.pdf" in shown.out
    assert "月度汇总.pdf" in shown.out


def test_monthly_command_refuses_bad_input_with_exit_3(cli) -> None:  # type: ignore[no-untyped-def]
    for args in (
        ("--month", "2026-13"),
        ("--month", "2026-11", "--village", "不存在村"),
        ("--month", "2026-11", "--town", "稷下街道", "--village", "南马村"),
    ):
        result = cli("monthly", *args)
        assert result.code == 3, (args, result.err)
        assert "Traceback" not in result.err and "错误" in result.err
