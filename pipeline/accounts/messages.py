"""The messages of the accounts, in Chinese and English (see ``pipeline.errors.Bilingual``)."""

from __future__ import annotations

from pipeline.errors import Bilingual

# --- store.py: accounts
BAD_NAME = Bilingual(
    "账号名须为 1–40 个字符，不含空白和控制字符：{name!r}",
    "an account name is 1 to 40 characters, without spaces or control characters: {name!r}",
)
SCOPE_FOR_ROLE = Bilingual(
    "{role} 账号须{needed}",
    "a {role} account needs {needed_en}",
)
UNKNOWN_TOWN = Bilingual(
    "未知的镇（街道）{town!r}；已知：{known}",
    "unknown town {town!r}; known: {known}",
)
ACCOUNT_EXISTS = Bilingual("账号 {name} 已存在", "account {name} exists already")
NO_ACCOUNT = Bilingual("没有账号 {name}", "no account {name}")
SHORT_PASSWORD = Bilingual(
    "密码至少 {length} 个字符", "a password has at least {length} characters"
)

# --- store.py: logging in
LOGIN_FAILED = Bilingual("账号或密码不对", "wrong name or password")
LOCKED_OUT = Bilingual(
    "连续 {failures} 次密码错误，账号锁定到 {until}（北京时间）",
    "{failures} wrong passwords in a row: the account is locked until {until} (China time)",
)

# --- store.py: rate limits
TOO_MANY = Bilingual(
    "操作太频繁，请 {seconds} 秒后再试", "too many requests: try again in {seconds} s"
)
