"""Every ``xwql`` command the code names — in a message, a hint or an example — exists."""

from __future__ import annotations

import re
from typing import Any

import typer

from pipeline.cli._main import app
from tests.conftest import ROOT

# A command is named in backticks, in brackets, after "Example:" or "run"; "xwql" in prose
# ("xwql never overwrites") is the program, not a command.
_MENTION = re.compile(r"(?:`|\(|（|Example: |[Rr]un |运行 ?|：)xwql((?: [a-z][a-z-]*)+)")


def _commands() -> Any:
    """The command tree (a click group: typer may bring its own click)."""
    group = typer.main.get_command(app)
    assert hasattr(group, "commands")
    return group


def _exists(words: list[str], group: Any) -> bool:
    command = group.commands.get(words[0])
    if command is None:
        return False
    if hasattr(command, "commands") and len(words) > 1:
        # The next word is a sub-command unless the group takes arguments of its own.
        return words[1] in command.commands or not command.commands
    return True


def test_every_command_a_message_or_example_names_exists() -> None:
    group = _commands()
    missing, named = [], 0
    for path in sorted((ROOT / "pipeline").rglob("*.py")) + sorted((ROOT / "flows").rglob("*.py")):
        for match in _MENTION.finditer(path.read_text(encoding="utf-8")):
            words = match.group(1).split()
            named += 1
            if not _exists(words, group):
                missing.append(f"{path.relative_to(ROOT)}: xwql {' '.join(words)}")
    assert missing == []
    assert named > 50  # the pattern still finds the commands the code names


def test_the_villages_command_lists_the_codes(cli) -> None:  # type: ignore[no-untyped-def]
    listed = cli("villages", "--json")
    assert listed.code == 0, listed.err
    assert '"code": "QL-NM"' in listed.out and '"village": "南马村"' in listed.out
