"""The organisations file: names of places become file and folder names, so they must be safe."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.config import Settings
from pipeline.errors import InputInvalid
from pipeline.organisations import load_district


def _with(settings: Settings, tmp_path: Path, where: tuple[str | int, ...], name: str) -> Path:
    """The sample district with the ``name`` at ``where`` replaced."""
    data = yaml.safe_load(settings.district_path.read_text(encoding="utf-8"))
    node = data
    for key in where:
        node = node[key]
    node["name"] = name
    path = tmp_path / "district.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_sample_district_loads(settings: Settings) -> None:
    assert load_district(settings.district_path).find("南马村") is not None


@pytest.mark.parametrize(
    "name",
    ["../南马村", "南马/村", "..", "南马村\\..", "C:南马村", "南马\x00村", "村" * 41, "南马村?"],
)
@pytest.mark.parametrize(
    ("where", "field"),
    [(("towns", 0, "villages", 0), "towns.0.villages.0.name"), (("towns", 0), "towns.0.name"),
     ((), "name")],
)  # fmt: skip
def test_names_that_are_not_safe_file_names_are_refused(
    settings: Settings, tmp_path: Path, where: tuple[str | int, ...], field: str, name: str
) -> None:
    """A monthly pack is <code>-<month>-<村名>月度公开材料.pdf; a notice goes in <村名>/."""
    path = _with(settings, tmp_path, where, name)
    with pytest.raises(InputInvalid) as caught:
        load_district(path)
    (problem,) = caught.value.problems
    assert problem.field == field and problem.file == str(path)
