"""PAdES signatures of the issuing village: sign, verify, tamper, keys (no S3 needed)."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR as PYHANKO
from pyhanko.sign.signers import PdfTimeStamper
from reportlab.pdfgen import canvas

from pipeline.archive import signing
from pipeline.archive.signing import (
    DEMO_CA_NAME,
    TRUST_ROOTS_FILE,
    KeyStore,
    SignatureReport,
    VillageSigner,
    add_document_timestamp,
    load_trust_roots,
    sign_pdf,
    verify_pdf,
)
from pipeline.config import Settings
from pipeline.documents.collate import DocumentInfo, Part, collate
from pipeline.errors import PdfUnreadable, SigningError, SigningKeysInvalid
from pipeline.organisations import Directory, Place, load_district
from pipeline.pdfdate import parse_pdf_date
from tests.pdfa import pdfa_problems
from tests.tsa import rfc3161_server

REASON = "归档 / archived case file"
LOCATION = "齐陵街道"


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def directory(settings: Settings) -> Directory:
    return load_district(settings.district_path)


@pytest.fixture(scope="module")
def nanma(directory: Directory) -> Place:
    return directory.get("QL-NM")


@pytest.fixture(scope="module")
def dongzhou(directory: Directory) -> Place:
    return directory.get("QL-DZ")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    """One demo key store for the module (keys are generated once)."""
    return KeyStore(tmp_path_factory.mktemp("xwql-data") / "signing")


@pytest.fixture(scope="module")
def collated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small collated case file claiming PDF/A-2b, as the pipeline makes them."""
    folder = tmp_path_factory.mktemp("collated")
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer)
    for number in (1, 2):
        sheet.drawString(100, 700, f"xwql signing test, page {number}")
        sheet.showPage()
    sheet.save()
    part = folder / "part.pdf"
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        pdf.save(part)
    target = folder / "case.pdf"
    collate(
        [Part(part, "呈批表")],
        target,
        DocumentInfo(title="南马村 案卷", author="临淄区齐陵街道南马村民委员会"),
    )
    return target


@pytest.fixture(scope="module")
def signed(
    collated: Path, keys: KeyStore, nanma: Place, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    target = tmp_path_factory.mktemp("signed") / "case.signed.pdf"
    sign_pdf(collated, target, keys.signer_for(nanma), reason=REASON, location=LOCATION)
    return target


@pytest.fixture
def copy(signed: Path, tmp_path: Path) -> Callable[[], Path]:
    def make() -> Path:
        return Path(shutil.copy(signed, tmp_path / "copy.pdf"))

    return make


def _verify(path: Path, place: Place | None, keys: KeyStore) -> SignatureReport:
    village = place.village if place else None
    return verify_pdf(path, expected_village=village, trust_roots=keys.trust_roots())


def _assert_problem(report: SignatureReport, text: str) -> None:
    assert any(text in problem for problem in report.problems), report.problems
    assert not report.ok


# --- signing and verifying ------------------------------------------------------------


def test_signed_case_file_verifies_for_its_village(
    signed: Path, collated: Path, keys: KeyStore, nanma: Place
) -> None:
    report = _verify(signed, nanma, keys)

    assert report.ok, report.problems
    assert (report.signed, report.intact, report.trusted) == (True, True, True)
    assert report.matches_expected is True
    assert report.signer_common_name == "临淄区齐陵街道南马村民委员会"
    assert report.signer_code == "QL-NM"
    assert report.signer_fingerprint == keys.signer_for(nanma).fingerprint
    assert report.signatures == 1
    assert report.signed_at is not None
    assert abs(dt.datetime.now(dt.UTC) - report.signed_at) < dt.timedelta(minutes=5)


def test_signing_is_an_incremental_update_that_keeps_pdfa(signed: Path, collated: Path) -> None:
    original = collated.read_bytes()
    assert signed.read_bytes().startswith(original)  # every byte of the collation kept
    with pikepdf.open(signed) as pdf:
        meta = pdf.open_metadata()
        assert meta.pdfa_status == "2B"
        assert meta["dc:title"] == "南马村 案卷"
        field = pdf.Root.AcroForm.Fields[0]
        assert str(field.V.SubFilter) == "/ETSI.CAdES.detached"  # PAdES
        assert str(field.V.Reason) == REASON
        assert int(field.F) & 4  # printable: invisible widgets must be for PDF/A


def test_signing_keeps_the_document_info_and_the_xmp_in_step(signed: Path) -> None:
    """PDF/A-2 (ISO 19005-2, 6.6.2.3.1): the info's entries equal their XMP properties.

    Signing used to leave ``/Producer`` as "…; pyHanko" and ``pdf:Producer`` as pyHanko.
    """
    with pikepdf.open(signed) as pdf:
        xmp = pdf.open_metadata()
        assert str(pdf.docinfo["/Producer"]) == str(xmp["pdf:Producer"]) == PYHANKO
        assert parse_pdf_date(str(pdf.docinfo["/ModDate"])) == dt.datetime.fromisoformat(
            xmp["xmp:ModifyDate"]
        )
    assert [p for p in pdfa_problems(signed) if p.startswith("6.6")] == []


def test_verify_without_an_expected_village(signed: Path, keys: KeyStore) -> None:
    report = _verify(signed, None, keys)
    assert report.ok
    assert report.matches_expected is None


def test_sign_in_place(collated: Path, keys: KeyStore, nanma: Place, tmp_path: Path) -> None:
    pdf = Path(shutil.copy(collated, tmp_path / "case.pdf"))
    sign_pdf(pdf, pdf, keys.signer_for(nanma), reason=REASON, location=LOCATION)
    assert _verify(pdf, nanma, keys).ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.pdf"]  # no temp file left


def test_an_already_signed_file_is_not_signed_again(
    signed: Path, keys: KeyStore, dongzhou: Place, tmp_path: Path
) -> None:
    with pytest.raises(SigningError, match="already signed"):
        sign_pdf(
            signed,
            tmp_path / "twice.pdf",
            keys.signer_for(dongzhou),
            reason=REASON,
            location=LOCATION,
        )
    assert not (tmp_path / "twice.pdf").exists()


# --- tampering ------------------------------------------------------------------------


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _offset_in_page_content(data: bytes) -> int:
    return data.index(b"stream", data.index(b"/Length")) + 30


def _offset_in_signing_time(data: bytes) -> int:
    match = re.search(rb"/M \(D(?:\\072|:)(\d{14})", data)  # pyhanko writes D\072YYYY…
    assert match
    return match.start(1) + 3  # the last digit of the year


@pytest.mark.parametrize(
    "where", [_offset_in_page_content, _offset_in_signing_time], ids=["page", "signing-time"]
)
def test_a_flipped_byte_is_detected(
    copy: Callable[[], Path], keys: KeyStore, nanma: Place, where: Callable[[bytes], int]
) -> None:
    pdf = copy()
    offset = where(pdf.read_bytes())
    _flip(pdf, offset)

    report = _verify(pdf, nanma, keys)

    assert report.signed
    assert not report.intact
    _assert_problem(report, "changed after signing")
    _assert_problem(report, "签名后内容被改动")


def _change_title(writer: IncrementalPdfFileWriter) -> None:
    info = writer.trailer["/Info"]
    info["/Title"] = generic.TextStringObject("改过的标题")
    writer.mark_update(writer.trailer.raw_get("/Info"))


def _change_catalog(writer: IncrementalPdfFileWriter) -> None:
    writer.root["/Lang"] = generic.TextStringObject("en")
    writer.update_root()


@pytest.mark.parametrize("change", [_change_title, _change_catalog], ids=["info", "catalog"])
def test_an_incremental_update_after_signing_is_detected(
    copy: Callable[[], Path],
    keys: KeyStore,
    nanma: Place,
    change: Callable[[IncrementalPdfFileWriter], None],
) -> None:
    pdf = copy()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf.read_bytes()))
    change(writer)
    output = io.BytesIO()
    writer.write(output)
    pdf.write_bytes(output.getvalue())

    report = _verify(pdf, nanma, keys)

    assert report.signed and report.trusted
    assert not report.intact  # pyhanko itself accepts the /Info change as harmless
    _assert_problem(report, "incremental update(s) appended after the signature")


def test_bytes_appended_after_the_signature_are_detected(
    copy: Callable[[], Path], keys: KeyStore, nanma: Place
) -> None:
    pdf = copy()
    pdf.write_bytes(pdf.read_bytes() + b"% appended\n")
    report = _verify(pdf, nanma, keys)
    assert not report.intact
    _assert_problem(report, "byte(s) appended after the signed range")


def test_a_pikepdf_rewrite_with_an_extra_page_is_detected(
    copy: Callable[[], Path], keys: KeyStore, nanma: Place
) -> None:
    pdf = copy()
    with pikepdf.open(pdf, allow_overwriting_input=True) as document:
        document.add_blank_page()
        document.save(pdf)

    report = _verify(pdf, nanma, keys)

    assert not report.intact
    assert not report.ok


def test_a_copy_signed_by_another_village_is_the_wrong_body(
    collated: Path, keys: KeyStore, nanma: Place, dongzhou: Place, tmp_path: Path
) -> None:
    forged = tmp_path / "forged.pdf"
    sign_pdf(collated, forged, keys.signer_for(dongzhou), reason=REASON, location=LOCATION)

    report = _verify(forged, nanma, keys)

    assert report.intact and report.trusted  # a sound signature …
    assert report.matches_expected is False  # … of the wrong village
    assert report.signer_code == "QL-DZ"
    _assert_problem(report, "signed by the wrong body")
    _assert_problem(report, "签名单位不符")


def test_an_unsigned_pdf_is_reported_not_raised(
    collated: Path, keys: KeyStore, nanma: Place
) -> None:
    report = _verify(collated, nanma, keys)
    assert not report.signed and not report.ok
    _assert_problem(report, "not signed")


def test_an_unreadable_file_raises(tmp_path: Path, keys: KeyStore) -> None:
    with pytest.raises(PdfUnreadable):
        _verify(tmp_path / "missing.pdf", None, keys)
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"this is not a PDF at all")
    with pytest.raises(PdfUnreadable):
        _verify(junk, None, keys)


# --- demo keys ------------------------------------------------------------------------


def test_demo_keys_are_private(keys: KeyStore, nanma: Place, dongzhou: Place) -> None:
    keys.signer_for(nanma)
    keys.signer_for(dongzhou)
    folders = [keys.folder, keys.folder / "villages"]
    files = [p for p in keys.folder.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {
        "demo-ca.key",
        "demo-ca.crt",
        "QL-NM.key",
        "QL-NM.crt",
        "QL-DZ.key",
        "QL-DZ.crt",
    }
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in folders)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), [
        (p.name, oct(p.stat().st_mode)) for p in files
    ]
    assert "demo-ca.key" not in repr(keys.signer_for(nanma))
    assert "PRIVATE" not in repr(keys.signer_for(nanma))


def test_demo_certificates_name_the_committee(keys: KeyStore, nanma: Place) -> None:
    signer = keys.signer_for(nanma)
    subject = signer.certificate.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "临淄区齐陵街道南马村民委员会"
    )
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "临淄区"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "QL-NM"
    (root,) = keys.trust_roots()
    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == DEMO_CA_NAME
    assert signer.certificate.issuer == root.subject


def test_demo_keys_are_reused_by_a_new_store(keys: KeyStore, nanma: Place) -> None:
    first = keys.signer_for(nanma)
    again = KeyStore(keys.folder)
    assert again.signer_for(nanma).fingerprint == first.fingerprint
    assert again.trust_roots() == keys.trust_roots()


def test_a_renamed_village_gets_a_new_certificate_for_the_same_key(
    keys: KeyStore, nanma: Place, tmp_path: Path
) -> None:
    store = KeyStore(tmp_path / "signing")
    before = store.signer_for(nanma)
    renamed_village = nanma.village.model_copy(
        update={"seal_text": "临淄区齐陵街道新南马村民委员会"}
    )
    renamed = replace(nanma, village=renamed_village)
    after = KeyStore(store.folder).signer_for(renamed)
    assert after.fingerprint != before.fingerprint
    assert after.common_name == "临淄区齐陵街道新南马村民委员会"
    assert after.certificate.public_key() == before.certificate.public_key()


# --- production keys and foreign CAs --------------------------------------------------


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(
    subject: x509.Name,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(issuer_key, hashes.SHA256())
    )


def _village_name(place: Place) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, place.district.name),
            x509.NameAttribute(NameOID.COMMON_NAME, place.village.seal_text),
        ]
    )


class ForeignCA:
    """A CA made in the test (a 'production' CA, or an untrusted self-made one)."""

    def __init__(self, name: str) -> None:
        self.key = _rsa()
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.certificate = _certificate(self.name, self.key, self.name, self.key, ca=True)

    def issue(self, place: Place) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
        key = _rsa()
        return key, _certificate(_village_name(place), key, self.name, self.key, ca=False)


PASSPHRASE = b"test-passphrase"


@pytest.fixture(scope="module")
def production(
    tmp_path_factory: pytest.TempPathFactory, nanma: Place, dongzhou: Place
) -> tuple[Path, ForeignCA]:
    """A production key folder: trust-roots.pem, QL-NM.p12 (encrypted), QL-DZ.key + .crt."""
    ca = ForeignCA("临淄区电子政务测试根 (test)")
    folder = tmp_path_factory.mktemp("production-keys")
    (folder / TRUST_ROOTS_FILE).write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    key, cert = ca.issue(nanma)
    p12 = folder / "QL-NM.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"QL-NM",
            key,
            cert,
            [ca.certificate],
            serialization.BestAvailableEncryption(PASSPHRASE),
        )
    )
    p12.chmod(0o600)
    key, cert = ca.issue(dongzhou)
    pem_key = folder / "QL-DZ.key"
    pem_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSPHRASE),
        )
    )
    pem_key.chmod(0o600)
    (folder / "QL-DZ.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder, ca


def test_an_elliptic_curve_production_key_signs_and_verifies(
    directory: Directory, collated: Path, tmp_path: Path
) -> None:
    # xwql signs with the key it parsed once; this is the ECDSA side of that.
    ca = ForeignCA("临淄区电子政务测试根 (test)")
    folder = tmp_path / "production-keys"
    folder.mkdir()
    (folder / TRUST_ROOTS_FILE).write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    place = directory.get("QL-NM")
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _certificate(_village_name(place), key, ca.name, ca.key, ca=False)
    (folder / "QL-NM.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (folder / "QL-NM.key").chmod(0o600)
    (folder / "QL-NM.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    store = KeyStore(tmp_path / "unused-demo", production_keys=folder)
    signer = store.signer_for(place)
    targets = [tmp_path / "first.pdf", tmp_path / "second.pdf"]

    for target in targets:  # the second signature reuses the parsed key
        sign_pdf(collated, target, signer, reason=REASON, location=LOCATION)

    for target in targets:
        report = verify_pdf(target, expected_village=place.village, trust_roots=[ca.certificate])
        assert report.ok, report.problems
        assert report.signer_fingerprint == signer.fingerprint


@pytest.mark.parametrize("code", ["QL-NM", "QL-DZ"], ids=["p12", "pem"])
def test_production_keys_sign_and_verify(
    production: tuple[Path, ForeignCA],
    directory: Directory,
    collated: Path,
    tmp_path: Path,
    code: str,
) -> None:
    folder, ca = production
    demo_folder = tmp_path / "unused-demo"
    store = KeyStore(demo_folder, production_keys=folder, passphrase=PASSPHRASE)
    place = directory.get(code)
    signer = store.signer_for(place)
    assert not signer.demo
    target = tmp_path / "case.pdf"

    sign_pdf(collated, target, signer, reason=REASON, location=LOCATION)
    report = verify_pdf(target, expected_village=place.village, trust_roots=store.trust_roots())

    assert report.ok, report.problems
    assert report.signer_code is None  # a production certificate need not carry the code
    assert store.trust_roots() == [ca.certificate]
    assert load_trust_roots(folder / TRUST_ROOTS_FILE) == [ca.certificate]
    assert not demo_folder.exists()  # production never generates demo keys


def test_a_signature_from_an_untrusted_ca_is_reported(
    production: tuple[Path, ForeignCA],
    keys: KeyStore,
    nanma: Place,
    collated: Path,
    tmp_path: Path,
) -> None:
    folder, _ = production
    store = KeyStore(tmp_path / "unused", production_keys=folder, passphrase=PASSPHRASE)
    target = tmp_path / "case.pdf"
    sign_pdf(collated, target, store.signer_for(nanma), reason=REASON, location=LOCATION)

    report = _verify(target, nanma, keys)  # the demo CA does not trust that CA

    assert report.intact
    assert report.matches_expected is True  # it names the village …
    assert not report.trusted  # … but nobody we trust vouches for it
    _assert_problem(report, "untrusted")


def test_production_key_problems_are_refused(
    production: tuple[Path, ForeignCA], directory: Directory, tmp_path: Path
) -> None:
    folder, _ = production
    keys_copy = Path(shutil.copytree(folder, tmp_path / "keys"))

    def store() -> KeyStore:
        return KeyStore(tmp_path / "demo", production_keys=keys_copy, passphrase=PASSPHRASE)

    with pytest.raises(SigningKeysInvalid, match="no signing key for QL-XG"):
        store().signer_for(directory.get("QL-XG"))

    with pytest.raises(SigningKeysInvalid, match="wrong passphrase"):
        KeyStore(tmp_path / "demo", production_keys=keys_copy, passphrase=b"nope").signer_for(
            directory.get("QL-NM")
        )

    (keys_copy / "QL-NM.p12").chmod(0o644)
    with pytest.raises(SigningKeysInvalid, match="chmod 600"):
        store().signer_for(directory.get("QL-NM"))

    (keys_copy / "QL-NM.p12").chmod(0o600)
    (keys_copy / "QL-NM.p12").rename(keys_copy / "QL-XG.p12")  # a key filed under the wrong code
    with pytest.raises(SigningKeysInvalid, match="the certificate names"):
        store().signer_for(directory.get("QL-XG"))


def test_signing_with_a_certificate_outside_the_trust_roots_fails(
    production: tuple[Path, ForeignCA],
    nanma: Place,
    collated: Path,
    tmp_path: Path,
) -> None:
    folder, _ = production
    signer = KeyStore(tmp_path, production_keys=folder, passphrase=PASSPHRASE).signer_for(nanma)
    stranger = ForeignCA("somebody else")
    mismatched = VillageSigner(
        signer.village_code,
        signer.certificate,
        _key_of(folder / "QL-NM.p12"),
        trust_roots=[stranger.certificate],
        demo=False,
    )
    with pytest.raises(SigningError, match="cannot sign as QL-NM"):
        sign_pdf(collated, tmp_path / "case.pdf", mismatched, reason=REASON, location=LOCATION)
    assert not (tmp_path / "case.pdf").exists()


def _key_of(p12: Path) -> rsa.RSAPrivateKey:
    key, _, _ = pkcs12.load_key_and_certificates(p12.read_bytes(), PASSPHRASE)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def test_importing_the_signing_prints_no_library_warning() -> None:
    """Every command that signs or verifies printed pyHanko's DSA deprecation warning."""
    done = subprocess.run(
        [sys.executable, "-c", "import pipeline.archive.signing, pipeline.archive.session"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert done.stderr == ""


# --- long-term validation (PAdES B-LTA) --------------------------------------------------


def test_a_demo_signature_is_b_lta_and_says_until_when_its_timestamp_holds(
    signed: Path, keys: KeyStore, nanma: Place
) -> None:
    report = _verify(signed, nanma, keys)
    assert report.ok and report.level == "B-LTA"
    # The signature's own timestamp, then the document timestamp over the validation data.
    assert len(report.timestamps) == 2
    assert report.timestamps[0] <= report.timestamps[1]
    assert abs(dt.datetime.now(dt.UTC) - report.timestamps[0]) < dt.timedelta(minutes=5)
    tsa = x509.load_pem_x509_certificate((keys.folder / "tsa.crt").read_bytes())
    assert report.timestamp_until == tsa.not_valid_after_utc
    assert tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage).critical
    # The validation data is in the file: the CA's CRL among it.
    text = signed.read_bytes()
    assert b"/DSS" in text and b"/CRLs" in text and b"/DocTimeStamp" in text


def test_a_new_document_timestamp_extends_the_chain_and_keeps_every_byte(
    signed: Path, keys: KeyStore, nanma: Place, tmp_path: Path
) -> None:
    long_term = keys.long_term()
    assert long_term is not None
    original = signed.read_bytes()
    renewed = add_document_timestamp(original, long_term, keys.trust_roots())
    assert renewed.startswith(original)
    target = tmp_path / "renewed.pdf"
    target.write_bytes(renewed)
    report = _verify(target, nanma, keys)
    assert report.ok, report.problems
    assert report.level == "B-LTA" and len(report.timestamps) == 3  # the chain verifies
    again = add_document_timestamp(renewed, long_term, keys.trust_roots())
    target.write_bytes(again)
    assert len(_verify(target, nanma, keys).timestamps) == 4
    # A byte changed in the first renewal breaks the chain after it.
    damaged = bytearray(again)
    damaged[len(original) + 200] ^= 1
    target.write_bytes(bytes(damaged))
    assert not _verify(target, nanma, keys).ok


def test_a_production_tsa_by_url_makes_the_same_level(
    keys: KeyStore, nanma: Place, collated: Path, tmp_path: Path
) -> None:
    """An RFC 3161 server over HTTP (the demo TSA behind a test server) as production uses it."""
    demo = keys.long_term()
    assert demo is not None
    with rfc3161_server(demo.timestamper) as url:
        by_url = KeyStore(keys.folder, tsa_url=url)
        target = tmp_path / "signed.pdf"
        sign_pdf(collated, target, by_url.signer_for(nanma), reason=REASON, location=LOCATION)
    report = _verify(target, nanma, keys)
    assert report.ok, report.problems
    assert report.level == "B-LTA"


def test_a_document_timestamp_from_an_untrusted_authority_does_not_pass(
    signed: Path, keys: KeyStore, nanma: Place, tmp_path: Path
) -> None:
    """Bytes appended after the signature count only when every timestamp in them holds."""
    stranger = KeyStore(tmp_path / "stranger").long_term()  # its own CA: not trusted here
    assert stranger is not None
    # Appended with pyHanko directly, as anyone with write access could (xwql's own
    # renewal refuses a TSA that does not chain to the archive's roots).
    output = io.BytesIO()
    PdfTimeStamper(stranger.timestamper).timestamp_pdf(
        IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes())), "sha256", output=output
    )
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(output.getvalue())
    report = _verify(forged, nanma, keys)
    assert not report.ok and not report.intact
    assert any("document timestamp does not hold" in p for p in report.problems), report.problems


def test_a_renewed_chain_holds_after_the_first_authoritys_certificate_ends(
    signed: Path, keys: KeyStore, nanma: Place, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _verify(signed, nanma, keys)
    assert first.timestamp_until is not None
    later = first.timestamp_until + dt.timedelta(days=365)  # the first TSA's certificate ended
    assert not _verify_at(signed, nanma, keys, later).ok  # not renewed: it no longer holds
    # Renewed in time by the district's next time-stamping key (same CA, valid longer).
    folder = tmp_path / "signing"
    shutil.copytree(keys.folder, folder)
    (folder / "tsa.crt").unlink()
    monkeypatch.setattr(signing, "DEMO_TSA_YEARS", 25)
    next_tsa = KeyStore(folder).long_term()
    assert next_tsa is not None
    renewed = tmp_path / "renewed.pdf"
    renewed.write_bytes(add_document_timestamp(signed.read_bytes(), next_tsa, keys.trust_roots()))
    report = _verify_at(renewed, nanma, KeyStore(folder), later)
    assert report.ok, report.problems
    assert report.level == "B-LTA" and report.timestamp_until is not None
    assert report.timestamp_until > later


def _verify_at(path: Path, place: Place, keys: KeyStore, at: dt.datetime) -> SignatureReport:
    return verify_pdf(path, expected_village=place.village, trust_roots=keys.trust_roots(), at=at)
