"""The messages of the cases, in Chinese and English (see ``pipeline.errors.Bilingual``)."""

from __future__ import annotations

from pipeline.errors import Bilingual

# --- store.py
NO_SUCH_CASE = Bilingual("没有办件 {case!r}", "no case {case!r}; `xwql cases list` shows the cases")

# --- verification.py
NOT_A_VERIFICATION_CODE = Bilingual(
    "核验码格式不对",
    "not a verification code: {text!r} (8 letters and digits, like 7K3D-Q9XM)",
)

# --- objections.py
NO_SUCH_OBJECTION = Bilingual(
    "没有回执码为 {receipt} 的异议或反映", "no objection or report {receipt}"
)
ALREADY_ANSWERED = Bilingual(
    "回执 {receipt} 已经答复，答复不能修改",
    "{receipt} is answered already; an answer is kept as given",
)
