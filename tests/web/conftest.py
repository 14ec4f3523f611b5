"""A small real archive for the web tests: a case file and a notice filed into the session's
S3 server (a bucket of this module's own) with internal personal data, and users per role."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.archive.archiver import Archiver
from pipeline.archive.auditors import AuditorRegistry, Role
from pipeline.archive.idkey import load_id_key
from pipeline.archive.index import ArchiveIndex
from pipeline.archive.metadata import ArchivalCode, ArchiveRecord, PreviousVersion, unit_key
from pipeline.archive.objectstore import EMBEDDED_REGION, ObjectStore
from pipeline.archive.package import Package, build_package
from pipeline.catalog.model import Retention
from pipeline.config import Settings
from pipeline.programs.s3server import EmbeddedS3
from pipeline.web import create_app
from pipeline.web.config import WebConfig
from tests.archive.records import sample_record, write_pdf
from tests.conftest import ROOT
from tests.keys import sealer_in

NOTICE_CODE = "7K3D-Q9XM"
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@dataclass
class SampleArchive:
    """What the module's archive holds, and the tokens of its users."""

    settings: Settings
    case_code: str
    notice_code: str
    public_pdf: bytes
    internal_pdf: bytes
    tokens: dict[Role, str]


class Clock:
    """A clock the tests move by hand (sessions, lock-outs, rate limits); ``now`` in seconds.

    Each clock starts a day after the one before: the sessions and limits a test
    leaves in the module's database are long past for the next test.
    """

    started = 0

    def __init__(self) -> None:
        Clock.started += 1
        self.start = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC) + dt.timedelta(
            days=Clock.started
        )
        self.now = 0.0

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=self.now)


def archive_settings(data: Path, s3_server: EmbeddedS3, bucket: str) -> Settings:
    """Settings on the session's S3 server, in a data folder and bucket of the caller's."""
    endpoint = s3_server.endpoint()
    return replace(
        Settings(), home=ROOT, data=data, s3_url=endpoint.url,
        s3_access_key=endpoint.app.access_key, s3_secret_key=endpoint.app.secret_key,
        s3_bucket=bucket, index_url=None, database_url=None,
    )  # fmt: skip


def own_bucket_settings(data: Path, s3_server: EmbeddedS3, prefix: str) -> Settings:
    """Settings filing into a new bucket of the caller's own (``<prefix>-<random>``), with
    one converter (the web tests' documents are few)."""
    bucket = ObjectStore(
        s3_server.endpoint(), f"{prefix}-{uuid.uuid4().hex[:10]}", region=EMBEDDED_REGION
    )
    bucket.ensure_bucket()
    return replace(archive_settings(data, s3_server, bucket.bucket), converter_workers=1)


def _file(
    archiver: Archiver,
    record: ArchiveRecord,
    files: list[tuple[str, Path, str]],
    personal: set[str],
) -> str:
    source = hashlib.sha256(record.title.encode()).hexdigest()
    code = record.code
    base = ArchivalCode(code.fonds, code.year, code.retention, code.village_code, code.item_code, 1)

    def build(code: ArchivalCode, previous: PreviousVersion | None, folder: Path) -> Package:
        filed = record.model_copy(update={"archival_code": str(code), "source_sha256": source})
        return build_package(
            folder, files, ArchiveRecord.model_validate(filed.model_dump()),
            sealer=archiver.sealer, personal=personal,
        )  # fmt: skip

    return archiver.archive(unit_key(record), source, base, build).archival_code


@pytest.fixture(scope="module")
def sample_archive(
    tmp_path_factory: pytest.TempPathFactory, s3_server: EmbeddedS3
) -> SampleArchive:
    """A case file and a notice (public sheet 1 page, internal copy 2 pages), and users."""
    data = tmp_path_factory.mktemp("web-data")
    bucket = ObjectStore(
        s3_server.endpoint(), f"xwql-w-{uuid.uuid4().hex[:10]}", region=EMBEDDED_REGION
    )
    bucket.ensure_bucket()
    settings = archive_settings(data, s3_server, bucket.bucket)
    pdfs = tmp_path_factory.mktemp("web-pdfs")
    with ArchiveIndex(settings.archive_index_url, id_key=load_id_key(settings)) as index:
        archiver = Archiver(bucket, index, settings.outbox, sealer=sealer_in(settings.data))
        case = _file(
            archiver,
            sample_record(),
            [("案卷.pdf", write_pdf(pdfs / "c.pdf"), "main")],
            {"案卷.pdf"},
        )
        notice_record = sample_record(
            kind="notice", document="public_notice", verification_code=NOTICE_CODE,
            title="临淄区齐陵街道南马村低保申请公示（张秀英）",
            archival_code=str(ArchivalCode("LZ-QL-001", 2026, Retention.YEARS_30, "QL-NM",
                                           "xwql-022", 1)),
        )  # fmt: skip
        public, internal = write_pdf(pdfs / "p.pdf", 1), write_pdf(pdfs / "i.pdf", 2)
        notice = _file(
            archiver, notice_record,
            [("公示-张贴件.pdf", public, "main"), ("公示-内部存档件.pdf", internal, "attachment")],
            {"公示-内部存档件.pdf"},
        )  # fmt: skip
    with contextlib.closing(AuditorRegistry.of(settings)) as users:
        tokens = {role: users.add(f"{role.value}-用户", role) for role in Role}
    return SampleArchive(settings, case, notice, public.read_bytes(), internal.read_bytes(), tokens)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def web_client(
    settings: Settings,
    clock: Callable[[], dt.datetime],
    *,
    lookups: int = 20,
    logins: int = 1000,
) -> TestClient:
    """A client of the real app on ``settings``, its clock ``clock`` (open it with ``with``)."""
    config = WebConfig(
        session_idle=1800, session_lifetime=8 * 3600, page_size=20, lookups_per_minute=lookups,
        logins_per_minute=logins, secure_cookies=False,
    )  # fmt: skip
    app = create_app(settings, config=config, clock=clock)
    return TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False)


@pytest.fixture
def client(sample_archive: SampleArchive, clock: Clock) -> Iterator[TestClient]:
    with web_client(sample_archive.settings, clock, logins=10) as opened:
        yield opened


def login(client: TestClient, token: str) -> None:
    """Log in through the form, as a browser does."""
    form = client.get("/login")
    match = FORM_TOKEN.search(form.text)
    assert match, form.text
    answer = client.post(
        "/login", data={"token": token, "form_token": match.group(1)}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
