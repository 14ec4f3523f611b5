"""Every nasty input through ``xwql`` as a clerk runs it: the documented exit status, a
message naming the file (and sheet, row and column where there is one), no traceback,
and nothing written anywhere but the folders given."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from docx import Document

from pipeline.intake.sources import steps_csv
from pipeline.programs.fonts import FontSetup
from tests.conftest import CORPUS, ROOT

LEDGERS = CORPUS / "ledgers"
SAMPLE = ROOT / "examples" / "linzi" / "南马村-2026-11-台账.xlsx"


def _flat(text: str) -> str:
    """Text without white space: the console wraps long lines."""
    return re.sub(r"\s+", "", text)


def _tree(folder: Path) -> dict[str, int]:
    return {str(path.relative_to(folder)): path.stat().st_mtime_ns for path in folder.rglob("*")}


@pytest.fixture
def clerk(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The CLI in an empty working folder, on a case store of its own."""
    monkeypatch.setenv("XWQL_DATA", str(tmp_path / "data"))
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return cli


@pytest.mark.parametrize(
    ("name", "code", "shown"),
    [
        ("nasty.xlsx", 3, ["“办件台账”表第3行“身份证号”", "“办理环节”表第4行“办件编号”"]),
        ("missing-column.xlsx", 3, ["“办件台账”表第1行", "缺少必填列“受理日期”"]),
        ("title-and-hidden.xlsx", 0, ["“办件台账”表第4行", "隐藏"]),
        ("gbk.csv", 3, ["gbk-办理环节.csv第3行“日期”「2026/11/31」", "gbk.csv第4行“办件编号”"]),
        ("utf16.csv", 3, ["utf16.csv：无法识别文件编码"]),
        ("bad.json", 3, ["bad.json“cases[1].applicants[1].id_number”"]),
        ("truncated.xlsx", 3, ["truncated.xlsx：无法打开工作簿", "incompleteordamaged"]),
        ("damaged.xlsx", 3, ["damaged.xlsx：无法打开工作簿：内部已损坏"]),
        ("not-a-zip.xlsx", 3, ["not-a-zip.xlsx：无法打开工作簿：这是文本文件"]),
        ("encrypted.xlsx", 3, ["encrypted.xlsx", "password-protected", "withoutone"]),
        ("big-picture.xlsx", 3, ["big-picture.xlsx：工作簿里嵌有超大的图片"]),
        ("utf8-bom.csv", 0, ["导入2件"]),
        ("utf8.csv", 0, ["导入2件"]),
        ("unsafe-ids.csv", 3, ["unsafe-ids.csv第3行“办件编号”「../../x」", "U+0000", "导入2件"]),
    ],
)  # fmt: skip
def test_each_corpus_ledger_through_intake(
    clerk,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    name: str,
    code: int,
    shown: list[str],
) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    out.mkdir()
    given = [path for path in (LEDGERS / name, steps_csv(LEDGERS / name)) if path.is_file()]
    for path in given:
        shutil.copyfile(path, inbox / path.name)
    corpus_before, inbox_before = _tree(LEDGERS), _tree(inbox)
    result = clerk("intake", str(inbox / name), "--report", str(out / "问题.xlsx"))
    assert result.code == code, result.err
    said = _flat(result.out + result.err)
    assert "Traceback" not in said
    for fragment in shown:
        assert _flat(fragment) in said
    assert _tree(inbox) == inbox_before and _tree(LEDGERS) == corpus_before
    assert {path.name for path in out.iterdir()} <= {"问题.xlsx"}
    assert not any((tmp_path / "cwd").iterdir())


@pytest.fixture
def broken_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fonts: FontSetup) -> Path:
    """A copy of xwql's home whose public notice template has an unclosed ``{{``."""
    home = tmp_path / "home"
    home.mkdir()
    for part in ("catalog", "archive_schema", "examples"):
        (home / part).symlink_to(ROOT / part)
    shutil.copytree(ROOT / "templates", home / "templates")
    notice = home / "templates" / "public_notice.docx"
    document = Document(str(notice))
    document.add_paragraph("申请人：{{ applicant ")
    document.save(str(notice))
    faces = tmp_path / "data" / "fonts"  # the fonts the session extracted, not extracted again
    faces.mkdir(parents=True)
    for face in fonts.folder.glob("*.otf"):
        (faces / face.name).symlink_to(face)
    monkeypatch.setenv("XWQL_HOME", str(home))
    return home


def test_a_broken_template_exits_6_naming_it(clerk, broken_home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The batch reports the notice it could not write; nothing is printed or written."""
    assert clerk("intake", str(SAMPLE), "--report", str(tmp_path / "问题.xlsx")).code == 0
    out = tmp_path / "notices"
    result = clerk("notice", "NM-2026-11-001", "--out", str(out))
    assert result.code == 6, result.err
    said = _flat(result.err)
    assert "Traceback" not in said and "syntaxerrorinpublic_notice.docx" in said
    assert "NM-2026-11-001-公示" in said and "1份未生成" in said
    assert not list(out.rglob("*.pdf")) and not any((tmp_path / "cwd").iterdir())
