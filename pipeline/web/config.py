"""Settings of the web pages, beside the archive's (``pipeline.config.Settings``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _minutes(name: str, default: str) -> float:
    return float(os.environ.get(name, default)) * 60


@dataclass(frozen=True)
class WebConfig:
    """How the web pages behave.

    Attributes:
        session_idle: Seconds without a request after which an auditor's session
            ends (``XWQL_WEB_SESSION_MINUTES``, default 30 minutes).
        session_lifetime: Seconds after login after which it ends anyway
            (``XWQL_WEB_SESSION_MAX_HOURS``, default 8 hours).
        page_size: Search results per page.
        lookups_per_minute: Public verification look-ups one client may make per
            minute (``XWQL_WEB_LOOKUPS_PER_MINUTE``, default 20).
        logins_per_minute: Login attempts one client may make per minute.
        objections_per_hour: Objections and reports one address may send per hour
            (``XWQL_WEB_OBJECTIONS_PER_HOUR``, default 10).
        objections_per_notice: Objections one notice may receive per hour, from
            everyone (``XWQL_WEB_OBJECTIONS_PER_NOTICE``, default 30): a flood
            against one notice stops there.
        answer_days: Working days the supervision committee has to answer
            (``XWQL_OBJECTION_ANSWER_DAYS``, default 5).
        secure_cookies: Mark cookies ``Secure`` (when the pages are served over
            HTTPS by a proxy in front; ``XWQL_WEB_SECURE_COOKIES=1``).
    """

    session_idle: float = field(default_factory=lambda: _minutes("XWQL_WEB_SESSION_MINUTES", "30"))
    session_lifetime: float = field(
        default_factory=lambda: _minutes("XWQL_WEB_SESSION_MAX_HOURS", "8") * 60
    )
    page_size: int = 20
    lookups_per_minute: int = field(
        default_factory=lambda: int(os.environ.get("XWQL_WEB_LOOKUPS_PER_MINUTE", "20"))
    )
    logins_per_minute: int = 10
    objections_per_hour: int = field(
        default_factory=lambda: int(os.environ.get("XWQL_WEB_OBJECTIONS_PER_HOUR", "10"))
    )
    objections_per_notice: int = field(
        default_factory=lambda: int(os.environ.get("XWQL_WEB_OBJECTIONS_PER_NOTICE", "30"))
    )
    answer_days: int = field(
        default_factory=lambda: int(os.environ.get("XWQL_OBJECTION_ANSWER_DAYS", "5"))
    )
    secure_cookies: bool = field(
        default_factory=lambda: os.environ.get("XWQL_WEB_SECURE_COOKIES", "") == "1"
    )
