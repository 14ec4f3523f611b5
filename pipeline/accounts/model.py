"""Who works in the web pages: accounts with a role and a scope, and the actor of a request.

Scopes follow the organisations (``pipeline.organisations``): the district (区) holds
towns and streets (镇/街道), which hold villages (村/社区). A village clerk's scope is
one village, a town office's every village of its town, the district administrator's
the whole district.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from pipeline.organisations import Directory, Place


class AccountRole(StrEnum):
    """What an account of the workspace may do, within its scope."""

    CLERK = "clerk"  # 村经办人: the village's ledger, cases, notices, seal register
    OFFICE = "office"  # 镇/街道办: every village of the town; forces steps, builds packs
    SUPERVISOR = "supervisor"  # 村务监督委员会 / 镇纪委: reads, answers objections
    ADMIN = "admin"  # 区管理员: everything, and the accounts

    @property
    def label(self) -> str:
        """The role as the pages print it."""
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    AccountRole.CLERK: "村经办人",
    AccountRole.OFFICE: "镇（街道）办",
    AccountRole.SUPERVISOR: "监督委员会",
    AccountRole.ADMIN: "区管理员",
}


@dataclass(frozen=True)
class Scope:
    """The places an account works on: the district, one town, or one village.

    Attributes:
        town: The town's code (None: the whole district).
        village: The village's code (None: the whole town, or district).
    """

    town: str | None = None
    village: str | None = None

    def covers(self, place: Place) -> bool:
        """Whether ``place`` lies within this scope."""
        if self.village is not None:
            return place.village.code == self.village
        if self.town is not None:
            return place.town.code == self.town
        return True

    def villages(self, directory: Directory) -> list[Place]:
        """The villages of this scope, in data order."""
        return [place for place in directory.villages if self.covers(place)]

    def label(self, directory: Directory) -> str:
        """The scope as the pages print it (临淄区, 齐陵街道, 齐陵街道南马村)."""
        if self.village is not None:
            place = directory.get(self.village)
            return f"{place.town.name}{place.village.name}"
        if self.town is not None:
            town = next(t for t in directory.district.towns if t.code == self.town)
            return town.name
        return directory.district.name


@dataclass(frozen=True)
class Account:
    """One account of the workspace.

    Attributes:
        name: The login name, as the logs show it.
        role: What it may do.
        scope: Where it may do it.
        active: False once disabled (it can no longer log in; its records stay).
        created_at: When it was made.
    """

    name: str
    role: AccountRole
    scope: Scope
    active: bool
    created_at: dt.datetime
