"""Shared helpers to find external programs and read their versions."""

from __future__ import annotations

import re
import shutil
import subprocess

from pipeline.errors import MissingDependency
from pipeline.programs.messages import NOT_INSTALLED


def require(program: str, *, package: str) -> str:
    """Path of ``program`` on PATH, or a ``MissingDependency`` saying what to install."""
    path = shutil.which(program)
    if path is None:
        raise MissingDependency(NOT_INSTALLED(program=program, package=package))
    return path


def version_of(argv: list[str], pattern: str, *, timeout: float = 60) -> tuple[int, ...]:
    """Run ``argv`` and read a dotted version with ``pattern`` from its output."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MissingDependency(f"{argv[0]} could not be run: {exc}") from exc
    match = re.search(pattern, done.stdout + done.stderr)
    if not match:
        raise MissingDependency(f"{argv[0]} did not report a version (got {done.stdout!r})")
    return tuple(int(part) for part in match.group(1).split("."))
