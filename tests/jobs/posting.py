"""A notice posted on a case, as the clerk's notice job registers it (no sheet printed)."""

from __future__ import annotations

import datetime as dt

from pipeline.cases.store import IssuedNotice
from pipeline.jobs.cases import StepEntry, record_step
from pipeline.units.notices import notice_jobs
from pipeline.workspace import Workspace


def post_notice(workspace: Workspace, case_id: str, posted_on: dt.date) -> str:
    """Record the case's notice step on ``posted_on`` and register its sheet's code."""
    case = record_step(
        workspace, case_id, StepEntry("notice", "村民委员会", posted_on), via="test"
    ).case
    item = workspace.catalog.get(case.item_code)
    job = notice_jobs(case, item, workspace.directory.get(case.village))[-1]
    workspace.store.register_notice(
        IssuedNotice(
            verification_code=job.verification_code, case_id=case.case_id,
            kind=job.kind.value, village=case.village, item_code=item.code,
            period_start=job.start, period_end=job.end, issued_on=posted_on,
            public_sha256="0" * 64, public_file=f"{job.file_stem}.pdf",
        )
    )  # fmt: skip
    return job.verification_code
