"""File names inside an archive package: NFC, portable, never escaping the package.

A payload name is a relative POSIX path under the package's ``data/`` folder
(``南马村低保申请.pdf``, ``附件/收入证明.pdf``). Names are compared and stored in
Unicode NFC, as bagit-python does, because the same Chinese or accented name
can reach us composed (NFC) or decomposed (NFD, macOS file systems).
"""

from __future__ import annotations

import unicodedata

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
        return "文件名为空 / the name is empty"
    try:
        encoded = nfc(name).encode("utf-8")
    except UnicodeEncodeError:
        return "文件名不是有效的 Unicode / the name is not valid Unicode (lone surrogate)"
    for char in name:
        category = unicodedata.category(char)
        if category in {"Cc", "Cf", "Cs"}:
            return (
                f"文件名含控制字符 U+{ord(char):04X} / the name contains a control or "
                "invisible format character"
            )
        if char in _FORBIDDEN:
            return f"文件名含不允许的字符 {char!r} / the character {char!r} is not allowed"
    if name.startswith("/"):
        return "文件名不能是绝对路径 / the name must be relative, not absolute"
    for part in name.split("/"):
        if part in {"", ".", ".."}:
            return (
                f"文件名含非法路径段 {part!r} / the name has an empty, '.' or '..' component "
                "(it must stay inside the package)"
            )
        if part != part.strip() or part.endswith("."):
            return (
                f"路径段 {part!r} 以空格或句点结尾 / a component starts or ends with a space "
                "or ends with a dot"
            )
    if len(encoded) > MAX_NAME_BYTES:
        return (
            f"文件名过长（{len(encoded)} 字节）/ the name is {len(encoded)} bytes of UTF-8; "
            f"at most {MAX_NAME_BYTES} are allowed"
        )
    return None
