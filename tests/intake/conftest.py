from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.catalog import Catalog
from pipeline.config import Settings
from pipeline.intake import IntakeResult, read_ledger
from pipeline.intake.values import Context
from pipeline.organisations import Directory, load_district


@pytest.fixture(scope="session")
def directory(settings: Settings) -> Directory:
    return load_district(settings.home / "examples/linzi/district.yaml")


@pytest.fixture
def ctx(catalog: Catalog, directory: Directory) -> Context:
    return Context(catalog, directory)


@pytest.fixture
def read(catalog: Catalog, directory: Directory) -> Callable[[Path], IntakeResult]:
    """``read_ledger`` that also checks nothing was dropped, whatever the input."""

    def run(path: Path) -> IntakeResult:
        result = read_ledger(path, catalog, directory)
        assert result.rows_in == result.rows_imported + result.rows_rejected
        assert result.steps_in == result.steps_imported + result.steps_rejected
        if result.rows_rejected or result.steps_rejected:
            assert result.errors, "rows rejected without an error"
        return result

    return run
