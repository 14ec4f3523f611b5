"""Bilingual messages: what is wrong with a value and how the clerk fixes it."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.errors import Bilingual, InputInvalid


@dataclass(frozen=True)
class Finding:
    """A problem and its fix, not yet tied to a place in a file."""

    problem: Bilingual
    fix: Bilingual


class BadValue(InputInvalid):
    """A value that cannot be taken as it is; carries the problem and the fix."""

    def __init__(self, problem: Bilingual, fix: Bilingual) -> None:
        self.finding = Finding(problem, fix)
        super().__init__(f"{problem.zh}（{fix.zh}） / {problem.en} ({fix.en})")


def bad(problem_zh: str, problem_en: str, fix_zh: str, fix_en: str) -> BadValue:
    """A ``BadValue`` from its four texts, in reading order."""
    return BadValue(Bilingual(problem_zh, problem_en), Bilingual(fix_zh, fix_en))


def finding(problem_zh: str, problem_en: str, fix_zh: str, fix_en: str) -> Finding:
    """A ``Finding`` from its four texts, in reading order."""
    return Finding(Bilingual(problem_zh, problem_en), Bilingual(fix_zh, fix_en))
