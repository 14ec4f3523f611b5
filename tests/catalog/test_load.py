from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from pipeline.catalog import Catalog, load_catalog
from pipeline.catalog.model import CONFIRMABLE, DRAFT_MARK, Aspect, FieldSource, Provenance
from pipeline.config import Settings
from pipeline.errors import CatalogInvalid, UnknownItem
from pipeline.yamlfile import WITH_LIBYAML, safe_load
from tests.conftest import CORPUS, SEED

ATTACHMENT1_CATEGORIES = [
    "村级重大决策", "工程项目", "资金管理", "资产资源管理", "人员管理", "工资薪酬类",
    "住房管理", "保障救助", "计生服务", "活动组织", "公章管理", "创业就业贷款", "医疗卫生",
    "法治工作", "乡村建设",
]  # fmt: skip


def test_catalog_has_all_50_items_of_attachment1(catalog: Catalog) -> None:
    assert [item.code for item in catalog] == [f"xwql-{n:03d}" for n in range(1, 51)]
    assert [c.name for c in catalog.edition.categories] == ATTACHMENT1_CATEGORIES
    seed = SEED.read_text(encoding="utf-8")
    for item in catalog:
        # Names come from Attachment 1 (its row reads "<number>\t<name>\t<code>").
        assert f"{item.number}\t{item.source.attachment1_name}\t" in seed, item.code
        assert item.aspect in set(Aspect)
        assert item.steps and item.basis and item.documents


def test_every_item_says_where_its_flow_comes_from(catalog: Catalog) -> None:
    from_source = {i.code for i in catalog if i.provenance == Provenance.SOURCE}
    assert from_source == {"xwql-032", "xwql-033", "xwql-034", "xwql-036"}
    for item in catalog:
        if item.provenance == Provenance.DRAFTED:
            assert any("待区里确认" in d for d in item.source.decisions), item.code


def test_every_field_says_where_it_comes_from(catalog: Catalog) -> None:
    """Attachment 1 gives four fields of each item, Attachment 2 four flows; the rest is drafted."""
    for item in catalog:
        for field in ("code", "number", "name", "category"):
            assert item.field_source(field) == FieldSource.ATTACHMENT_1
        flow = (
            FieldSource.ATTACHMENT_2
            if item.provenance == Provenance.SOURCE
            else FieldSource.DRAFTED
        )
        assert item.field_source("steps") == flow
        for field in ("basis", "acting_body", "handling", "supervision", "retention"):
            assert item.field_source(field) == FieldSource.DRAFTED  # the source has none
            assert item.marked(field, "x") == f"{DRAFT_MARK}x"
    # The edition's change log says what was drafted, not only what was entered.
    first = catalog.edition.changes[0].summary
    assert "行使依据、行使主体" in first and "起草" in first


def test_a_confirmation_rules_from_its_date(catalog_copy: Path) -> None:
    path = catalog_copy / "items" / "xwql-022.yaml"
    data = safe_load(path.read_text(encoding="utf-8"))
    data["confirmations"] = [
        {"document": "临民字〔2026〕3号", "date": "2026-12-01", "fields": ["acting_body", "steps"]}
    ]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    item = load_catalog(catalog_copy).get("xwql-022")
    assert item.field_source("steps") == FieldSource.CONFIRMED
    assert item.field_source("steps", on=dt.date(2026, 11, 30)) == FieldSource.DRAFTED
    assert item.marked("acting_body", "x") == "x" and item.drafted("basis")
    data["confirmations"][0]["fields"] = ["name"]  # the source's own: nothing to confirm
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogInvalid, match="cannot confirm"):
        load_catalog(catalog_copy)


def test_an_edition_cites_only_laws_in_force_on_its_date(catalog_copy: Path) -> None:
    path = catalog_copy / "items" / "xwql-034.yaml"
    data = safe_load(path.read_text(encoding="utf-8"))
    data["basis"] = [*data["basis"], "《中华人民共和国民法典》", "《一部没有列出的法》"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogInvalid) as refused:
        load_catalog(catalog_copy)
    found = {(Path(p.file).name, p.field): p.message for p in refused.value.problems}
    later = found[("xwql-034.yaml", f"basis.{len(data['basis']) - 2}")]
    assert "2021-01-01" in later and "2020.1" in later and "later edition" in later
    unknown = found[("xwql-034.yaml", f"basis.{len(data['basis']) - 1}")]
    assert "laws.yaml" in unknown
    assert len(found) == 2


def test_a_repealed_law_is_refused_from_its_repeal(catalog_copy: Path) -> None:
    """The 婚姻法 the 2020 edition cites ended with the 民法典: a 2021 edition cannot cite it."""
    edition = catalog_copy / "edition.yaml"
    text = edition.read_text(encoding="utf-8")
    edition.write_text(text.replace("effective_date: 2020-01-01", "effective_date: 2021-03-01"),
                       encoding="utf-8")  # fmt: skip
    with pytest.raises(CatalogInvalid) as refused:
        load_catalog(catalog_copy)
    repealed = [p for p in refused.value.problems if "婚姻法" in p.message]
    assert repealed and "repealed 2021-01-01" in repealed[0].message
    assert Path(repealed[0].file).name == "xwql-034.yaml"


# The four flows the source spells out, step by step (Attachment 2).
SOURCE_FLOWS = {
    "xwql-032": ["提出申请", "村（居）退役军人服务站初审", "镇（街道）退役军人服务站复审",
                 "区退役军人事务局复核", "市退役军人事务局认定"],
    "xwql-036": ["村民向村（居）退役军人服务站提出申请", "村（居）退役军人服务站初审",
                 "镇（街道）退役军人服务站复核", "区退役军人事务局认定"],
    "xwql-033": ["摸底", "公示", "上报"],
    "xwql-034": ["成立扶贫理事小组", "评定确认", "建立法律顾问、村扶贫理事小组人员帮包贫困户制度"],
}  # fmt: skip


@pytest.mark.parametrize("code", sorted(SOURCE_FLOWS))
def test_source_flows_are_reproduced_faithfully(catalog: Catalog, code: str) -> None:
    item = catalog.get(code)
    assert [step.name for step in item.steps] == SOURCE_FLOWS[code]
    seed = "".join(SEED.read_text(encoding="utf-8").split())
    for step in item.steps:
        # Every action is the source's own sentence, character for character.
        assert "".join(step.action.split()) in seed, (code, step.id)


def test_source_notice_period_is_kept(catalog: Catalog) -> None:
    notice = next(s for s in catalog.get("xwql-033").steps if s.kind == "notice")
    assert notice.time_limit is not None and notice.time_limit.days == 7
    assert notice.public


@pytest.mark.parametrize(
    "alias",
    ["xwq1-0049", "xwql-49", "XWQL-049", "xwql-0049", " xwql 49 ", "ｘｗｑｌ－０４９", "xwql_049"],
)
def test_aliases_resolve_to_the_same_item(catalog: Catalog, alias: str) -> None:
    resolution = catalog.resolve(alias)
    assert resolution.item.code == "xwql-049"
    assert resolution.item.name == "文化古迹保护"
    assert resolution.warning is None


def test_four_digit_code_of_attachment2_resolves_by_number(catalog: Catalog) -> None:
    assert catalog.get("xwql-0046").name == "惠农补贴申报"
    assert catalog.get("xwql-46").code == "xwql-046"


@pytest.mark.parametrize(
    ("code", "meant", "other"),
    [
        ("xwql-033", "贫困学生教育补助", "三属补助金申请"),
        ("xwql-0034", "孝善养老工作", "贫困学生教育补助"),
        ("xwql-035", "即时帮扶户认定", "孝善养老工作"),
        ("xwql-0036", "三属补助金申请", "即时帮扶户认定"),
    ],
)
def test_codes_the_attachments_disagree_on_resolve_by_attachment1_and_warn(
    catalog: Catalog, code: str, meant: str, other: str
) -> None:
    resolution = catalog.resolve(code)
    assert resolution.item.name == meant
    assert resolution.warning is not None
    assert other in resolution.warning and meant in resolution.warning


def test_codes_without_conflict_do_not_warn(catalog: Catalog) -> None:
    assert catalog.resolve("xwql-022").warning is None
    assert catalog.resolve("xwql-032").warning is None


@pytest.mark.parametrize("code", ["xwql-051", "xwql-0", "abc", "", "xwql-1234", "低保"])
def test_unknown_codes_are_refused_with_a_hint(catalog: Catalog, code: str) -> None:
    with pytest.raises(UnknownItem, match="xwql catalog list"):
        catalog.resolve(code)


@given(st.text(max_size=20))
@example("xwql-\x00")
@example("𠮷䶮😀")
def test_resolve_never_crashes_on_any_text(catalog: Catalog, text: str) -> None:
    try:
        item = catalog.resolve(text).item
    except UnknownItem:
        return
    assert 1 <= item.number <= 50


def _problems(folder: Path) -> list[tuple[str, str]]:
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog(folder)
    return [(Path(p.file).name, p.field) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("corpus_file", "replaces", "field"),
    [
        ("missing-step.yaml", "xwql-045.yaml", "steps"),
        ("bad-time-limit.yaml", "xwql-022.yaml", "steps.1.time_limit.days"),
        ("bad-time-unit.yaml", "xwql-022.yaml", "steps.2.time_limit.unit"),
        ("unknown-field.yaml", "xwql-040.yaml", "seal_keeper"),
        ("not-yaml.yaml", "xwql-010.yaml", "line 4"),
    ],
)
def test_broken_item_is_reported_with_file_and_field(
    catalog_copy: Path, corpus_file: str, replaces: str, field: str
) -> None:
    shutil.copyfile(CORPUS / "catalog" / corpus_file, catalog_copy / "items" / replaces)
    assert (replaces, field) in _problems(catalog_copy)


def test_duplicate_code_is_reported_in_both_files(catalog_copy: Path) -> None:
    data = yaml.safe_load((catalog_copy / "items" / "xwql-005.yaml").read_text(encoding="utf-8"))
    data["code"], data["number"] = "xwql-006", 6
    (catalog_copy / "items" / "xwql-005.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
    )
    problems = _problems(catalog_copy)
    assert ("xwql-006.yaml", "code") in problems or ("xwql-005.yaml", "code") in problems
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog(catalog_copy)
    messages = str(caught.value)
    assert "duplicate code xwql-006" in messages
    assert "xwql-005.yaml" in messages and "xwql-006.yaml" in messages


def test_every_problem_is_reported_not_only_the_first(catalog_copy: Path) -> None:
    for name, target in (
        ("missing-step.yaml", "xwql-045.yaml"),
        ("bad-time-limit.yaml", "xwql-022.yaml"),
    ):
        shutil.copyfile(CORPUS / "catalog" / name, catalog_copy / "items" / target)
    files = {file for file, _ in _problems(catalog_copy)}
    assert {"xwql-045.yaml", "xwql-022.yaml"} <= files


def test_unknown_category_is_reported(catalog_copy: Path) -> None:
    path = catalog_copy / "items" / "xwql-039.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("category: 活动组织", "category: 文体活动"),
        encoding="utf-8",
    )
    assert ("xwql-039.yaml", "category") in _problems(catalog_copy)


def test_missing_edition_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogInvalid, match=r"edition\.yaml"):
        load_catalog(tmp_path)


def test_c_yaml_parser_reads_the_catalog_as_the_python_one_does(settings: Settings) -> None:
    # The loader uses libyaml when installed (about ten times faster); the data must not differ.
    assert WITH_LIBYAML
    folder = settings.catalog_dir
    for path in [folder / "edition.yaml", *sorted((folder / "items").glob("*.yaml"))]:
        text = path.read_text(encoding="utf-8")
        assert safe_load(text) == yaml.load(text, Loader=yaml.SafeLoader), path.name
    text = (CORPUS / "catalog" / "not-yaml.yaml").read_text(encoding="utf-8")
    for load in (safe_load, yaml.safe_load):
        with pytest.raises(yaml.YAMLError):
            load(text)


def test_confirming_drafted_fields_makes_a_new_edition(catalog_copy: Path, cli) -> None:  # type: ignore[no-untyped-def]
    before = load_catalog(catalog_copy)
    done = cli("catalog", "confirm", "xwql-022", "--document", "临民字〔2026〕3号",
               "--date", "2020-06-01", "--fields", "basis,acting_body",
               "--catalog", str(catalog_copy))  # fmt: skip
    assert done.code == 0, done.err
    after = load_catalog(catalog_copy)
    item = after.get("xwql-022")
    assert item.field_source("basis") == FieldSource.CONFIRMED
    assert item.drafted("handling") and item.marked("acting_body", "x") == "x"
    edition = after.edition
    # A confirmation settles fields of the list in force: the list keeps its own date.
    assert edition.version == "2020.2" and edition.effective_date == before.edition.effective_date
    assert edition.changes[-1].date == dt.date(2020, 6, 1)
    assert "行使依据、行使主体 经临民字〔2026〕3号确认" in edition.changes[-1].summary
    assert edition.samples == before.edition.samples
    assert len(edition.changes) == len(before.edition.changes) + 1
    # Every drafted field at once, by default; then nothing is left to confirm.
    assert cli("catalog", "confirm", "xwql-022", "--document", "临民字〔2026〕4号",
               "--date", "2020-06-02", "--catalog", str(catalog_copy)).code == 0  # fmt: skip
    assert not any(load_catalog(catalog_copy).get("xwql-022").drafted(f) for f in CONFIRMABLE)
    refused = cli("catalog", "confirm", "xwql-022", "--document", "临民字〔2026〕5号",
                  "--date", "2020-06-03", "--catalog", str(catalog_copy))  # fmt: skip
    assert refused.code == 3 and "confirmed already" in refused.err
    # A field the source gives cannot be confirmed: the files stay as they were.
    text = (catalog_copy / "items" / "xwql-023.yaml").read_text(encoding="utf-8")
    wrong = cli("catalog", "confirm", "xwql-023", "--document", "临民字〔2026〕6号",
                "--date", "2020-06-03", "--fields", "name",
                "--catalog", str(catalog_copy))  # fmt: skip
    assert wrong.code == 3 and "cannot confirm" in wrong.err
    assert (catalog_copy / "items" / "xwql-023.yaml").read_text(encoding="utf-8") == text


def test_confirm_refuses_what_it_would_get_wrong(catalog_copy: Path, cli) -> None:  # type: ignore[no-untyped-def]
    def confirm(code: str, document: str, date: str) -> Any:
        return cli("catalog", "confirm", code, "--document", document, "--date", date,
                   "--fields", "basis", "--catalog", str(catalog_copy))  # fmt: skip

    # A date before the edition's own would move the catalog back in time.
    early = confirm("xwql-022", "临民字〔2019〕1号", "2019-12-31")
    assert early.code == 3 and "before this one" in early.err
    # Confirmations written by hand inline: not appended to (a second key would drop them).
    path = catalog_copy / "items" / "xwql-023.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "confirmations: []\n", encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    inline = confirm("xwql-023", "临民字〔2026〕7号", "2020-06-01")
    assert inline.code == 3 and "block list" in inline.err
    assert path.read_text(encoding="utf-8") == text
    # A basis repealed by the confirmation's date cannot be confirmed (合同法, 2021).
    repealed = confirm("xwql-003", "临民字〔2026〕8号", "2026-11-30")
    assert repealed.code == 3 and "确认的行使依据在确认日期已不生效" in repealed.err
    assert "《中华人民共和国合同法》" in repealed.err
    assert load_catalog(catalog_copy).get("xwql-003").confirmations == []
    # A document number with YAML's own characters is kept whole.
    assert confirm("xwql-022", "临民字 #3号: 附件", "2020-06-01").code == 0
    kept = load_catalog(catalog_copy).get("xwql-022").confirmations[-1]
    assert kept.document == "临民字 #3号: 附件"
