"""The bodies a catalog step's actor string allows (``镇（街道）、村民委员会`` → two)."""

from __future__ import annotations

import unicodedata

from pipeline.catalog.model import Step

# Separators between alternative actors, at the top level of an actor string (not
# inside parentheses); full-width and half-width forms.
_SEPARATORS = frozenset("、，,／/或和")
_OPEN = frozenset("（(")
_CLOSE = frozenset("）)")
# Department names in which 和 is part of the name, not a separator (PRC ministry names).
_NAMES_WITH_HE = (
    "人力资源和社会保障",
    "住房和城乡建设",
    "文化和旅游",
    "工业和信息化",
    "自然资源和规划",
    "卫生和计划生育",
)
# A trailing parenthesised group containing one of these is detail about the body
# (区民政局（会同区住房和城乡建设局）), not part of its name (镇（街道）).
_DETAIL_MARKERS = ("或", "会同", "协助", "经", "统一")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


def _normalise(text: str) -> str:
    """Text compared without whitespace or full-/half-width differences."""
    return "".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split())


def _split_top_level(actor: str) -> list[str]:
    protected: set[int] = set()
    for name in _NAMES_WITH_HE:
        start = actor.find(name)
        while start != -1:
            protected.update(range(start, start + len(name)))
            start = actor.find(name, start + 1)
    pieces: list[str] = []
    depth = 0
    current: list[str] = []
    for index, char in enumerate(actor):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(depth - 1, 0)
        elif depth == 0 and char in _SEPARATORS and index not in protected:
            pieces.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    pieces.append("".join(current).strip())
    return pieces


def _trailing_group(piece: str) -> int | None:
    """Index of the parenthesis opening the group that ends ``piece``, if it ends with one."""
    if not piece or piece[-1] not in _CLOSE:
        return None
    depth = 0
    for index in range(len(piece) - 1, -1, -1):
        if piece[index] in _CLOSE:
            depth += 1
        elif piece[index] in _OPEN:
            depth -= 1
            if depth == 0:
                return index
    return None


def actor_alternatives(actor: str) -> list[str]:
    """The bodies a catalog actor string allows, as printed in the catalog.

    Alternatives are separated by 、 ， , / 或 和 outside parentheses (和 inside
    department names such as 区人力资源和社会保障局 does not separate). A trailing
    parenthesised group that is detail (it contains 或, 会同, 协助, 经 or 统一) is
    dropped from the body's name, and a detail starting with 或 adds its own
    alternatives: ``区民政局（或经委托的镇（街道））`` allows 区民政局 and
    经委托的镇（街道）. Other parentheses belong to the name: 镇（街道）, 村（居）退役军人服务站.
    A leading 其 ("their") is dropped: ``申请人或其代理人`` allows 申请人 and 代理人.

    Args:
        actor: The ``actor`` of a catalog step, e.g. ``镇（街道）、村民委员会``.

    Returns:
        The alternatives in catalog order, without duplicates.

    """
    found: list[str] = []
    for part in _split_top_level(actor):
        piece = part.removeprefix("其")
        opening = _trailing_group(piece)
        detail = piece[opening + 1 : -1] if opening is not None else ""
        if opening is None or not any(marker in detail for marker in _DETAIL_MARKERS):
            found.append(piece)
            continue
        found.append(piece[:opening].strip())
        if detail.startswith("或"):
            found.extend(actor_alternatives(detail[1:]))
    return list(dict.fromkeys(alt for alt in found if alt))


def actor_allowed(step: Step, actor: str) -> bool:
    """Whether ``actor`` equals one of the step's alternatives (ignoring spaces and width)."""
    wanted = _normalise(actor)
    return any(_normalise(alt) == wanted for alt in actor_alternatives(step.actor))
