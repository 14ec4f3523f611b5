"""The archive keys as a data folder has them, for tests that build an archiver by hand."""

from __future__ import annotations

from pathlib import Path

from pipeline.archive.sealing import Sealer, load_keyring
from pipeline.config import Settings


def sealer_in(folder: Path) -> Sealer:
    """The sealer of the keyring in ``folder`` (made on first use, as the data folder's is)."""
    return Sealer(load_keyring(Settings(data=folder)))
