"""Search tokens for Chinese text: overlapping character pairs, not words.

Word segmentation (jieba) misses about half of the 2-character names inside
3-character names, and FTS5's ``trigram`` tokenizer cannot find 1–2 characters
(on SQLite 3.40 a short ``LIKE`` on it silently returns nothing); see
``STACK-NOTES.md``, "Chinese search". So text is cut here, in Python, into tokens
any exact substring search can be built from:

* the text is NFKC-normalised and lower-cased first (full-width ``ＡＢ１`` → ``ab1``);
* a run of CJK ideographs gives its overlapping pairs plus its last character:
  ``南马村`` → ``南马 马村 村``; a 1-character run gives that character;
* a run of ASCII letters and digits gives one lower-case word: ``D30`` → ``d30``;
* every other character (spaces, punctuation, kana, emoji, Latin letters with
  accents…) only separates runs.

A query becomes, per run, the quoted phrase of its pairs (``"王小 小明"``: the
pairs must follow each other, so the phrase matches exactly the documents that
contain ``王小明``); a 1-character run becomes a prefix (``"张" *``), which
matches every pair starting with it and every run's last character — every
position of that character. Several runs are AND-ed. The tokens contain nothing
but ideographs and ``[0-9a-z]``, and are quoted anyway, so no user input can
reach FTS5's query syntax (``AND``, ``NEAR(``, ``*``, quotes…).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

TOKENIZER_VERSION = 1
"""Bumped whenever the tokens of a text change; an index built by another version
is re-tokenized when opened (a contentless FTS5 table can only delete a row given
exactly the tokens it was fed)."""

_CJK = (
    "\u3007"  # 〇
    "\u3400-\u4dbf"  # extension A
    "\u4e00-\u9fff"  # unified ideographs
    "\uf900-\ufaff"  # compatibility ideographs (NFKC keeps the 12 unified ones here)
    "\U00020000-\U0002ee5f"  # extensions B, C, D, E, F, I
    "\U0002f800-\U0002fa1f"  # compatibility supplement
    "\U00030000-\U0003347f"  # extensions G, H, J
)
_RUN = re.compile(f"[{_CJK}]+|[0-9a-z]+")
_ASCII = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")


def normalize(text: str) -> str:
    """NFKC, then lower case: the form every token and every exactness check uses."""
    return unicodedata.normalize("NFKC", text).lower()


def runs(text: str) -> list[str]:
    """The CJK and ASCII runs of ``text``, normalised, in order."""
    return _RUN.findall(normalize(text))


def _is_ascii_run(run: str) -> bool:
    return run[0] in _ASCII


def _pairs(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def pair_tokens(text: str) -> list[str]:
    """The tokens of ``text``, in order, for the FTS5 table.

    Args:
        text: Any text.

    Returns:
        Per CJK run its overlapping pairs then its last character; per ASCII run
        one lower-case word. ``pair_tokens("南马村 D30号")`` is
        ``["南马", "马村", "村", "d30", "号"]``.
    """
    tokens: list[str] = []
    for run in runs(text):
        if _is_ascii_run(run):
            tokens.append(run)
        else:
            tokens.extend(_pairs(run))
            tokens.append(run[-1])
    return tokens


def token_set(text: str) -> list[str]:
    """The distinct tokens of ``text`` for an unordered index (PostgreSQL ``text[]``).

    Args:
        text: Any text.

    Returns:
        Sorted: every CJK pair, every single CJK character (so one character is an
        exact lookup without prefix search), every ASCII word.
    """
    found: set[str] = set()
    for run in runs(text):
        if _is_ascii_run(run):
            found.add(run)
        else:
            found.update(_pairs(run))
            found.update(run)
    return sorted(found)


@dataclass(frozen=True)
class Term:
    """One run of a query: every term must occur in a matching text.

    Attributes:
        text: The normalised run (CJK ideographs, or ``[0-9a-z]+``).
    """

    text: str

    @property
    def cjk(self) -> bool:
        """True for a run of ideographs, False for an ASCII word."""
        return not _is_ascii_run(self.text)

    @property
    def prefix(self) -> bool:
        """True for 1 character: any position of it, or any ASCII word starting with it."""
        return len(self.text) == 1

    @property
    def tokens(self) -> list[str]:
        """The tokens that must all be present: the pairs of a CJK run, else the run."""
        return _pairs(self.text) if self.cjk and not self.prefix else [self.text]


def query_terms(text: str) -> list[Term]:
    """The terms of a query, in order, without repeats.

    Args:
        text: What the user typed.

    Returns:
        One term per run; empty when ``text`` has nothing searchable.
    """
    return [Term(run) for run in dict.fromkeys(runs(text))]


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def match_query(text: str) -> str:
    """A safe FTS5 ``MATCH`` expression for ``text`` over :func:`pair_tokens`.

    Args:
        text: Raw user input; anything (quotes, ``AND``, ``NEAR(``, ``*``, NUL,
            emoji) is allowed and only its runs count.

    Returns:
        The terms AND-ed: a CJK run as the quoted phrase of its pairs, a
        1-character term as a quoted prefix (``"张" *``), an ASCII word quoted.
        Text with nothing searchable gives ``""``, which FTS5 accepts and which
        matches no row.
    """
    parts = []
    for term in query_terms(text):
        phrase = _quote(" ".join(term.tokens))
        parts.append(f"{phrase} *" if term.prefix else phrase)
    return " AND ".join(parts) if parts else '""'
