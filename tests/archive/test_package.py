"""Archive packages in BagIt layout: build, validate, tamper, names, upload order."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from pathlib import Path

import bagit
import jsonschema
import pytest

from pipeline.archive.metadata import SCHEMA_FILE, ArchiveRecord
from pipeline.archive.package import (
    ChecksumMismatch,
    FileMissing,
    MetadataInvalid,
    OxumMismatch,
    Package,
    PackageInvalid,
    PackageProblem,
    SizeMismatch,
    TagFileInvalid,
    UnexpectedFile,
    UnsafeFileName,
    build_package,
    is_valid,
    load_record,
    package_digest,
    package_objects,
    validate_package,
)
from pipeline.archive.sealing import Sealer
from pipeline.errors import ExitCode, InputInvalid, OutputError, XwqlError
from tests.archive.records import sample_record, write_pdf
from tests.conftest import ROOT
from tests.keys import sealer_in

PLAIN_RECORD = sample_record(internal=None)  # no personal part: nothing to seal
MAIN = "临淄区齐陵街道南马村低保申请（张秀英）办件材料.pdf"
NOTICE = "公示/低保申请公示 2026-11-10.pdf"
TAG_FILES = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt"]


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "sources"
    folder.mkdir()
    return {
        "main": write_pdf(folder / "main.pdf", pages=3),
        "notice": write_pdf(folder / "notice.pdf", pages=1),
        "ledger": _write(folder / "ledger.csv", "办件编号,事项\nNM-2026-11-001,xwql-022\n"),
    }


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _build(folder: Path, sources: dict[str, Path], record: ArchiveRecord | None = None) -> Package:
    files = [
        (MAIN, sources["main"], "main"),
        (NOTICE, sources["notice"], "attachment"),
        ("台账.csv", sources["ledger"], "source"),
    ]
    return build_package(folder, files, record or PLAIN_RECORD)


def _build_sealed(folder: Path, sources: dict[str, Path], sealer: Sealer) -> Package:
    """A package as a notice's is filed: the internal record and the internal copy sealed."""
    files = [(MAIN, sources["main"], "main"), (NOTICE, sources["notice"], "attachment")]
    return build_package(folder, files, sample_record(), sealer=sealer, personal={NOTICE})


@pytest.fixture
def package(tmp_path: Path, sources: dict[str, Path]) -> Package:
    return _build(tmp_path / "pkg", sources)


def _details(folder: Path, *, fast: bool = False) -> list[PackageProblem]:
    with pytest.raises(PackageInvalid) as caught:
        validate_package(folder, fast=fast)
    assert caught.value.exit_code == ExitCode.INPUT_INVALID
    assert isinstance(caught.value, XwqlError)
    return list(caught.value.details)


def _rewrite_manifest_line(folder: Path, manifest: str, path: str, digest: str) -> None:
    target = folder / manifest
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    target.write_text(
        "".join(f"{digest}  {path}\n" if line.endswith(f"  {path}\n") else line for line in lines),
        encoding="utf-8",
    )


def _rehash_tag_manifest(folder: Path) -> None:
    for name in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt"):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        _rewrite_manifest_line(folder, "tagmanifest-sha256.txt", name, digest)


# --- building ---------------------------------------------------------------------------------


def test_round_trip(package: Package, sources: dict[str, Path]) -> None:
    folder = package.folder
    validate_package(folder)
    validate_package(folder, fast=True)
    assert is_valid(folder) and is_valid(folder, fast=True)
    record = load_record(folder)
    assert record == package.record
    assert [(f.path, f.role, f.pages) for f in record.files] == [
        (MAIN, "main", 3),
        ("公示/低保申请公示 2026-11-10.pdf", "attachment", 1),
        ("台账.csv", "source", None),
    ]
    assert record.page_count == 4
    for entry, source in zip(
        record.files, [sources["main"], sources["notice"], sources["ledger"]], strict=True
    ):
        assert entry.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
        assert entry.size == source.stat().st_size
        assert (folder / "data" / entry.path).read_bytes() == source.read_bytes()
    # Everything but the files came from the record given.
    assert record.model_copy(update={"files": [], "page_count": 0}) == PLAIN_RECORD
    assert package_digest(folder) == package.digest
    assert (
        package.digest == hashlib.sha256((folder / "manifest-sha256.txt").read_bytes()).hexdigest()
    )
    octets = sum(p.stat().st_size for p in (folder / "data").rglob("*") if p.is_file())
    assert package.payload_oxum == f"{octets}.4"
    assert sorted(p.name for p in folder.iterdir()) == sorted(["data", *TAG_FILES])
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_tag_files(package: Package) -> None:
    folder = package.folder
    assert (folder / "bagit.txt").read_bytes() == (
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    )
    info = (folder / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    assert info[:4] == [
        "Source-Organization: 南马村民委员会",
        "External-Identifier: LZ-QL-001-2026-D30-QL.NM-022-0007",
        "External-Description: 临淄区齐陵街道南马村低保申请（张秀英）办件材料",
        "Bagging-Date: 2026-11-24",  # the record's date, not today
    ]
    assert f"Payload-Oxum: {package.payload_oxum}" in info
    assert any(line.startswith("Bag-Size: ") and line.endswith(" KB") for line in info)
    manifest = (folder / "manifest-sha256.txt").read_text(encoding="utf-8").splitlines()
    paths = [line.split("  ", 1)[1] for line in manifest]
    assert (
        paths
        == sorted(paths)
        == sorted(["data/metadata.json", f"data/{MAIN}", f"data/{NOTICE}", "data/台账.csv"])
    )
    tags = (folder / "tagmanifest-sha256.txt").read_text(encoding="utf-8").splitlines()
    assert [line.split("  ", 1)[1] for line in tags] == [
        "bag-info.txt",
        "bagit.txt",
        "manifest-sha256.txt",
    ]


def test_metadata_json_is_valid_against_the_committed_schema(package: Package) -> None:
    schema = json.loads((ROOT / "archive_schema" / SCHEMA_FILE).read_text(encoding="utf-8"))
    data = json.loads((package.folder / "data" / "metadata.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["files"][0]["path"] == MAIN


def test_the_bagit_tool_validates_the_package(package: Package) -> None:
    bag = bagit.Bag(str(package.folder))
    bag.validate()
    bag.validate(fast=True)
    assert bag.is_valid()
    assert bag.version_info == (1, 0)
    assert bag.info["External-Identifier"] == "LZ-QL-001-2026-D30-QL.NM-022-0007"
    assert bag.info["Source-Organization"] == "南马村民委员会"
    assert set(bag.payload_entries()) == {
        "data/metadata.json",
        f"data/{MAIN}",
        f"data/{NOTICE}",
        "data/台账.csv",
    }


def test_the_bagit_tool_sees_tampering_too(package: Package) -> None:
    _flip_byte(package.folder / "data" / MAIN)
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(package.folder)).validate()


def test_building_is_deterministic(tmp_path: Path, sources: dict[str, Path]) -> None:
    first = _build(tmp_path / "one", sources)
    second = _build(tmp_path / "two", sources)
    for name in [*TAG_FILES, "data/metadata.json"]:
        assert (first.folder / name).read_bytes() == (second.folder / name).read_bytes(), name
    assert first.digest == second.digest
    # A different record is a different package.
    third = _build(tmp_path / "three", sources, sample_record(title="另一个题名", internal=None))
    assert third.digest != first.digest
    # Sealed parts too: built again, a package is the same bytes (once-only filing needs it).
    sealer = sealer_in(tmp_path / "keys")
    sealed = [_build_sealed(tmp_path / name, sources, sealer) for name in ("s1", "s2")]
    assert sealed[0].digest == sealed[1].digest


def test_a_package_is_never_overwritten(package: Package, sources: dict[str, Path]) -> None:
    before = package_digest(package.folder)
    with pytest.raises(OutputError, match="never overwritten"):
        _build(package.folder, sources, sample_record(title="换个题名", internal=None))
    assert package_digest(package.folder) == before
    validate_package(package.folder)


def test_an_empty_folder_may_be_used(tmp_path: Path, sources: dict[str, Path]) -> None:
    (tmp_path / "empty").mkdir()
    validate_package(_build(tmp_path / "empty", sources).folder)


def test_a_build_killed_half_way_leaves_nothing_once_built_again(
    tmp_path: Path, sources: dict[str, Path]
) -> None:
    outbox = tmp_path / "outbox"
    killed = outbox / ".pkg.k1ll3d.tmp"  # the work folder of an attempt killed half-way
    (killed / "data").mkdir(parents=True)
    (outbox / ".other.n0w.tmp").mkdir()  # another package's, being built: not this one's
    validate_package(_build(outbox / "pkg", sources).folder)
    assert sorted(p.name for p in outbox.iterdir()) == [".other.n0w.tmp", "pkg"]


def test_a_broken_pdf_is_refused_and_nothing_is_left(
    tmp_path: Path, sources: dict[str, Path]
) -> None:
    broken = _write(tmp_path / "broken.pdf", "not a pdf")
    with pytest.raises(InputInvalid, match="not a readable PDF"):
        build_package(tmp_path / "pkg", [("a.pdf", broken, "main")], PLAIN_RECORD)
    assert not (tmp_path / "pkg").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_missing_source_and_unknown_role(tmp_path: Path, sources: dict[str, Path]) -> None:
    with pytest.raises(InputInvalid, match="not a readable file"):
        build_package(tmp_path / "a", [("a.pdf", tmp_path / "nope.pdf", "main")], PLAIN_RECORD)
    with pytest.raises(InputInvalid, match="roles are main"):
        build_package(tmp_path / "b", [("a.pdf", sources["main"], "cover")], PLAIN_RECORD)


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "",
        "/etc/passwd",
        "../escape.pdf",
        "a/../../escape.pdf",
        "./a.pdf",
        "a//b.pdf",
        "a/",
        "nul\x00.pdf",
        "line\nbreak.pdf",
        "tab\t.pdf",
        "del\x7f.pdf",
        "bidi\u202egpj.pdf",
        "zero\u200bwidth.pdf",
        "back\\slash.pdf",
        "C:drive.pdf",
        "100%.pdf",
        "what?.pdf",
        " leading.pdf",
        "trailing.pdf ",
        "dot.",
        "lone\ud800surrogate.pdf",
        "x" * 201,
        "中" * 67,  # 201 bytes of UTF-8
        "metadata.json",
        "METADATA.JSON",
    ],
)
def test_dangerous_names_are_refused(tmp_path: Path, sources: dict[str, Path], name: str) -> None:
    with pytest.raises(UnsafeFileName) as caught:
        build_package(tmp_path / "pkg", [(name, sources["main"], "main")], PLAIN_RECORD)
    assert isinstance(caught.value, InputInvalid)
    assert len(caught.value.problems) == 1
    assert not (tmp_path / "pkg").exists()


def test_every_bad_name_is_reported_at_once(tmp_path: Path, sources: dict[str, Path]) -> None:
    files = [("../a.pdf", sources["main"], "main"), ("b\x00.pdf", sources["main"], "main")]
    with pytest.raises(UnsafeFileName) as caught:
        build_package(tmp_path / "pkg", files, PLAIN_RECORD)
    assert [p.field for p in caught.value.problems] == ["'../a.pdf'", "'b\\x00.pdf'"]


def test_long_and_nested_names_within_the_limit(tmp_path: Path, sources: dict[str, Path]) -> None:
    name = "附件/" + "中" * 64 + ".pdf"  # 7 + 192 + 4 = 203 bytes: too long
    with pytest.raises(UnsafeFileName, match="203"):
        build_package(tmp_path / "a", [(name, sources["main"], "main")], PLAIN_RECORD)
    name = "附件/" + "中" * 63 + ".pdf"  # 200 bytes: fine
    package = build_package(tmp_path / "b", [(name, sources["main"], "main")], PLAIN_RECORD)
    validate_package(package.folder)


def test_names_are_stored_in_nfc(tmp_path: Path, sources: dict[str, Path]) -> None:
    # 'Nánmǎ' decomposed (macOS), and a CJK compatibility ideograph (U+F900 → U+8C48 in NFC).
    nfd = unicodedata.normalize("NFD", "Nánmǎ村公示.pdf")
    assert nfd != unicodedata.normalize("NFC", nfd)
    files = [(nfd, sources["main"], "main"), ("\uf900.pdf", sources["notice"], "attachment")]
    package = build_package(tmp_path / "pkg", files, PLAIN_RECORD)
    on_disk = sorted(p.name for p in (package.folder / "data").iterdir())
    assert on_disk == sorted(["Nánmǎ村公示.pdf", "\u8c48.pdf", "metadata.json"])
    assert all(name == unicodedata.normalize("NFC", name) for name in on_disk)
    assert [f.path for f in package.record.files] == sorted(["Nánmǎ村公示.pdf", "\u8c48.pdf"])
    validate_package(package.folder)
    bagit.Bag(str(package.folder)).validate()


def test_names_differing_only_in_normal_form_or_case_collide(
    tmp_path: Path, sources: dict[str, Path]
) -> None:
    for other in (unicodedata.normalize("NFD", "Nánmǎ.pdf"), "NÁNMǍ.PDF"):
        files = [("Nánmǎ.pdf", sources["main"], "main"), (other, sources["notice"], "main")]
        with pytest.raises(UnsafeFileName, match="collides"):
            build_package(tmp_path / "pkg", files, PLAIN_RECORD)


def test_a_package_renamed_to_nfd_still_validates(tmp_path: Path, sources: dict[str, Path]) -> None:
    name = "Nánmǎ村公示.pdf"
    package = build_package(tmp_path / "pkg", [(name, sources["main"], "main")], PLAIN_RECORD)
    data = package.folder / "data"
    (data / name).rename(data / unicodedata.normalize("NFD", name))
    validate_package(package.folder)
    bagit.Bag(str(package.folder)).validate()
    objects = dict(package_objects(package.folder))
    assert objects[f"data/{name}"].name == unicodedata.normalize("NFD", name)
    # Both forms at once: the second is a stray file.
    (data / name).write_bytes(sources["main"].read_bytes())
    details = _details(package.folder, fast=True)
    assert sum(isinstance(d, UnexpectedFile) for d in details) == 1


# --- tampering --------------------------------------------------------------------------------


def _flip_byte(path: Path, offset: int = 100) -> None:
    content = bytearray(path.read_bytes())
    content[offset] ^= 0x01
    path.write_bytes(bytes(content))


def test_flipped_byte_is_a_checksum_mismatch_naming_the_file(package: Package) -> None:
    target = package.folder / "data" / MAIN
    expected = hashlib.sha256(target.read_bytes()).hexdigest()
    _flip_byte(target)
    details = _details(package.folder)
    assert details == [
        ChecksumMismatch(f"data/{MAIN}", expected, hashlib.sha256(target.read_bytes()).hexdigest())
    ]
    assert MAIN in str(PackageInvalid(package.folder, details))
    # The fast tier checks sizes only: a same-size change passes it.
    validate_package(package.folder, fast=True)
    assert not is_valid(package.folder)


def test_deleted_file_is_missing(package: Package) -> None:
    (package.folder / "data" / NOTICE).unlink()
    details = _details(package.folder, fast=True)
    assert FileMissing(f"data/{NOTICE}") in details
    assert any(isinstance(d, OxumMismatch) for d in details)
    assert FileMissing(f"data/{NOTICE}") in _details(package.folder)


def test_added_file_is_unexpected(package: Package) -> None:
    _write(package.folder / "data" / "公示" / "extra.pdf", "x")
    _write(package.folder / "notes.txt", "x")
    details = _details(package.folder, fast=True)
    assert UnexpectedFile("data/公示/extra.pdf") in details
    assert UnexpectedFile("notes.txt") in details
    oxum = [d for d in details if isinstance(d, OxumMismatch)]
    assert len(oxum) == 1 and oxum[0].expected == package.payload_oxum


def test_a_grown_file_fails_the_fast_tier(package: Package) -> None:
    target = package.folder / "data" / "台账.csv"
    size = target.stat().st_size
    with target.open("ab") as writer:
        writer.write(b"\n")
    details = _details(package.folder, fast=True)
    assert SizeMismatch("data/台账.csv", size, size + 1) in details
    assert any(isinstance(d, OxumMismatch) for d in details)


def test_edited_metadata_is_caught(package: Package) -> None:
    folder = package.folder
    metadata = folder / "data" / "metadata.json"
    data = json.loads(metadata.read_text(encoding="utf-8"))
    data["title"] = "篡改后的题名"
    metadata.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    details = _details(folder)
    assert [d.path for d in details if isinstance(d, ChecksumMismatch)] == ["data/metadata.json"]
    # Covering it up in the payload manifest breaks the tag manifest, even in the fast tier.
    new = hashlib.sha256(metadata.read_bytes()).hexdigest()
    _rewrite_manifest_line(folder, "manifest-sha256.txt", "data/metadata.json", new)
    details = _details(folder, fast=True)
    assert [d.path for d in details if isinstance(d, ChecksumMismatch)] == ["manifest-sha256.txt"]
    assert package_digest(folder) != package.digest  # the identity changed too


def test_edited_bag_info_is_caught(package: Package) -> None:
    info = package.folder / "bag-info.txt"
    info.write_text(
        info.read_text(encoding="utf-8").replace("QL.NM-022-0007", "QL.NM-022-0008"),
        encoding="utf-8",
    )
    details = _details(package.folder, fast=True)
    assert ChecksumMismatch in {type(d) for d in details}
    assert [d.path for d in details if isinstance(d, ChecksumMismatch)] == ["bag-info.txt"]
    assert any(isinstance(d, MetadataInvalid) and "External-Identifier" in str(d) for d in details)


def test_invalid_metadata_is_reported_even_when_rehashed(package: Package) -> None:
    folder = package.folder
    metadata = folder / "data" / "metadata.json"
    data = json.loads(metadata.read_text(encoding="utf-8"))
    data["archival_code"] = "LZ-QL-001-2026-Y-QL.NM-022-0007"  # says 永久, record says 30年
    data["persons"][0]["id_number"] = "370305195803121234"
    content = json.dumps(data, ensure_ascii=False).encode("utf-8")
    metadata.write_bytes(content)
    _rewrite_manifest_line(
        folder, "manifest-sha256.txt", "data/metadata.json", hashlib.sha256(content).hexdigest()
    )
    info = folder / "bag-info.txt"
    octets, count = package.payload_oxum.split(".")
    new_octets = int(octets) - len(package.record.to_json().encode()) + len(content)
    info.write_text(
        info.read_text(encoding="utf-8").replace(
            f"Payload-Oxum: {octets}.{count}", f"Payload-Oxum: {new_octets}.{count}"
        ),
        encoding="utf-8",
    )
    _rehash_tag_manifest(folder)
    details = _details(folder)
    assert len(details) == 1 and isinstance(details[0], MetadataInvalid)
    errors = " ".join(details[0].errors)
    assert "persons.0.id_number" in errors and "Extra inputs" in errors


def test_metadata_that_is_not_json(package: Package) -> None:
    (package.folder / "data" / "metadata.json").write_text("{", encoding="utf-8")
    details = _details(package.folder)
    assert {type(d) for d in details} >= {MetadataInvalid, ChecksumMismatch}


def test_broken_tag_files(package: Package) -> None:
    folder = package.folder
    (folder / "bagit.txt").write_text("BagIt-Version: 0.97\n", encoding="utf-8")
    with (folder / "manifest-sha256.txt").open("a", encoding="utf-8") as manifest:
        manifest.write(f"{'0' * 64}  data/../../etc/passwd\nnot a manifest line\n")
    details = _details(folder, fast=True)
    invalid = [d for d in details if isinstance(d, TagFileInvalid)]
    assert {d.path for d in invalid} == {"bagit.txt", "manifest-sha256.txt"}
    assert any("unsafe path" in d.message for d in invalid)
    with pytest.raises(bagit.BagError):
        bagit.Bag(str(folder)).validate()


def test_missing_tag_files_and_folder(package: Package, tmp_path: Path) -> None:
    (package.folder / "tagmanifest-sha256.txt").unlink()
    assert FileMissing("tagmanifest-sha256.txt") in _details(package.folder, fast=True)
    with pytest.raises(PackageInvalid):
        package_objects(package.folder)
    (package.folder / "manifest-sha256.txt").unlink()
    with pytest.raises(PackageInvalid):
        package_digest(package.folder)
    assert _details(tmp_path / "nowhere") == [FileMissing(".")]


def test_a_symlink_in_the_payload_is_unexpected(package: Package, tmp_path: Path) -> None:
    outside = _write(tmp_path / "outside.txt", "secret")
    (package.folder / "data" / "link.txt").symlink_to(outside)
    assert UnexpectedFile("data/link.txt") in _details(package.folder, fast=True)


def test_a_symlinked_data_folder_is_refused(package: Package, tmp_path: Path) -> None:
    moved = package.folder.parent / "elsewhere"
    (package.folder / "data").rename(moved)
    (package.folder / "data").symlink_to(moved)
    assert UnexpectedFile("data") in _details(package.folder, fast=True)
    with pytest.raises(PackageInvalid):
        package_objects(package.folder)


# --- upload order -----------------------------------------------------------------------------


def test_package_objects_end_with_the_manifests(package: Package) -> None:
    objects = package_objects(package.folder)
    keys = [key for key, _ in objects]
    assert keys == [
        f"data/{MAIN}",  # payload in code-point order: 临 < 公 < 台
        f"data/{NOTICE}",
        "data/台账.csv",
        "data/metadata.json",
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "tagmanifest-sha256.txt",
    ]
    on_disk = {p for p in package.folder.rglob("*") if p.is_file()}
    assert {path for _, path in objects} == on_disk
    assert all(path.relative_to(package.folder).as_posix() == key for key, path in objects)


def test_package_objects_skip_stray_files(package: Package) -> None:
    _write(package.folder / "data" / "stray.txt", "x")
    assert "data/stray.txt" not in dict(package_objects(package.folder))
