"""The thin client: ``xwql notice`` done by the running converter service.

A command spends about half a second starting Python and importing its
libraries before any work; the converter service (``xwql converters up``) has
them imported already. So when it runs for this data folder, ``xwql notice``
sends its request over the service's socket and only prints what the service
answers, and exits with the service's exit status (the design of ``dmypy`` or
``blackd``). The service issues the notices with the command's own code
(:func:`pipeline.cli.cases.print_notices`, via :mod:`pipeline.cli._served`).

This module runs before anything else is imported, so it imports only the
standard library's basics, the settings and the service's address.

The command runs here, as before, whenever:

- the arguments are not ``notice`` with only options that travel: case ids,
  ``--out``, ``--operator``, ``--village``, ``--date``; ``--archive`` (the
  archive session and its object store belong to the command), ``--help``,
  ``--`` or any other option make it run here;
- no service answers, or it answers for other conditions: another data folder,
  other settings (every ``XWQL_*`` value, relative paths resolved from here),
  other code (any file of the package changed since it started), another
  Python environment or changed packages, another umask or ``TZ``;
- the service closes the connection before accepting the request, or does not
  accept it within a few seconds (stopping, overloaded).

Relative paths are resolved here (the service's working directory is its
folder); messages still show the output folder as it was typed.

Once the service has accepted the request it does the work, and this side
waits for the answer, however long the job. If the service dies before
answering, the command fails (exit 5) and says so, rather than issuing the
notices a second time here: some may have been written and registered. Running
the command again is safe (a reprint gives the same sheet and code).
Interrupting this side (Ctrl-C) does not stop the service's job.

Only the service's own user can connect (the socket is 0600 in a 0700 folder,
and the service checks the peer's user id), so nobody else can act through it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from pipeline.config import Settings, load_settings
from pipeline.programs._service_address import socket_path, unix_address
from pipeline.programs.children import RUN_MARK

PROTOCOL = 1
_CONNECT_SECONDS = 3.0  # a running service connects and accepts in milliseconds
_ACCEPT_SECONDS = 5.0
_MAX_ANSWER = 64 * 1024 * 1024
_EXIT_EXTERNAL_PROGRAM = 5  # pipeline.errors.ExitCode.EXTERNAL_PROGRAM, not imported here

# Options of `xwql notice` that travel, with their names in the request.
_VALUE_OPTIONS = {
    "--out": "out", "--operator": "operator", "--village": "village", "--date": "date",
}  # fmt: skip
_FLAGS = ("--no-archive",)  # the default, so it changes nothing

# What rich reads from the environment to lay out and colour its output.
_CONSOLE_ENV = (
    "COLORTERM", "COLUMNS", "FORCE_COLOR", "JUPYTER_COLUMNS", "JUPYTER_LINES", "LINES",
    "NO_COLOR", "TERM", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
)  # fmt: skip


def parse_notice(args: list[str], cwd: Path) -> dict[str, Any] | None:
    """The request of ``xwql notice args``, or None if it must run in this process.

    Read as the command line would (options and case ids in any order, the last
    of a repeated option wins); anything else makes the command run here.
    ``out`` is made absolute against ``cwd``; ``shown_out`` keeps it as typed.
    """
    request: dict[str, Any] = {
        "case_ids": [], "out": "out/notices", "operator": "xwql", "village": None, "date": None,
    }  # fmt: skip
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        name, has_value, value = arg.partition("=")
        if name in _VALUE_OPTIONS:
            if not has_value:
                if index == len(args) or args[index].startswith("-"):
                    return None  # a missing value: the command line says so
                value = args[index]
                index += 1
            if not value:
                return None
            request[_VALUE_OPTIONS[name]] = value
        elif arg in _FLAGS:
            continue
        elif arg.startswith("-") or not arg:
            return None  # --archive, --help, --, or an option this client does not know
        else:
            request["case_ids"].append(arg)
    request["shown_out"] = request["out"]
    request["out"] = str(cwd / request["out"])
    return request


def _package_digest() -> str:
    """Names, sizes and times of every source file of the package: a change shows."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                info = Path(folder, name).stat()
                digest.update(f"{folder}/{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _settings_digest(settings: Settings) -> str:
    """Every setting (secrets too, hashed) and every ``XWQL_*`` variable.

    The settings as read (relative paths resolved where they were read), and
    the variables as set, for those read elsewhere than in the settings.
    """
    values = {f.name: str(getattr(settings, f.name)) for f in dataclasses.fields(settings)}
    values["data"] = str(settings.data.resolve())
    variables = {name: value for name, value in os.environ.items() if name.startswith("XWQL_")}
    variables.pop("XWQL_DATA", None)  # relative to where it was read: the data folder says it
    variables.pop(RUN_MARK, None)  # each command's own id, not a setting
    text = json.dumps([values, variables], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _packages_stamp() -> list[int]:
    """Modification times of the site-packages folders: installing or removing a package shows."""
    stamps = []
    for entry in sys.path:
        if entry.endswith("-packages") and (folder := Path(entry)).is_dir():
            stamps.append(folder.stat().st_mtime_ns)
    return stamps


def job_identity(settings: Settings) -> dict[str, Any]:
    """What a command and the service must share for the service to run the command."""
    umask = os.umask(0o022)
    os.umask(umask)
    return {
        "protocol": PROTOCOL,
        "data": str(settings.data.resolve()),
        "settings": _settings_digest(settings),
        "code": _package_digest(),
        "python": [sys.prefix, sys.version],
        "packages": _packages_stamp(),
        "umask": umask,
        "tz": os.environ.get("TZ"),
    }


def job_mismatch(theirs: Any, ours: dict[str, Any]) -> str | None:
    """Why a command with identity ``theirs`` must not run in a service of ``ours``, or None."""
    if not isinstance(theirs, dict):
        return "no identity"
    differ = sorted(key for key in ours if theirs.get(key) != ours[key])
    return f"differs: {', '.join(differ)}" if differ else None


def console_facts() -> dict[str, Any]:
    """What rich would see here: its environment, which streams are terminals, the size."""
    size = None
    for descriptor in (0, 1, 2):  # the streams rich asks, in its order
        try:
            size = list(os.get_terminal_size(descriptor))
        except OSError:
            continue
        break
    return {
        "env": {name: os.environ[name] for name in _CONSOLE_ENV if name in os.environ},
        "tty": [sys.stdout.isatty(), sys.stderr.isatty()],
        "size": size,
    }


def _print(output: list[list[str]]) -> None:
    streams = {"out": sys.stdout, "err": sys.stderr}
    for name, text in output:
        other = sys.stderr if name == "out" else sys.stdout
        other.flush()
        streams.get(name, sys.stderr).write(text)
    sys.stdout.flush()
    sys.stderr.flush()


def run_in_service(argv: list[str]) -> int | None:
    """Run ``xwql`` with ``argv`` in the converter service; its exit status, or None here."""
    if not argv or argv[0] != "notice":
        return None
    request = parse_notice(argv[1:], Path.cwd())
    if request is None:
        return None
    try:
        settings = load_settings()
    except (ValueError, OSError):
        return None  # the command says what is wrong
    path = socket_path(settings.data)
    if not path.exists():
        return None  # no service: the usual case, decided in microseconds
    message = {
        "op": "notice",
        "identity": job_identity(settings),
        "args": request,
        "console": console_facts(),
    }
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            with unix_address(path) as address:
                sock.settimeout(_CONNECT_SECONDS)
                sock.connect(address)
            sock.sendall(json.dumps(message).encode() + b"\n")
            sock.settimeout(_ACCEPT_SECONDS)
            answers = sock.makefile("rb")
            first = json.loads(answers.readline(_MAX_ANSWER) or b"null")
        except (OSError, ValueError):
            return None  # not running, stopping, or not answering: nothing was done
        if not (isinstance(first, dict) and first.get("accepted")):
            return None  # refused: another data folder, settings or code; run here
        sock.settimeout(None)  # the job takes what it takes
        try:
            line = answers.readline(_MAX_ANSWER)
            answer = json.loads(line) if line.endswith(b"\n") else None
        except (OSError, ValueError):
            answer = None
        except KeyboardInterrupt:
            sys.stderr.write("interrupted (the converter service finishes the job)\n")
            return 130
    if not (isinstance(answer, dict) and isinstance(answer.get("code"), int)):
        from pipeline.cli.messages import SERVICE_STOPPED

        sys.stderr.write(f"错误 error: {SERVICE_STOPPED(log=path.parent)}\n")
        return _EXIT_EXTERNAL_PROGRAM
    _print(answer.get("output") or [])
    return int(answer["code"])
