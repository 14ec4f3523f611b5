"""Organisations as data: district → towns and streets (镇/街道) → villages and communities.

Each village carries what its documents need: the text of its seal, the
service-room phone (便民服务室), the supervision committee's phone (村务监督委员会)
and its fonds number (全宗号) in the archive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from pipeline.errors import Bilingual, InputInvalid, Problem
from pipeline.yamlfile import safe_load

# The module's messages, in Chinese and English (see pipeline.errors.Bilingual).
UNKNOWN_VILLAGE = Bilingual("未知的村", "unknown village {name!r}")
KNOWN_VILLAGES = Bilingual("已知", "known: {known}… (xwql villages lists them all)")
ORGANISATIONS_UNREADABLE = Bilingual("无法读取组织数据", "cannot read {path}: {error}")
ORGANISATIONS_INVALID = Bilingual("组织数据有误", "{path} is not valid")
DUPLICATE_VILLAGE_CODES = Bilingual("{path}: 村代码重复", "duplicate village codes: {codes}")

SAMPLE_MARK = "（示例）"
"""What a phone of sample organisation data carries wherever it is printed or shown."""

OrgCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9-]{1,23}$")]
Phone = Annotated[str, StringConstraints(pattern=r"^[0-9-]{7,20}$")]
# Names of places become file and folder names (monthly packs, posted notices): no path
# separator, control or Windows-reserved character, not only dots, at most 40 characters.
_UNSAFE = r'/\\:*?"<>|\x00-\x1f\x7f'
PlaceName = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=40, pattern=rf"^[^{_UNSAFE}]*[^.{_UNSAFE}][^{_UNSAFE}]*$"
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BodySize(_Strict):
    """How many a village body counts from a date: the base of a meeting's quorum.

    ``members`` are its members in office (组成人员, 应到); a village assembly (村民会议)
    counts its residents of 18 or over (``adults``) and its ``households`` instead.
    """

    kind: str = Field(min_length=1, description="The meeting's kind, e.g. 村民代表会议")
    members: int | None = Field(default=None, ge=1)
    adults: int | None = Field(default=None, ge=1)
    households: int | None = Field(default=None, ge=1)
    since: dt.date


class Village(_Strict):
    """A village (村) or community (社区) and its committee."""

    code: OrgCode
    name: PlaceName = Field(description="e.g. 南马村")
    committee: str = Field(min_length=1, description="e.g. 南马村民委员会")
    seal_text: str = Field(min_length=1, description="Text on the seal's arc")
    service_phone: Phone
    supervision_phone: Phone
    fonds: str = Field(min_length=1, description="全宗号 in the archive")
    bodies: list[BodySize] = Field(
        default_factory=list, description="Its meeting bodies' sizes, each from its date"
    )

    def body(self, kind: str, *, on: dt.date) -> BodySize | None:
        """The size of the body meeting as ``kind`` on ``on``: the latest entry from then."""
        known = [b for b in self.bodies if b.kind == kind and b.since <= on]
        return max(known, key=lambda b: b.since) if known else None


class Town(_Strict):
    """A town (镇) or street (街道) of the district."""

    code: OrgCode
    name: PlaceName
    phone: Phone
    villages: list[Village] = Field(min_length=1)


class District(_Strict):
    """The district: towns and streets, and its supervision hotline."""

    name: PlaceName
    city: str
    supervision_phone: Phone
    towns: list[Town] = Field(min_length=1)
    code: OrgCode | None = Field(
        default=None, description="The district's code in archival codes, e.g. LZ"
    )
    fonds: str | None = Field(
        default=None, description="全宗号 of the district's own units (catalog editions)"
    )
    sample_phones: bool = Field(
        default=False,
        description="The phones are invented (sample data): shown with （示例）, never as facts",
    )

    @property
    def phone_mark(self) -> str:
        """What follows each phone as shown: :data:`SAMPLE_MARK` for sample data, else nothing."""
        return SAMPLE_MARK if self.sample_phones else ""

    def shown(self, phone: str) -> str:
        """A phone of the organisation data as printed (with its sample mark, if any)."""
        return f"{phone}{self.phone_mark}"


@dataclass(frozen=True)
class Place:
    """A village with its town and district, as documents print them."""

    district: District
    town: Town
    village: Village

    @property
    def full_name(self) -> str:
        """临淄区齐陵街道南马村."""
        return f"{self.district.name}{self.town.name}{self.village.name}"


class Directory:
    """Look villages up by code or by name."""

    def __init__(self, district: District) -> None:
        """Index ``district``'s villages."""
        self.district = district
        self._places: dict[str, Place] = {}
        for town in district.towns:
            for village in town.villages:
                place = Place(district, town, village)
                for key in (village.code, village.name, f"{town.name}{village.name}"):
                    self._places.setdefault(key, place)

    @property
    def villages(self) -> list[Place]:
        """Every village, in data order."""
        return [Place(self.district, t, v) for t in self.district.towns for v in t.villages]

    def find(self, name_or_code: str) -> Place | None:
        """The village named (南马村, 齐陵街道南马村) or coded (QL-NM), or None."""
        return self._places.get(name_or_code.strip())

    def get(self, name_or_code: str) -> Place:
        """Like ``find`` but raises ``InputInvalid`` naming the known villages."""
        place = self.find(name_or_code)
        if place is None:
            known = "、".join(p.village.name for p in self.villages[:8])
            raise InputInvalid(
                f"{UNKNOWN_VILLAGE.side_by_side(name=name_or_code)}; "
                f"{KNOWN_VILLAGES.side_by_side(known=known)}"
            )
        return place


def load_district(path: Path) -> Directory:
    """Load and check the organisations file (YAML)."""
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputInvalid(ORGANISATIONS_UNREADABLE(path=path, error=exc)) from exc
    try:
        district = District.model_validate(data)
    except ValidationError as exc:
        raise InputInvalid(
            ORGANISATIONS_INVALID(path=path),
            [Problem(str(path), ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()],
        ) from exc
    codes = [v.code for t in district.towns for v in t.villages]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        codes_twice = ", ".join(duplicates)
        raise InputInvalid(DUPLICATE_VILLAGE_CODES.side_by_side(path=path, codes=codes_twice))
    return Directory(district)
