from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import CORPUS


def test_validate_the_shipped_catalog(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("catalog", "validate")
    assert result.code == 0
    assert "50" in result.out


def test_validate_a_broken_catalog_names_file_and_field(cli, catalog_copy: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.copyfile(
        CORPUS / "catalog" / "bad-time-limit.yaml", catalog_copy / "items" / "xwql-022.yaml"
    )
    (catalog_copy / "items" / "xwql-045.yaml").unlink()
    shutil.copyfile(
        CORPUS / "catalog" / "missing-step.yaml", catalog_copy / "items" / "xwql-045.yaml"
    )
    result = cli("catalog", "validate", "--catalog", str(catalog_copy))
    assert result.code == 3
    flat = "".join(result.err.split())
    assert "xwql-022.yaml:steps.1.time_limit.days" in flat
    assert "xwql-045.yaml:steps" in flat
    assert "Traceback" not in result.err + result.out


def test_show_resolves_aliases(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("catalog", "show", "xwq1-0049", "--json")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["code"] == "xwql-049" and data["warning"] is None


def test_show_warns_where_the_attachments_disagree(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("catalog", "show", "xwql-033")
    assert result.code == 0
    assert "贫困学生教育补助" in result.out
    assert "三属补助金申请" in "".join(result.err.split())


def test_unknown_code_exits_3_without_traceback(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("catalog", "show", "xwql-999")
    assert result.code == 3
    assert "xwql-999" in result.err and "Traceback" not in result.err


def test_list_json(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("catalog", "list", "--json")
    items = json.loads(result.out)
    assert len(items) == 50 and items[21]["name"] == "低保申请"


def test_diff_json_between_folder_and_edited_copy(cli, catalog_copy: Path) -> None:  # type: ignore[no-untyped-def]
    path = catalog_copy / "items" / "xwql-040.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("retention: 永久", "retention: 30年"),
        encoding="utf-8",
    )
    result = cli("catalog", "diff", "catalog", str(catalog_copy), "--json")
    assert result.code == 0
    assert json.loads(result.out) == [
        {"code": "xwql-040", "kind": "changed", "field": "retention", "old": "永久", "new": "30年"}
    ]


def test_bad_date_is_an_input_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("catalog", "publish", "--out", str(tmp_path), "--date", "2026/11/24")
    assert result.code == 3
    assert "YYYY-MM-DD" in result.err


def test_help_has_examples(cli) -> None:  # type: ignore[no-untyped-def]
    for command in (["catalog", "publish"], ["catalog", "show"], ["doctor"], ["demo"]):
        result = cli(*command, "--help")
        assert result.code == 0
        assert "Example:" in result.out


@pytest.mark.soffice
def test_doctor_reports_every_part_ok(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("doctor", "--json")
    checks = json.loads(result.out)
    assert result.code == 0, checks
    assert {c["name"] for c in checks} >= {"LibreOffice", "Graphviz", "Python packages"}
    assert all(c["ok"] for c in checks)


def test_doctor_says_how_to_fix_a_missing_program(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", "/nonexistent")
    result = cli("doctor", "--json")
    assert result.code == 4
    failed = {c["name"]: c for c in json.loads(result.out) if not c["ok"]}
    assert "apt-get install libreoffice-writer-nogui" in failed["LibreOffice"]["fix"]
    assert "apt-get install graphviz" in failed["Graphviz"]["fix"]


def test_unwritable_output_is_a_clear_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("intake", "--template", "--out", str(blocker / "sub" / "台账.xlsx"))
    assert result.code in (7, 3)
    assert "Traceback" not in result.err and str(blocker) in "".join(result.err.split())


def test_an_os_error_on_an_open_file_names_the_file(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from pipeline.cli._app import expected_failure

    err = Console(file=io.StringIO(), width=200)
    with (tmp_path / "notice.pdf.part").open("wb") as handle:
        code = expected_failure(OSError(28, "No space left on device", handle), err)
    assert code == 7
    text = err.file.getvalue()  # type: ignore[attr-defined]
    assert f"{tmp_path / 'notice.pdf.part'}: No space left on device" in text
    assert "BufferedWriter" not in text


def test_a_district_catalog_folder_without_an_edition_is_a_clear_error(  # type: ignore[no-untyped-def]
    cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XWQL_CATALOG", str(tmp_path))  # XWQL_CATALOG names an empty folder
    result = cli("cases", "list")
    assert result.code == 3 and "Traceback" not in result.err
    assert "edition.yaml" in result.err and str(tmp_path) in result.err
