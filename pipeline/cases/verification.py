"""Verification codes (核验码) of public documents: what a posted sheet is checked by.

A sheet's code is derived from its public facts only (:func:`verification_payload`),
so every layer — the documents that print it, the archive that records it, the web
page that checks it — shares this one definition.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets

from pipeline.cases.messages import NOT_A_VERIFICATION_CODE
from pipeline.cases.model import Case
from pipeline.cases.privacy import public_person, public_text
from pipeline.catalog.model import DocumentKind
from pipeline.errors import InputInvalid

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base-32 alphabet: digits and capitals without I, L, O and U."""


def verification_code(data: bytes) -> str:
    """A short code for a document, typable from a posted sheet: ``XXXX-XXXX``.

    The code is the first 40 bits of the SHA-256 of ``data`` written as 8
    characters of Crockford base 32 (digits and capitals without I, L, O, U, so
    nothing is mistaken for 1 or 0), split 4-4 for reading aloud. 40 bits make an
    accidental match between two documents of a district negligible (about one
    in a million after 1.5 million documents); the code identifies and checks a
    document, it is no signature — the archived PDF's digital signature is.

    A document cannot contain its own hash, so ``data`` is what the issuer fixes
    as the document's identity; xwql passes :func:`verification_payload`.

    Args:
        data: The bytes that identify the document.

    Returns:
        The code, e.g. ``7K3D-Q9XM``.

    """
    return _written(int.from_bytes(hashlib.sha256(data).digest()[:5], "big"))


def receipt_code() -> str:
    """A new random receipt code (回执码) for an objection, in the 核验码's alphabet.

    Random, not derived: a receipt must not be guessable from what the objection says.
    """
    return _written(secrets.randbits(40))


def _written(number: int) -> str:
    """40 bits as ``XXXX-XXXX`` in Crockford base 32."""
    chars = "".join(CROCKFORD[(number >> shift) & 31] for shift in range(35, -1, -5))
    return f"{chars[:4]}-{chars[4:]}"


def parse_verification_code(text: str) -> str:
    """A code as typed by a person, normalised to ``XXXX-XXXX``.

    Case, spaces and hyphens are ignored; ``O`` reads as ``0`` and ``I``/``L``
    as ``1`` (Crockford's rules).

    Raises:
        InputInvalid: The text is not 8 characters of Crockford base 32.

    """
    cleaned = "".join(text.split()).replace("-", "").upper()
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if len(cleaned) != 8 or any(char not in CROCKFORD for char in cleaned):
        raise InputInvalid(NOT_A_VERIFICATION_CODE(text=text))
    return f"{cleaned[:4]}-{cleaned[4:]}"


def verification_payload(
    kind: DocumentKind,
    case: Case,
    *,
    issued_on: dt.date,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> bytes:
    """Canonical bytes identifying one public document of a case, for its code.

    Only public facts go in (kind, case, item, village, dates, amount, decision
    or result, and the masked people), so the short code cannot be used to test
    guesses of anyone's full ID number. The same inputs always give the same
    bytes (sorted keys, no spaces, UTF-8).
    """
    facts = {
        "kind": kind.value,
        "case_id": case.case_id,
        "item_code": case.item_code,
        "village": case.village,
        "issued_on": issued_on.isoformat(),
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "amount": None if case.amount is None else str(case.amount),
        "decision": public_text(case, case.decision),
        "result": public_text(case, case.result),
        "people": [public_person(person) for person in case.applicants],
    }
    return json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
