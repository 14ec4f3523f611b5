"""File names inside an archive package: NFC, portable, never escaping the package.

A payload name is a relative POSIX path under the package's ``data/`` folder
(``南马村低保申请.pdf``, ``附件/收入证明.pdf``). Names are compared and stored in
Unicode NFC, as bagit-python does, because the same Chinese or accented name
can reach us composed (NFC) or decomposed (NFD, macOS file systems).
"""

from __future__ import annotations

import unicodedata

from pipeline.archive.messages import (
    NAME_ABSOLUTE,
    NAME_BAD_COMPONENT,
    NAME_COMPONENT_EDGE,
    NAME_CONTROL_CHARACTER,
    NAME_EMPTY,
    NAME_FORBIDDEN_CHARACTER,
    NAME_NOT_UNICODE,
    NAME_TOO_LONG,
)

MAX_NAME_BYTES = 200
# Characters Windows forbids, plus '%' (BagIt percent-encodes it, bagit-python does not).
_FORBIDDEN = set('\\<>:"|?*%')


def nfc(name: str) -> str:
    """``name`` in Unicode normal form C."""
    return unicodedata.normalize("NFC", name)


def name_problem(name: str) -> str | None:
    r"""Why ``name`` is not a safe payload name, or None when it is.

    A safe name is relative, has no empty, ``.`` or ``..`` component, no control
    or invisible format character (NUL, newline, bidi override…), none of
    ``\ < > : " | ? * %``, no component starting or ending with a space or ending
    with a dot, and is at most ``MAX_NAME_BYTES`` bytes of UTF-8 once in NFC.

    Args:
        name: The name as given (any normal form), ``/`` separating folders.

    Returns:
        A bilingual reason for the refusal, or None.
    """
    if not name:
        return NAME_EMPTY()
    try:
        encoded = nfc(name).encode("utf-8")
    except UnicodeEncodeError:
        return NAME_NOT_UNICODE()
    for char in name:
        category = unicodedata.category(char)
        if category in {"Cc", "Cf", "Cs"}:
            return NAME_CONTROL_CHARACTER(code=ord(char))
        if char in _FORBIDDEN:
            return NAME_FORBIDDEN_CHARACTER(char=char)
    if name.startswith("/"):
        return NAME_ABSOLUTE()
    for part in name.split("/"):
        if part in {"", ".", ".."}:
            return NAME_BAD_COMPONENT(part=part)
        if part != part.strip() or part.endswith("."):
            return NAME_COMPONENT_EDGE(part=part)
    if len(encoded) > MAX_NAME_BYTES:
        return NAME_TOO_LONG(size=len(encoded), limit=MAX_NAME_BYTES)
    return None
