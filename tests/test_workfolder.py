from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConversionError
from pipeline.workfolder import work_folder


def test_a_folder_that_served_is_removed(tmp_path: Path) -> None:
    target = tmp_path / "case-files" / "NM-2026-11-002"
    target.mkdir(parents=True)
    (target / "left-by-an-earlier-run.pdf").write_bytes(b"%PDF")
    with work_folder(target, keep_on_failure=False) as work:
        assert list(work.iterdir()) == []  # a fresh folder, whatever a crash left
        (work / "collated.pdf").write_bytes(b"%PDF")
    assert not target.exists()


def test_a_failed_unit_says_how_to_keep_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "NM-2026-11-002"
    with pytest.raises(ConversionError) as failed, work_folder(target, keep_on_failure=False):
        (target / "cover.docx").write_bytes(b"PK")
        raise ConversionError("LibreOffice could not convert cover.docx")
    assert not target.exists()
    message = str(failed.value)
    assert message.startswith("LibreOffice could not convert cover.docx\n")
    assert "XWQL_KEEP_WORK=1" in message and str(target) in message


def test_a_failed_unit_keeps_its_folder_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "NM-2026-11-002"
    with pytest.raises(ConversionError) as failed, work_folder(target, keep_on_failure=True):
        (target / "cover.docx").write_bytes(b"PK")
        raise ConversionError("LibreOffice could not convert cover.docx")
    assert (target / "cover.docx").read_bytes() == b"PK"
    assert f"工作文件夹已保留 / the work folder is kept for diagnosis: {target}" in str(
        failed.value
    )
