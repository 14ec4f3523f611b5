"""Who a converter service is, and why a command must not use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.programs.converter_service import client
from pipeline.programs.converter_service.client import identity, mismatch
from pipeline.programs.fonts import ensure_sc_fonts


@pytest.mark.soffice
def test_mismatch_names_what_differs(data: Path) -> None:
    mine = identity(data, ensure_sc_fonts(data))
    assert mismatch(mine, mine) is None
    assert "fonts" in (mismatch(mine | {"fontconfig": "/elsewhere/fonts.conf"}, mine) or "")
    assert "updated" in (mismatch(mine | {"code": "0" * 16}, mine) or "")


def test_the_converter_code_digest_reads_files_that_exist() -> None:
    # A name left behind by a move would be digested as empty, and a change to the
    # file it stood for would go unseen by a service already running.
    package = Path(client.__file__).resolve().parents[2]
    missing = [name for name in client._CONVERTER_CODE if not (package / name).is_file()]
    assert missing == []
    service_code = {
        p.relative_to(package).as_posix() for p in Path(client.__file__).parent.glob("*.py")
    }
    assert service_code <= set(client._CONVERTER_CODE)
