"""Scratch folders of a unit being built, removed afterwards or kept to diagnose a failure.

A case file or a pack is built in a work folder of its own (rendered parts,
converted pages, the collated PDF before signing). On success the folder goes;
on failure it goes too unless the operator asked to keep it (``XWQL_KEEP_WORK=1``):
either way the error says where it is and how to keep it.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import Bilingual

WORK_FOLDER_KEPT = Bilingual("工作文件夹已保留", "the work folder is kept for diagnosis: {path}")
KEEP_WORK_FOLDER = Bilingual(
    "设置 XWQL_KEEP_WORK=1 后重试可保留工作文件夹",
    "run again with XWQL_KEEP_WORK=1 to keep the work folder ({path}) for diagnosis",
)


@contextlib.contextmanager
def work_folder(path: Path, *, keep_on_failure: bool) -> Iterator[Path]:
    """A fresh, empty ``path`` for the block; removed after it unless it failed and is kept.

    An exception leaving the block gets a note (printed with an ``XwqlError``'s
    message) naming the folder: kept, or how to keep it next time.
    """
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    try:
        yield path
    except Exception as exc:
        if keep_on_failure:
            exc.add_note(WORK_FOLDER_KEPT(path=path))
            raise
        exc.add_note(KEEP_WORK_FOLDER(path=path))
        shutil.rmtree(path, ignore_errors=True)
        raise
    shutil.rmtree(path, ignore_errors=True)
