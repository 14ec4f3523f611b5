"""Graphviz ``dot``, owned here: draws flowcharts from DOT text."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from pipeline.config import usable_cores
from pipeline.errors import ExternalProgramError
from pipeline.programs._probe import require, version_of
from pipeline.programs.fonts import FontSetup

APT_PACKAGE = "graphviz"
# Each dot loads the CJK faces (40 MB or more): more at once than there are cores
# adds memory and no speed (the booklet asks for up to 16 charts at once).
_RUNNING = threading.BoundedSemaphore(usable_cores())


def probe() -> tuple[int, ...]:
    """Check ``dot`` is installed; return its version."""
    dot = require("dot", package=APT_PACKAGE)
    return version_of([dot, "-V"], r"version (\d+(?:\.\d+)+)")


def render_dot(
    source: str,
    target: Path,
    fonts: FontSetup,
    *,
    dpi: int = 200,
    timeout: float = 60,
    output: str = "png",
) -> Path:
    """Render DOT ``source`` to ``target`` with the SC faces.

    ``output`` is ``png`` (at ``dpi``) or ``svg`` (text kept as text, sized in points).
    """
    dot = require("dot", package=APT_PACKAGE)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    resolution = [f"-Gdpi={dpi}"] if output == "png" else []
    argv = [dot, f"-T{output}", *resolution, "-o", str(partial)]
    try:
        with _RUNNING:
            done = subprocess.run(
                argv,
                input=source.encode("utf-8"),
                capture_output=True,
                timeout=timeout,
                check=False,
                env=fonts.environment(),
            )
    except subprocess.TimeoutExpired as exc:
        partial.unlink(missing_ok=True)
        raise ExternalProgramError(f"Graphviz took over {timeout:.0f} s on {target.name}") from exc
    errors = [
        line
        for line in done.stderr.decode("utf-8", "replace").splitlines()
        # Harmless: dot warns when it shrinks a graph to the requested size.
        if line.strip() and "scaling" not in line.lower()
    ]
    if done.returncode != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        raise ExternalProgramError(
            f"Graphviz could not draw {target.name}: {'; '.join(errors) or 'no output'}"
        )
    partial.replace(target)
    return target
