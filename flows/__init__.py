"""Prefect flows: thin orchestration over ``pipeline.jobs`` (no document logic here).

Prefect is configured before it is imported (:func:`configure_prefect`): its
home under the data folder, analytics off, and its logging (``logging.yml``)
into the data folder's log (:func:`log_file`), so the terminal shows the
command's own progress and one message, never a library's traceback. Set ``PREFECT_API_URL`` to use
a running Prefect server (``xwql serve`` starts one); otherwise each command
runs its flow against Prefect's temporary local API.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.config import Settings


def configure_prefect(settings: Settings) -> None:
    """Point Prefect at the data folder; values already in the environment win."""
    defaults = {
        "PREFECT_HOME": str(settings.data / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_LOGGING_LOG_PRINTS": "false",
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_LOGGING_SETTINGS_PATH": str(Path(__file__).with_name("logging.yml")),
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    home = Path(os.environ["PREFECT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home.parent / "logs").mkdir(parents=True, exist_ok=True)


def log_file() -> Path:
    """Where the runs' logs go (``logging.yml``: ``$PREFECT_HOME/../logs/xwql.log``)."""
    return (Path(os.environ["PREFECT_HOME"]).parent / "logs" / "xwql.log").resolve()


def _configure_from_environment() -> None:
    from pipeline.config import load_settings

    configure_prefect(load_settings())


# Prefect reads its settings when it is first imported: set them before any flow module is.
_configure_from_environment()
