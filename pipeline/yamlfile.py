"""YAML data files read with libyaml's C parser when it is installed.

PyYAML's pure-Python parser takes about ten times as long; the whole catalog
(51 files) is read on every command that touches cases. The C parser
(``yaml.CSafeLoader``, in Debian's ``python3-yaml`` and in PyYAML's wheels) gives
the same data and raises the same ``yaml.YAMLError`` with line marks; without it
the pure-Python ``SafeLoader`` is used. Both construct only plain data types.
"""

from __future__ import annotations

from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

__all__ = ["WITH_LIBYAML", "safe_load"]

WITH_LIBYAML = _Loader.__name__ == "CSafeLoader"


def safe_load(text: str) -> Any:
    """The data of one YAML document, like ``yaml.safe_load`` (plain types only)."""
    return yaml.load(text, Loader=_Loader)
