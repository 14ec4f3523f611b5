"""The auditor's scenario end to end: archive a sample month, search, get, verify, reindex.

Real LibreOffice, the real embedded S3 server (as an external endpoint with a
bucket of this test's own) and the CLI in-process.
"""

from __future__ import annotations

import datetime as dt
import json
import stat
from collections import Counter
from pathlib import Path
from typing import Any

import bagit
import pytest

from pipeline.archive.objectstore import ObjectStore
from pipeline.cases.store import CaseStore
from pipeline.cli._app import console
from pipeline.database import database_url
from pipeline.programs.s3server import EmbeddedS3
from tests.conftest import ROOT, CliResult, pdf_text

pytestmark = [pytest.mark.s3, pytest.mark.soffice, pytest.mark.slow]

LEDGER = ROOT / "examples" / "linzi" / "南马村-2026-11-台账.xlsx"


def _json(result: CliResult) -> Any:
    assert result.code == 0, result.err
    return json.loads(result.out)


def _token(cli: Any, name: str, role: str) -> str:
    added = cli("auditors", "add", name, "--role", role)
    assert added.code == 0, added.err
    return str(added.out.strip().splitlines()[-1])


def test_archive_search_get_verify_reindex(
    cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, s3_server: EmbeddedS3,
    fresh_store: ObjectStore, app_s3: Any,
) -> None:  # fmt: skip
    endpoint = s3_server.endpoint()
    monkeypatch.setenv("XWQL_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XWQL_S3_URL", endpoint.url)
    monkeypatch.setenv("XWQL_S3_ACCESS_KEY", endpoint.app.access_key)
    monkeypatch.setenv("XWQL_S3_SECRET_KEY", endpoint.app.secret_key)
    monkeypatch.setenv("XWQL_S3_BUCKET", fresh_store.bucket)
    assert cli("intake", str(LEDGER)).code == 0

    filed = _json(cli("archive", "case", "--village", "南马村", "--json"))
    assert [row["outcome"] for row in filed] == ["added"] * 3
    codes = {row["case"]: row["code"] for row in filed}
    assert codes["NM-2026-11-002"] == "LZ-QL-001-2026-D30-QL.NM-026-0001"
    objects = Counter(v.key for v in fresh_store.versions("packages/"))
    assert len(objects) == 21 and set(objects.values()) == {1}  # 7 per package

    # Running the job again creates nothing.
    again = _json(cli("archive", "case", "--village", "南马村", "--json"))
    assert [row["outcome"] for row in again] == ["unchanged"] * 3
    assert Counter(v.key for v in fresh_store.versions("packages/")) == objects

    # Searching needs a token; ID numbers need the internal role.
    assert cli("audit", "search", "--person", "赵䶮").code == 8
    auditor = _token(cli, "审计甲", "auditor")
    internal = _token(cli, "内审乙", "internal")
    monkeypatch.setenv("XWQL_AUDIT_TOKEN", auditor)

    def found(*args: str) -> list[str]:
        page = _json(cli("audit", "search", *args, "--json"))
        return sorted(entry["archival_code"] for entry in page["entries"])

    assert found("--person", "赵䶮") == [codes["NM-2026-11-005"]]  # a two-character name
    assert found("--person", "刘芳") == sorted(codes.values())  # the first-contact officer
    # On an 80-column terminal the archival codes are printed whole; the titles wrap.
    monkeypatch.setattr(console, "_width", 80)
    narrow = cli("audit", "search", "--person", "刘芳").out
    assert all(code in narrow for code in codes.values()), narrow
    monkeypatch.setattr(console, "_width", 200)
    assert found(
        "--village", "南马村", "--item", "xwql-026", "--from", "2026-11-01", "--to", "2026-11-30"
    ) == [codes["NM-2026-11-002"]]
    assert found("--code", codes["NM-2026-11-003"]) == [codes["NM-2026-11-003"]]
    assert found("居住证明") == [codes["NM-2026-11-003"]]  # free text over the reason
    assert cli("audit", "search", "--id-number", "370305195803121234").code == 8
    monkeypatch.setenv("XWQL_AUDIT_TOKEN", internal)
    store = CaseStore(database_url(tmp_path / "data", None))
    id_number = store.get("NM-2026-11-005").applicant.id_number
    ledger_personal = {
        value
        for case in store.find()
        for person in case.applicants
        for value in (person.id_number, person.phone)
        if value
    }
    store.close()
    assert id_number is not None
    assert found("--id-number", id_number) == [codes["NM-2026-11-005"]]
    monkeypatch.setenv("XWQL_AUDIT_TOKEN", auditor)

    # Retrieval: every check passes, and the LoC bagit tool agrees.
    got = cli("audit", "get", codes["NM-2026-11-002"], "--out", str(tmp_path / "got"), "--json")
    report = _json(got)
    assert report["ok"] is True, report
    assert {c["name"]: c["passed"] for c in report["checks"]} == dict.fromkeys(
        ("index", "schema", "signature", "objects", "fixity", "bagit", "completeness", "pdf",
         "retention", "sealed", "timestamp"), True,
    )  # fmt: skip
    assert report["signer"] == "临淄区齐陵街道南马村民委员会"
    bagit.Bag(report["folder"]).validate()
    # The auditor reads no personal data: the case file and the internal record are sealed.
    assert report["sealed"] == 2 and report["personal"] is None
    assert _personal_in(tmp_path / "got", ledger_personal) == set()
    assert "仅内部角色可读" in cli("audit", "get", codes["NM-2026-11-003"], "--out",
                                  str(tmp_path / "got")).out  # fmt: skip
    # The internal role gets them opened beside the package, and the log says so.
    monkeypatch.setenv("XWQL_AUDIT_TOKEN", internal)
    inside = _json(cli("audit", "get", codes["NM-2026-11-002"], "--out",
                       str(tmp_path / "inside"), "--json"))  # fmt: skip
    opened = Path(inside["personal"])
    assert opened.name == f"{codes['NM-2026-11-002']}.internal"
    assert stat.S_IMODE(opened.stat().st_mode) == 0o700
    assert sorted(p.name for p in opened.iterdir()) == ["internal-record.json", "案卷.pdf"]
    applicant = json.loads((opened / "internal-record.json").read_text(encoding="utf-8"))
    shown = {applicant["persons"][0]["id_number"], applicant["persons"][0]["phone"]}
    assert shown <= ledger_personal
    assert applicant["persons"][0]["id_number"] in pdf_text(opened / "案卷.pdf")
    assert _personal_in(tmp_path / "inside" / codes["NM-2026-11-002"], ledger_personal) == set()
    monkeypatch.setenv("XWQL_AUDIT_TOKEN", auditor)

    # The signature is PAdES B-LTA; a renewal adds a document timestamp beside the
    # locked package, and the chain verifies.
    assert report["level"] == "B-LTA"
    until = dt.datetime.fromisoformat(report["timestamp_until"])
    expiring = _json(cli("audit", "verify", "--all", "--expiring-within", "20", "--json"))
    assert sorted(e["code"] for e in expiring["expiring"]) == sorted(codes.values())
    soon = _json(cli("audit", "verify", *codes.values(), "--expiring-within", "1", "--json"))
    assert soon["expiring"] == []
    before_renewal = Counter(v.key for v in fresh_store.versions("packages/"))
    renewed = _json(cli("archive", "retimestamp", codes["NM-2026-11-002"], "--json"))
    assert renewed["failed"] == [] and len(renewed["renewed"]) == 1
    (done,) = renewed["renewed"]
    assert done["key"] == f"timestamps/{codes['NM-2026-11-002']}/0001.pdf-update"
    assert done["level"] == "B-LTA" and done["timestamps"] == 3
    assert Counter(v.key for v in fresh_store.versions("packages/")) == before_renewal
    assert fresh_store.retention(done["key"], fresh_store.versions(done["key"])[0].version_id)
    again = _json(cli("audit", "get", codes["NM-2026-11-002"], "--out", str(tmp_path / "again"),
                      "--json"))  # fmt: skip
    checks = {c["name"]: c for c in again["checks"]}
    assert again["ok"] and checks["timestamp"]["passed"] is True
    assert dt.datetime.fromisoformat(again["timestamp_until"]) >= until
    # Nothing is due within two years: the default run renews nothing.
    assert _json(cli("archive", "retimestamp", "--json"))["renewed"] == []

    # The index is rebuilt from the bucket alone with the same results.
    before = _json(cli("audit", "search", "--person", "刘芳", "--json"))
    monkeypatch.setenv("XWQL_INDEX_URL", f"sqlite:///{tmp_path / 'fresh-index.sqlite3'}")
    rebuilt = _json(cli("archive", "reindex", "--json"))
    assert rebuilt["entries"] == 3 and rebuilt["skipped"] == []
    assert rebuilt["accesses"] >= 7  # the searches and the retrieval so far
    assert _json(cli("audit", "search", "--person", "刘芳", "--json")) == before

    # A byte changed behind xwql's back, through S3: the sweep reports it by archival code.
    assert cli("audit", "verify", "--all").code == 0
    target = f"packages/{codes['NM-2026-11-003']}/data/metadata.json"
    app_s3.put_object(Bucket=fresh_store.bucket, Key=target, Body=b"{}")
    sweep = cli("audit", "verify", "--all", "--json")
    assert sweep.code == 9
    result = json.loads(sweep.out)
    assert result["incidents"] == 1
    (bad,) = [r for r in result["reports"] if not r["ok"]]
    assert bad["archival_code"] == codes["NM-2026-11-003"]

    # Notices and the catalog edition are archived units too; re-running files nothing new.
    notices = cli("notice", "--village", "南马村", "--out", str(tmp_path / "n"), "--archive")
    assert notices.code == 0, notices.err
    assert notices.out.count("(added)") == 6
    again = cli("notice", "--village", "南马村", "--out", str(tmp_path / "n2"), "--archive")
    assert again.out.count("(unchanged)") == 6 and "(added)" not in again.out
    published = cli("catalog", "publish", "--out", str(tmp_path / "cat"), "--archive")
    assert published.code == 0, published.err
    assert "LZ-000-2026-Y-LZ-000-0001 (added)" in published.out
    notice_codes = found("--kind", "notice")
    assert len(notice_codes) == 6
    edition = found("--kind", "catalog_edition")
    checked = _json(cli("audit", "verify", *notice_codes, *edition, "--json"))
    assert checked["incidents"] == 0, checked

    # Only an admin reads the access log; it names who did what.
    assert cli("audit", "log").code == 8
    monkeypatch.setenv("XWQL_AUDIT_TOKEN", _token(cli, "管理员", "admin"))
    log = _json(cli("audit", "log", "--json"))
    assert {"search", "get", "verify"} <= {line["action"] for line in log}
    assert "审计甲" in {line["actor"] for line in log}
    # Who read personal data: the internal role's opening, on its own line; no auditor's.
    opened_by = {line["actor"] for line in log if line["action"] == "open-sealed"}
    assert opened_by == {"内审乙"}
    # A search by ID number is logged with the number's keyed hash, never the number.
    (by_id,) = [line["what"] for line in log if '"id_number"' in str(line["what"])]
    assert '"id_number":"hmac-sha256:' in by_id and id_number not in by_id

    # Without the key that sealed them (a keyring lost, not restored from its backup)
    # the internal role still gets the package and the report, which says why.
    keyring = tmp_path / "data" / "archive-keys.json"
    keyring.rename(tmp_path / "archive-keys.backup")
    monkeypatch.setenv("XWQL_AUDIT_TOKEN", internal)
    lost = cli("audit", "get", codes["NM-2026-11-005"], "--out", str(tmp_path / "lost"), "--json")
    assert lost.code == 9
    report = json.loads(lost.out)
    sealed = next(c for c in report["checks"] if c["name"] == "sealed")
    assert sealed["passed"] is False and "does not hold" in sealed["detail"]
    assert report["personal"] is None and Path(report["folder"]).is_dir()


@pytest.mark.s3
def test_wrong_credentials_are_a_clear_refusal_before_anything_is_written(
    cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, s3_server: EmbeddedS3,
    fresh_store: ObjectStore,
) -> None:  # fmt: skip
    endpoint = s3_server.endpoint()
    monkeypatch.setenv("XWQL_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XWQL_S3_URL", endpoint.url)
    monkeypatch.setenv("XWQL_S3_ACCESS_KEY", endpoint.app.access_key)
    monkeypatch.setenv("XWQL_S3_SECRET_KEY", "not-the-secret")
    monkeypatch.setenv("XWQL_S3_BUCKET", fresh_store.bucket)
    assert cli("intake", str(LEDGER)).code == 0
    refused = cli("archive", "case", "NM-2026-11-002")
    assert refused.code == 5
    assert "wrong credentials" in refused.err and "Traceback" not in refused.err
    assert "not-the-secret" not in refused.out + refused.err  # a secret is never printed
    assert fresh_store.versions("packages/") == []
    assert not (tmp_path / "data" / "outbox").exists() or not any(
        (tmp_path / "data" / "outbox").glob("LZ-*")
    )


def _personal_in(folder: Path, values: set[str]) -> set[str]:
    """Which of ``values`` occur in any file under ``folder``, as bytes or in a PDF's text."""
    found = set()
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        text = pdf_text(path) if data.startswith(b"%PDF") else ""
        found |= {v for v in values if v.encode() in data or v in text}
    return found
