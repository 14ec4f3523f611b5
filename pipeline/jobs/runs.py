"""Long jobs started from the pages and followed in the database: the month's packs.

A page starts :func:`build_month_run` in a thread of the web process and shows the
run from the database (table ``web_runs``), never from the thread, so any worker of
``xwql web`` and a later visit see how far it got.

* A run holds its villages for its month (table ``web_run_locks``) until it ends: a
  second run of the same month on any of them is refused (:class:`RunBusy`) while
  the first one runs, so no seal is placed twice at once.
* The thread running it beats every ``BEAT`` seconds. A run that has not ended,
  whose process on this host is gone or whose last beat is older than ``STALE``
  (another host's process, gone), was interrupted (a restart): the next look at the
  runs marks it failed and frees its villages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.archive.archiver import Archived
from pipeline.config import Settings
from pipeline.database import SqlStore, as_utc
from pipeline.errors import InputInvalid, XwqlError
from pipeline.jobs import messages as msg
from pipeline.jobs.month import MonthPacks, file_packs, write_packs
from pipeline.programs.children import process_ended
from pipeline.units.packs.month import parse_month

log = logging.getLogger(__name__)

BEAT = 5.0
"""Seconds between two beats of a running run."""
STALE = dt.timedelta(seconds=30)
"""A run not heard of for this long was interrupted (its process is gone)."""

_metadata = sa.MetaData()

runs_table = sa.Table(
    "web_runs", _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account", sa.String(60), nullable=False),
    sa.Column("scope", sa.String(200), nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("villages", sa.Text, nullable=False),  # JSON: village codes, in build order
    sa.Column("state", sa.String(10), nullable=False, index=True),
    sa.Column("done", sa.Integer, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("message", sa.String(500), nullable=False),
    sa.Column("owner", sa.String(200), nullable=False),  # host/pid of the process running it
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("result", sa.Text, nullable=False),  # JSON: the files written, the failures
)  # fmt: skip

locks_table = sa.Table(
    "web_run_locks", _metadata,
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("village", sa.String(24), primary_key=True),
    sa.Column("run_id", sa.Integer, nullable=False, index=True),
)  # fmt: skip


def this_process() -> str:
    """The owner of the runs this process starts: ``host/pid``."""
    return f"{socket.gethostname()}/{os.getpid()}"


def _owner_gone(owner: str) -> bool:
    """Whether ``owner`` was a process of this host that has ended."""
    host, _, pid = owner.rpartition("/")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host's: only its beat tells
    return process_ended(int(pid))


class RunState(StrEnum):
    """Where a run is."""

    QUEUED = "queued"  # started, waiting for the process's build slot
    RUNNING = "running"
    DONE = "done"  # finished; some villages may have failed (see the result)
    FAILED = "failed"  # nothing usable: the job failed, or it was interrupted

    @property
    def finished(self) -> bool:
        """Whether the run has ended."""
        return self in (RunState.DONE, RunState.FAILED)


_UNFINISHED = (RunState.QUEUED.value, RunState.RUNNING.value)


class RunBusy(InputInvalid):
    """A run of the same month holds one of the villages asked for.

    Attributes:
        run_id: The run holding it.
    """

    def __init__(self, message: str, run_id: int) -> None:
        super().__init__(message)
        self.run_id = run_id


@dataclass(frozen=True)
class Run:
    """One run as the database keeps it.

    Attributes:
        id: The run's number.
        account: Who started it (and places the seals).
        scope: The villages chosen, as the pages print them (齐陵街道, 南马村、东周家村).
        month: The month built, ``YYYY-MM``.
        villages: The villages' codes, in the order they are built.
        state: Where it is.
        done: Villages done so far (built or failed).
        total: Villages to build.
        message: What it is doing now; once failed, why.
        started_at: When it was started (UTC).
        finished_at: When it ended (UTC), None before.
        result: ``archive``: whether the packs are to be signed and filed too (from
            the start). Once done: ``packs`` (village code, name, file, pages and,
            once filed, archival code and outcome), ``summary`` (pdf, xlsx, pages)
            and ``failed`` (village's full name, error).
    """

    id: int
    account: str
    scope: str
    month: str
    villages: tuple[str, ...]
    state: RunState
    done: int
    total: int
    message: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    result: dict[str, Any]

    @property
    def archive(self) -> bool:
        """Whether the run signs and files the packs it writes."""
        return bool(self.result.get("archive"))

    def files(self) -> list[str]:
        """The names of the files the run wrote (in its output folder)."""
        summary = self.result.get("summary") or {}
        names = [pack["file"] for pack in self.result.get("packs", [])]
        return names + [summary[kind] for kind in ("pdf", "xlsx") if kind in summary]


class RunStore(SqlStore):
    """The runs started from the pages, in SQL (the case store's database).

    Args:
        url: The database (``pipeline.database.database_url``).
        clock: The time now, in UTC (injectable for tests).
    """

    metadata = _metadata

    def start(
        self,
        *,
        account: str,
        scope: str,
        month: str,
        villages: Sequence[str],
        archive: bool = False,
        owner: str | None = None,
    ) -> Run:
        """Record a new run, queued, holding ``villages`` for ``month``.

        Args:
            account: Who starts it.
            scope: The villages chosen, as the pages print them.
            month: ``YYYY-MM``.
            villages: Village codes, in the order they are to be built.
            archive: Sign and file the packs too (kept in the result, whose column
                every database of the runs has).
            owner: The process that runs it (default: this one).

        Raises:
            RunBusy: A run of ``month`` that has not ended holds one of ``villages``.
        """
        self.settle()
        now = self._clock()
        values = {
            "account": account[:60], "scope": scope[:200], "month": month,
            "villages": json.dumps(list(villages)), "state": RunState.QUEUED.value, "done": 0,
            "total": len(villages), "message": "", "owner": owner or this_process(),
            "started_at": now, "beat_at": now, "finished_at": None,
            "result": json.dumps({"archive": True} if archive else {}),
        }  # fmt: skip
        try:
            return self.get(self._insert(values, month, villages))
        except sa.exc.IntegrityError:
            holder = self._holder(month, villages)
            if holder is None:  # it ended between the refusal and the look-up
                return self.get(self._insert(values, month, villages))
            raise RunBusy(msg.RUN_BUSY(month=month, run=holder), holder) from None

    def _insert(self, values: dict[str, Any], month: str, villages: Sequence[str]) -> int:
        with self.engine.begin() as db:
            inserted = sa.insert(runs_table).values(**values).returning(runs_table.c.id)
            run_id = int(db.execute(inserted).scalar_one())
            db.execute(
                sa.insert(locks_table),
                [{"month": month, "village": code, "run_id": run_id} for code in villages],
            )
        return run_id

    def _holder(self, month: str, villages: Sequence[str]) -> int | None:
        with self.engine.connect() as db:
            held = db.execute(
                sa.select(locks_table.c.run_id)
                .where(locks_table.c.month == month, locks_table.c.village.in_(list(villages)))
                .limit(1)
            ).scalar_one_or_none()
        return None if held is None else int(held)

    def progress(self, run_id: int, *, done: int, total: int, message: str) -> None:
        """The run is at ``done`` of ``total``, doing ``message`` (it beats too)."""
        self._update_unfinished(
            run_id, state=RunState.RUNNING.value, done=done, total=total, message=message[:500],
            beat_at=self._clock(),
        )  # fmt: skip

    def beat(self, run_id: int) -> None:
        """The run's process is still at it."""
        self._update_unfinished(run_id, beat_at=self._clock())

    def _update_unfinished(self, run_id: int, **values: Any) -> None:
        with self.engine.begin() as db:
            db.execute(
                sa.update(runs_table)
                .where(runs_table.c.id == run_id, runs_table.c.state.in_(_UNFINISHED))
                .values(**values)
            )

    def finish(
        self,
        run_id: int,
        state: RunState,
        *,
        message: str = "",
        result: dict[str, Any] | None = None,
    ) -> Run:
        """End the run in ``state`` (done or failed) and free its villages."""
        with self.engine.begin() as db:
            self._end(db, run_id, state, message, result or {})
        return self.get(run_id)

    def _end(
        self,
        db: sa.Connection,
        run_id: int,
        state: RunState,
        message: str,
        result: dict[str, Any],
    ) -> None:
        values: dict[str, Any] = {
            "state": state.value, "message": message[:500], "finished_at": self._clock(),
            "result": json.dumps(result, ensure_ascii=False),
        }  # fmt: skip
        if state is RunState.DONE:
            values["done"] = runs_table.c.total
        db.execute(sa.update(runs_table).where(runs_table.c.id == run_id).values(**values))
        db.execute(sa.delete(locks_table).where(locks_table.c.run_id == run_id))

    def settle(self) -> int:
        """Mark every interrupted run failed and free its villages; how many there were."""
        stale = self._clock() - STALE
        with self.engine.begin() as db:
            unfinished = db.execute(
                sa.select(runs_table.c.id, runs_table.c.owner, runs_table.c.beat_at).where(
                    runs_table.c.state.in_(_UNFINISHED)
                )
            ).all()
            gone = [r.id for r in unfinished if as_utc(r.beat_at) < stale or _owner_gone(r.owner)]
            for run_id in gone:
                self._end(db, run_id, RunState.FAILED, msg.RUN_INTERRUPTED(), {})
        return len(gone)

    def get(self, run_id: int) -> Run:
        """The run ``run_id`` (an interrupted one shows as failed).

        Raises:
            InputInvalid: No such run.
        """
        self.settle()
        with self.engine.connect() as db:
            row = db.execute(sa.select(runs_table).where(runs_table.c.id == run_id)).first()
        if row is None:
            raise InputInvalid(msg.NO_SUCH_RUN(run=run_id))
        return _run(row)

    def runs(self, *, limit: int = 50) -> list[Run]:
        """The newest runs, newest first (interrupted ones show as failed)."""
        self.settle()
        query = sa.select(runs_table).order_by(runs_table.c.id.desc()).limit(limit)
        with self.engine.connect() as db:
            return [_run(row) for row in db.execute(query).all()]


def _run(row: sa.Row[tuple[object, ...]]) -> Run:
    return Run(
        id=int(row.id), account=str(row.account), scope=str(row.scope), month=str(row.month),
        villages=tuple(json.loads(row.villages)), state=RunState(row.state), done=int(row.done),
        total=int(row.total), message=str(row.message), started_at=as_utc(row.started_at),
        finished_at=as_utc(row.finished_at) if row.finished_at is not None else None,
        result=json.loads(row.result),
    )  # fmt: skip


def build_month_run(
    store: RunStore,
    run_id: int,
    settings: Settings,
    out: Path,
    *,
    issued_on: dt.date,
    slot: contextlib.AbstractContextManager[Any] | None = None,
) -> Run:
    """Build the packs and the summary of run ``run_id`` into ``out``, telling ``store``.

    Never raises: a failure is the run's (failed, with its message), so a thread of
    the web process can run it and any later visit can show it. A run asked to
    archive then signs and files the packs written (:func:`file_packs`); when that
    fails the run is still done, its packs printed, and its message says so.

    Args:
        store: Where the run is followed.
        run_id: The run (as :meth:`RunStore.start` recorded it).
        settings: The settings.
        out: The run's own output folder.
        issued_on: The date of issue printed on the covers.
        slot: Held while building (a process builds one run at a time: each starts
            LibreOffice, whose converters are one a core); the run is queued until then.

    Returns:
        The run as it ended.
    """
    stop = threading.Event()
    beating = threading.Thread(
        target=_beat, args=(store, run_id, stop), name=f"run-{run_id}-beat", daemon=True
    )
    beating.start()
    try:
        with slot or contextlib.nullcontext():
            run = store.get(run_id)
            if run.state.finished:  # given up on while it waited (see RunStore.settle)
                return run
            store.progress(run_id, done=0, total=run.total, message="")
            written = write_packs(
                settings, parse_month(run.month), out, villages=run.villages,
                issued_on=issued_on, operator=run.account,
                progress=lambda message, done, total: store.progress(
                    run_id, done=done, total=total, message=message
                ),
            )  # fmt: skip
            filed, message = _file(store, run, settings, written)
    except XwqlError as exc:
        return store.finish(run_id, RunState.FAILED, message=str(exc))
    except Exception:
        # Whatever went wrong, the run must end: one left running would hold its villages.
        log.exception("run %s of the month's packs failed", run_id)
        return store.finish(run_id, RunState.FAILED, message=msg.RUN_CRASHED())
    finally:
        stop.set()
        beating.join()
    result = {"archive": run.archive, **month_result(written, filed)}
    return store.finish(run_id, RunState.DONE, message=message, result=result)


def _file(
    store: RunStore, run: Run, settings: Settings, written: MonthPacks
) -> tuple[list[Archived], str]:
    """File the packs written if the run asks to: what was filed, and the run's message."""
    if not run.archive or not written.packs:
        return [], ""
    store.progress(run.id, done=run.total, total=run.total, message=msg.RUN_FILING())
    try:
        return file_packs(settings, written.packs), ""
    except XwqlError:
        # The packs stand, to print; the archiver's outbox keeps a package begun, so
        # the next run (or the monthly flow) files them. Why goes to the log.
        log.warning("run %s: the packs could not be filed", run.id, exc_info=True)
        return [], msg.RUN_FILING_FAILED()


def _beat(store: RunStore, run_id: int, stop: threading.Event) -> None:
    while not stop.wait(BEAT):
        try:
            store.beat(run_id)
        except sa.exc.SQLAlchemyError:
            # A missed beat is retried at the next; only a long silence interrupts the run.
            log.warning("run %s: could not record its beat", run_id, exc_info=True)


def month_result(written: MonthPacks, filed: Sequence[Archived] = ()) -> dict[str, Any]:
    """What a run keeps of the month job's result: file names (in its folder) and failures.

    Args:
        written: What the month job wrote.
        filed: What filing each pack did, in the packs' order (none when not filed).
    """
    summary = written.summary
    archived: list[Archived | None] = list(filed) or [None] * len(written.packs)
    return {
        "packs": [
            {"village": p.place.village.code, "name": p.place.village.name,
             "file": p.path.name, "pages": p.pages,
             "archival_code": done.archival_code if done else "",
             "outcome": done.outcome.value if done else ""}
            for p, done in zip(written.packs, archived, strict=True)
        ],
        "summary": {"pdf": summary.pdf.name, "xlsx": summary.xlsx.name, "pages": summary.pages},
        "failed": [{"village": name, "error": str(error)} for name, error in written.failed],
    }  # fmt: skip
