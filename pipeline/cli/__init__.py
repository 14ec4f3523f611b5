"""The ``xwql`` command: one sub-command per user job.

Expected failures (``XwqlError``) print a message and exit with the error's code
(see ``pipeline.errors.ExitCode``); only bugs show a traceback.

This module stays light on purpose: :func:`main` first asks whether a running
converter service can do the job (:mod:`pipeline.cli._client`, which imports
almost nothing), and only if not imports the command line (typer, rich and the
commands, about 0.2 s before any work) and runs it here.
"""

from __future__ import annotations

import signal
import sys


def run(argv: list[str] | None = None) -> int:
    """Run ``xwql`` with ``argv`` in this process; return the exit status instead of exiting.

    Expected failures become a message on stderr and their documented exit code.
    """
    from pipeline.cli._main import run as run_here

    return run_here(argv)


def main() -> None:
    """Console entry point: through the converter service when it can, else here.

    What the command starts ends with it (:mod:`pipeline.programs.children`); a
    SIGTERM unwinds it like a Ctrl-C, so its own clean-up runs.
    """
    from pipeline.programs.children import guard_this_command

    guard_this_command()
    signal.signal(signal.SIGTERM, _terminated)
    _log_to_the_data_folder()
    served = None
    if sys.argv[1:2] == ["notice"]:  # the one command the service runs
        from pipeline.cli._client import run_in_service

        try:
            served = run_in_service(sys.argv[1:])
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
            sys.exit(130)
    sys.exit(run() if served is None else served)


def _terminated(number: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {number}")


def _log_to_the_data_folder() -> None:
    """Libraries' warnings and errors go to ``<data>/logs/xwql.log``, not the terminal.

    The command prints its own progress and, on failure, one message naming that
    file; Prefect's runs log into the same file (``flows/logging.yml``).
    """
    import logging

    from pipeline.config import load_settings

    folder = load_settings().data / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(folder / "xwql.log", encoding="utf-8")
    except OSError:
        return  # an unwritable data folder is reported by the command itself
    handler.setFormatter(
        logging.Formatter("%(asctime)s | %(levelname)-7s | %(name)s - %(message)s")
    )
    logging.getLogger().addHandler(handler)
    logging.captureWarnings(True)
