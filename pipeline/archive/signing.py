"""PAdES signatures of the issuing village on archived case files.

After collation the case-file PDF is signed by its village (PAdES, an invisible
signature added as an incremental update, so the PDF/A-2b file stays
byte-for-byte the same up to the signature; B-LTA with a time-stamping
authority, see below) and can be verified at audit:
``verify_pdf`` tells whether the file is signed, whether any byte changed
since, whether the signer chains to a trusted root and whether it is the
expected village.

Keys come from a ``KeyStore``. Without production keys it runs a local demo
CA, generated on first use under a run-time folder (never in git)::

    <folder>/                  0700, e.g. Settings.data / "signing"
      README.txt               says that these are demo keys
      .lock                    serialises first-use generation between processes
      demo-ca.key              the demo CA's private key (PKCS#8 PEM, unencrypted), 0600
      demo-ca.crt              its self-signed certificate (PEM), 0600
      tsa.key, tsa.crt         the district's demo time-stamping key and certificate, 0600
      demo-ca.crl              the demo CA's CRL (nothing revoked), re-issued weekly
      villages/                0700
        QL-NM.key              the village's private key (PKCS#8 PEM, unencrypted), 0600
        QL-NM.crt              its certificate, issued by the demo CA (PEM), 0600

A demo village certificate names the committee: CN = the seal text (the
committee's full name, e.g. 临淄区齐陵街道南马村民委员会), O = the district, OU =
the village code, C = CN. It is re-issued (same key) when the village's names
change or it is no longer valid.

In production the keys are issued elsewhere and configured by path; xwql only
reads that folder and generates nothing::

    <production_keys>/
      trust-roots.pem          the CA certificate(s) the village certificates chain to (PEM)
      QL-NM.p12                PKCS#12: the village's key, certificate and chain; or
      QL-NM.key                the village's private key (PEM, PKCS#8 or PKCS#1) and
      QL-NM.crt                its certificate (PEM), followed by any intermediates

Key files (``.p12``, ``.key``) must be readable by their owner only (``chmod 600``).
Encrypted keys share one passphrase, given to ``KeyStore``. A production
certificate must name the village as the demo one does: CN = the village's
seal text and, if it carries a village code in OU, that village's code.

Signatures that outlive their certificates (PAdES B-LTA): with a time-stamping
authority the signature carries an RFC 3161 timestamp of its value (B-T), the
validation data — the chain and the CA's CRL — in the document security store
(B-LT), and a document timestamp over all of it (B-LTA), each an incremental
update. The TSA is ``XWQL_TSA_URL`` in production (pyHanko's HTTP client); the
demo runs the district's own TSA: a time-stamping key and certificate
(``tsa.key``, ``tsa.crt``, extended key usage timeStamping only) issued by the
demo CA beside the village keys, used in-process through pyHanko's local time
stamper, its time the machine's clock. The demo CA publishes its CRL
(``demo-ca.crl``, re-issued weekly); production CRLs are ``*.crl`` files in the
production key folder (nothing is fetched). Production keys without a TSA URL
sign B-B. A timestamp holds while its TSA's certificate is valid: before that
ends, ``xwql archive retimestamp`` adds a new document timestamp
(:func:`add_document_timestamp`), and :func:`verify_pdf` reports the level
reached and the date the newest timestamp holds until.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import fcntl
import functools
import io
import logging
import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pikepdf
from asn1crypto import crl as asn1_crl  # type: ignore[import-untyped]  # pyHanko's ASN.1
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    PrivateKeyTypes,
)
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR as PYHANKO
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import DummyTimeStamper, HTTPTimeStamper, TimeStamper
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathError, ValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from pipeline.archive.messages import (
    ALREADY_SIGNED,
    BYTES_AFTER_SIGNING,
    CANNOT_READ,
    CANNOT_RETIMESTAMP,
    CANNOT_SIGN_AS,
    CANNOT_WRITE,
    CERTIFICATE_OF_ANOTHER,
    CHANGED_AFTER_SIGNING,
    CRL_UNREADABLE,
    KEY_FILE_TOO_OPEN,
    KEY_FOLDER_UNUSABLE,
    KEY_NOT_OF_CERTIFICATE,
    KEY_UNUSABLE,
    NO_CERTIFICATE,
    NO_SIGNING_KEY,
    NOT_A_READABLE_PDF,
    NOT_PADES,
    NOT_PEM,
    NOT_RSA,
    NOT_SIGNED,
    PARTIAL_COVERAGE,
    PDFA_CLAIM_LOST,
    PKCS12_INCOMPLETE,
    PKCS12_UNUSABLE,
    SEAL_TEXT_TOO_LONG,
    SEVERAL_SIGNATURES,
    SIGNATURE_DAMAGED,
    SIGNATURE_NOT_VALIDATED,
    SIGNATURE_VALUE_INVALID,
    TIMESTAMP_INVALID,
    UNTRUSTED,
    UPDATES_AFTER_SIGNING,
    WRONG_SIGNER,
)
from pipeline.errors import PdfUnreadable, SigningError, SigningKeysInvalid
from pipeline.organisations import Place, Village
from pipeline.pdfdate import info_matches_xmp
from pipeline.stages import stage

if TYPE_CHECKING:
    from pipeline.config import Settings

logger = logging.getLogger(__name__)


def _expected_warning(record: logging.LogRecord) -> bool:
    # pyHanko warns on every signature that it will not fetch revocation data: xwql
    # gives it the CRLs itself (offline by design), so the warning says nothing.
    return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_expected_warning)

SIGNATURE_FIELD = "xwql-village-signature"
DEMO_CA_NAME = "xwql 演示根证书（非正式）"
DEMO_CA_ORGANISATION = "xwql demo CA (not for production)"
DEMO_TSA_NAME = "xwql 演示时间戳服务（非正式）"
TRUST_ROOTS_FILE = "trust-roots.pem"
DEMO_KEY_BITS = 2048
DEMO_CA_YEARS = 30
DEMO_VILLAGE_YEARS = 20
DEMO_TSA_YEARS = 10  # short enough that renewing the archive's timestamps is practised
DEMO_CRL_DAYS = 30
CRL_REISSUE_DAYS = 7
_CN_MAX = 64  # ub-common-name (RFC 5280)
_VILLAGE_CODE = re.compile(r"^[A-Z][A-Z0-9-]{1,23}$")
# Either usage makes a certificate fit for signing documents (PKIX and ETSI differ).
_KEY_USAGES = frozenset({"digital_signature", "non_repudiation"})
_PADES = "/ETSI.CAdES.detached"
_README = """\
xwql 演示签名密钥（非正式） / xwql demo signing keys (NOT for production)

These keys were generated by xwql on first use: a local demo CA (demo-ca.*) and
one key and certificate per village (villages/<code>.*). Signatures made with them
verify only against this folder's demo-ca.crt. Keep this folder private and out of
git; configure real keys with a production key folder for live use.
"""


@dataclass(frozen=True)
class LongTermValidation:
    """What makes a signature B-LTA: a time-stamping authority and the revocation data.

    Attributes:
        timestamper: The TSA (pyHanko's HTTP client, or the demo's local one).
        crls: The CAs' certificate revocation lists, embedded with the chain.
        tsa_chain: The TSA's certificate and chain, when known (room in the signature).
    """

    timestamper: TimeStamper
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    tsa_chain: tuple[x509.Certificate, ...] = ()

    @property
    def token_room(self) -> int:
        """Bytes a timestamp token may take in the signature container."""
        return sum(len(c.public_bytes(serialization.Encoding.DER)) for c in self.tsa_chain) + 6144

    def validation_context(
        self, roots: Sequence[x509.Certificate], others: Sequence[x509.Certificate]
    ) -> ValidationContext:
        """Offline validation with these CRLs (what is embedded is what was used)."""
        return _validation_context(roots, others, crls=self.crls)


class VillageSigner:
    """A village's signing key and certificate (with its chain), ready to sign PDFs.

    The private key is never shown by ``repr`` and never logged.

    Attributes:
        village_code: The village's code (QL-NM).
        certificate: The village's certificate.
        chain: Intermediate and root certificates to embed after it.
        trust_roots: The roots the certificate must chain to.
        demo: Whether the key comes from the generated demo CA.
        long_term: The TSA and revocation data of B-LTA signatures; None signs B-B.
    """

    def __init__(
        self,
        village_code: str,
        certificate: x509.Certificate,
        key: PrivateKeyTypes,
        *,
        chain: Sequence[x509.Certificate] = (),
        trust_roots: Sequence[x509.Certificate],
        demo: bool,
        long_term: LongTermValidation | None = None,
    ) -> None:
        """Bundle ``key`` and ``certificate`` of the village ``village_code``."""
        self.village_code = village_code
        self.certificate = certificate
        self.chain = tuple(chain)
        self.trust_roots = tuple(trust_roots)
        self.demo = demo
        self.long_term = long_term
        self.__key = key

    def __repr__(self) -> str:
        kind = "demo" if self.demo else "production"
        return (
            f"VillageSigner({self.village_code}, {self.common_name!r}, {kind}, "
            f"sha256={self.fingerprint[:16]}…)"
        )

    @property
    def common_name(self) -> str:
        """The certificate's common name: the committee's full name."""
        return _attribute(self.certificate.subject, NameOID.COMMON_NAME) or ""

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the certificate, in hex."""
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    @functools.cached_property
    def reserved_hex_digits(self) -> int:
        """Room for the signature container in the PDF, in hex digits.

        Given, pyHanko does not make a trial signature to measure it (a second
        RSA key load and signing, a third of the time of each signature). The
        container holds the certificates, the signature and the signed
        attributes; 8 KB is ample room for the last two with any RSA or EC key.
        """
        certificates = (self.certificate, *self.chain, *self.trust_roots)
        der = sum(len(c.public_bytes(serialization.Encoding.DER)) for c in certificates)
        if self.long_term is not None:  # the signature's timestamp token: TSA chain and more
            der += self.long_term.token_room
        return 2 * (der + 8192)

    @functools.cached_property
    def _pyhanko_signer(self) -> signers.SimpleSigner:
        # Built once per village: loading the key and the certificates was a
        # quarter of each signature's time.
        key_der = self.__key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # untyped upstream
        for cert in (*self.chain, *self.trust_roots):
            registry.register(_to_asn1(cert))
        return _LoadedKeySigner(
            self.__key,
            signing_cert=_to_asn1(self.certificate),
            signing_key=load_private_key_from_pemder_data(key_der, passphrase=None),
            cert_registry=registry,
        )


class _LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's signer, signing with a key parsed once.

    ``SimpleSigner`` parses and checks the private key again for every
    signature; for an RSA key that check is most of the signature's time (a
    quarter of a case file's CPU). RSA PKCS #1 v1.5 and ECDSA — the mechanisms
    of xwql's keys — sign with the parsed key; any other goes to pyHanko.
    """

    def __init__(self, key: PrivateKeyTypes, **options: Any) -> None:
        super().__init__(**options)
        self._parsed_key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        try:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        except ValueError:  # a mechanism asn1crypto cannot name: pyHanko's own path
            mechanism = None
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        key = self._parsed_key
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hash_algorithm)
        if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hash_algorithm))
        signature: bytes = super().sign_raw(data, digest_algorithm)
        return signature


class KeyStore:
    """Where village signing keys come from: a generated demo CA, or production key files.

    Args:
        folder: The demo key folder (under ``Settings.data``; created 0700 on
            first use). Unused when ``production_keys`` is given.
        production_keys: A folder of production keys (see the module docstring);
            when given, nothing is generated.
        passphrase: The passphrase of encrypted production key files, if any.
        tsa_url: The time-stamping authority (RFC 3161 over HTTP); unset, the
            demo runs its own and production keys sign B-B.
    """

    def __init__(
        self,
        folder: Path,
        *,
        production_keys: Path | None = None,
        passphrase: bytes | None = None,
        tsa_url: str | None = None,
    ) -> None:
        """Use ``folder`` for demo keys, or ``production_keys`` when given."""
        self.folder = folder
        self.production_keys = production_keys
        self.tsa_url = tsa_url
        self.__passphrase = passphrase
        self._long_term: LongTermValidation | None = None
        self._signers: dict[str, VillageSigner] = {}
        self._roots: tuple[x509.Certificate, ...] | None = None
        # The demo CA's key is parsed once: loading an RSA key checks it, ~50 ms.
        self._ca: tuple[CertificateIssuerPrivateKeyTypes, x509.Certificate] | None = None
        self._ca_lock = threading.Lock()

    def __repr__(self) -> str:
        where = self.production_keys or self.folder
        return f"KeyStore({'production' if self.production_keys else 'demo'}: {where})"

    @classmethod
    def of(cls, settings: Settings) -> KeyStore:
        """The keys the settings name: ``XWQL_SIGNING_KEYS``, else the data folder's demo CA."""
        passphrase = settings.signing_passphrase
        return cls(
            settings.data / "signing",
            production_keys=settings.signing_keys,
            passphrase=passphrase.encode() if passphrase else None,
            tsa_url=settings.tsa_url,
        )

    @property
    def demo(self) -> bool:
        """Whether keys come from the generated demo CA."""
        return self.production_keys is None

    def trust_roots(self) -> list[x509.Certificate]:
        """The root certificates village signatures chain to (the demo CA, or trust-roots.pem)."""
        if self._roots is None:
            if self.production_keys is not None:
                self._roots = tuple(load_trust_roots(self.production_keys / TRUST_ROOTS_FILE))
            else:
                self._roots = (self._demo_ca()[1],)
        return list(self._roots)

    def signer_for(self, place: Place) -> VillageSigner:
        """The signer of ``place``'s village; demo keys are generated on first use.

        Raises:
            SigningKeysInvalid: The village has no usable key, or its certificate
                does not name the village.
        """
        code = place.village.code
        if code not in self._signers:
            if self.production_keys is not None:
                signer = self._production_signer(place.village)
            else:
                signer = self._demo_signer(place)
            self._signers[code] = signer
        return self._signers[code]

    def long_term(self) -> LongTermValidation | None:
        """The TSA and CRLs signatures are made B-LTA with (None: B-B, production without TSA).

        Raises:
            SigningKeysInvalid: The demo TSA's key or a CRL cannot be read or made.
        """
        if self._long_term is not None:
            return self._long_term
        if self.production_keys is not None:
            if not self.tsa_url:
                return None
            crls = tuple(_read_crls(sorted(self.production_keys.glob("*.crl"))))
            self._long_term = LongTermValidation(HTTPTimeStamper(self.tsa_url), crls)
        elif self.tsa_url:
            self._long_term = LongTermValidation(HTTPTimeStamper(self.tsa_url), (self._demo_crl(),))
        else:
            key, cert = self._demo_tsa()
            ca_cert = self._demo_ca()[1]
            registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # untyped upstream
            registry.register(_to_asn1(ca_cert))
            stamper = DummyTimeStamper(
                tsa_cert=_to_asn1(cert), tsa_key=_key_info(key), certs_to_embed=registry
            )
            self._long_term = LongTermValidation(stamper, (self._demo_crl(),), (cert, ca_cert))
        return self._long_term

    # --- demo CA ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.folder.chmod(0o700)
            (self.folder / "villages").mkdir(exist_ok=True, mode=0o700)
            (self.folder / "villages").chmod(0o700)
            fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise SigningKeysInvalid(
                KEY_FOLDER_UNUSABLE(folder=self.folder, reason=exc.strerror)
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            readme = self.folder / "README.txt"
            if not readme.exists():
                _write_private(readme, _README.encode())
            yield
        finally:
            os.close(fd)  # releases the lock

    def _demo_ca(self) -> tuple[CertificateIssuerPrivateKeyTypes, x509.Certificate]:
        with self._ca_lock:
            if self._ca is None:
                self._ca = self._load_or_make_demo_ca()
            return self._ca

    def _load_or_make_demo_ca(self) -> tuple[CertificateIssuerPrivateKeyTypes, x509.Certificate]:
        key_path, cert_path = self.folder / "demo-ca.key", self.folder / "demo-ca.crt"
        with self._locked():
            if key_path.exists() and cert_path.exists():
                with contextlib.suppress(OSError):  # in case it was widened since
                    key_path.chmod(0o600)
                key = _issuer_key(_read_key(key_path, None), key_path)
                return key, _read_certificates(cert_path)[0]
            key = rsa.generate_private_key(public_exponent=65537, key_size=DEMO_KEY_BITS)
            name = x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_CA_ORGANISATION),
                    x509.NameAttribute(NameOID.COMMON_NAME, DEMO_CA_NAME),
                ]
            )
            now = _now()
            cert = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(hours=1))
                .not_valid_after(now + dt.timedelta(days=365 * DEMO_CA_YEARS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(_key_usage(ca=True), critical=True)
                .add_extension(
                    x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
                )
                .sign(key, hashes.SHA256())
            )
            _write_private(key_path, _private_pem(key))
            _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
            logger.info("generated the demo signing CA in %s (not for production)", self.folder)
            return key, cert

    def _demo_signer(self, place: Place) -> VillageSigner:
        ca_key, ca_cert = self._demo_ca()
        village = place.village
        key_path = self.folder / "villages" / f"{village.code}.key"
        cert_path = self.folder / "villages" / f"{village.code}.crt"
        with self._locked():
            if key_path.exists():
                with contextlib.suppress(OSError):  # in case it was widened since
                    key_path.chmod(0o600)
                key = _read_key(key_path, None)
            else:
                key = rsa.generate_private_key(public_exponent=65537, key_size=DEMO_KEY_BITS)
                _write_private(key_path, _private_pem(key))
                logger.info("generated the demo signing key of %s", village.code)
            cert = _read_certificates(cert_path)[0] if cert_path.exists() else None
            if cert is None or not _current_demo_certificate(cert, key, ca_cert, place):
                cert = _issue_village_certificate(place, key, ca_key, ca_cert)
                _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
        return VillageSigner(
            village.code, cert, key, chain=(), trust_roots=(ca_cert,), demo=True,
            long_term=self.long_term(),
        )  # fmt: skip

    def _demo_tsa(self) -> tuple[PrivateKeyTypes, x509.Certificate]:
        """The district's demo time-stamping key and certificate (made on first use)."""
        ca_key, ca_cert = self._demo_ca()
        key_path, cert_path = self.folder / "tsa.key", self.folder / "tsa.crt"
        with self._locked():
            if key_path.exists() and cert_path.exists():
                cert = _read_certificates(cert_path)[0]
                if cert.not_valid_after_utc > _now() + dt.timedelta(days=1):
                    return _read_key(key_path, None), cert
            key = rsa.generate_private_key(public_exponent=65537, key_size=DEMO_KEY_BITS)
            cert = _issue_tsa_certificate(key, ca_key, ca_cert)
            _write_private(key_path, _private_pem(key))
            _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
            logger.info("generated the demo time-stamping key in %s", self.folder)
            return key, cert

    def _demo_crl(self) -> x509.CertificateRevocationList:
        """The demo CA's current CRL (nothing revoked), re-issued when a week old."""
        ca_key, ca_cert = self._demo_ca()
        path = self.folder / "demo-ca.crl"
        with self._locked():
            if path.exists():
                crl = x509.load_pem_x509_crl(path.read_bytes())
                if crl.last_update_utc > _now() - dt.timedelta(days=CRL_REISSUE_DAYS):
                    return crl
            now = _now()
            crl = (
                x509.CertificateRevocationListBuilder()
                .issuer_name(ca_cert.subject)
                .last_update(now - dt.timedelta(minutes=5))
                .next_update(now + dt.timedelta(days=DEMO_CRL_DAYS))
                .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                    critical=False,
                )
                .sign(ca_key, hashes.SHA256())
            )
            _write_private(path, crl.public_bytes(serialization.Encoding.PEM))
            return crl

    # --- production keys --------------------------------------------------------------

    def _production_signer(self, village: Village) -> VillageSigner:
        assert self.production_keys is not None
        folder = self.production_keys
        roots = self.trust_roots()
        p12, key_path, cert_path = (
            folder / f"{village.code}{ext}" for ext in (".p12", ".key", ".crt")
        )
        if p12.is_file():
            _check_private(p12)
            key, cert, chain = _read_pkcs12(p12, self.__passphrase)
        elif key_path.is_file() and cert_path.is_file():
            _check_private(key_path)
            key = _read_key(key_path, self.__passphrase)
            cert, *chain = _read_certificates(cert_path)
        else:
            raise SigningKeysInvalid(
                NO_SIGNING_KEY(
                    village=village.name,
                    code=village.code,
                    folder=folder,
                    p12=p12.name,
                    key=key_path.name,
                    certificate=cert_path.name,
                )
            )
        if _public_der(key) != _public_der(cert):
            raise SigningKeysInvalid(KEY_NOT_OF_CERTIFICATE(code=village.code))
        if not names_village(cert, village):
            raise SigningKeysInvalid(
                CERTIFICATE_OF_ANOTHER(
                    code=village.code, names=_describe(cert), seal=village.seal_text
                )
            )
        return VillageSigner(
            village.code, cert, key, chain=chain, trust_roots=roots, demo=False,
            long_term=self.long_term(),
        )  # fmt: skip


@dataclass(frozen=True)
class SignatureReport:
    """What ``verify_pdf`` found out about a PDF's village signature.

    Attributes:
        path: The verified file.
        signed: Whether the file carries a signature at all.
        intact: Whether the signed bytes are unchanged and nothing was appended
            after signing (the signature covers the whole file).
        trusted: Whether the signer's certificate chains to a trusted root.
        signer_common_name: The signing certificate's CN (the committee's name).
        signer_code: The village code in the certificate (OU), if any.
        signer_fingerprint: SHA-256 of the signing certificate, in hex.
        signed_at: The signing time the signer claims (B-B has no trusted time).
        matches_expected: Whether the signer is the expected village; None when
            no village was expected or the signer is unknown.
        signatures: How many signatures the file carries (one is expected).
        problems: What is wrong, in Chinese and English; empty when all is well.
        level: The PAdES level reached: ``B-B``, ``B-T`` (a timestamp of the
            signature), ``B-LT`` (and the validation data embedded) or ``B-LTA``
            (and a document timestamp over it all).
        timestamps: When each valid timestamp (the signature's, then the
            document's) was made, oldest first.
        timestamp_until: Until when the newest timestamp holds (its TSA
            certificate's end); None without a timestamp.
    """

    path: Path
    signed: bool
    intact: bool
    trusted: bool
    signer_common_name: str | None = None
    signer_code: str | None = None
    signer_fingerprint: str | None = None
    signed_at: dt.datetime | None = None
    matches_expected: bool | None = None
    signatures: int = 0
    problems: list[str] = field(default_factory=list)
    level: str = "B-B"
    timestamps: list[dt.datetime] = field(default_factory=list)
    timestamp_until: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        """Signed, intact, trusted, by the expected village (when one was given)."""
        return (
            self.signed
            and self.intact
            and self.trusted
            and self.matches_expected is not False
            and not self.problems
        )


def sign_pdf(
    source: Path, target: Path, signer: VillageSigner, *, reason: str, location: str
) -> None:
    """Sign ``source`` as ``signer``'s village (PAdES B-B) and write ``target``.

    The signature is an incremental update: every byte of ``source`` is kept,
    so a PDF/A file stays PDF/A (checked: a lost PDF/A claim is an error).
    ``target`` is written through a temporary file and renamed, so it is
    either the complete signed file or untouched; it may be ``source``.

    Args:
        source: The PDF to sign (a collated case file); not yet signed.
        target: Where to write the signed PDF.
        signer: The village's key and certificate (``KeyStore.signer_for``).
        reason: The signature's reason (e.g. ``归档 / archived case file``).
        location: Where it is signed (e.g. the town).

    Raises:
        SigningError: ``source`` cannot be read or is already signed, the
            certificate does not chain to its trust roots, or ``target``
            cannot be written.
    """
    with stage("sign"):
        try:
            original = source.read_bytes()
        except OSError as exc:
            raise SigningError(CANNOT_READ(path=source, reason=exc.strerror)) from exc
        claim = _pdfa_claim(original, source)
        # The signature's update dates the document info and the XMP apart: on the rare
        # run that crosses a second between the two, they differ, so sign once more.
        for _ in range(_SIGNING_ATTEMPTS):
            signed = _sign(original, source, signer, reason=reason, location=location)
            signed_claim, in_step = _signed_state(signed, target)
            if in_step:
                break
        if signed_claim != claim:
            raise SigningError(PDFA_CLAIM_LOST(source=source, claim=claim))
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        try:
            with partial.open("wb") as handle:
                handle.write(signed)
                handle.flush()
                os.fsync(handle.fileno())
            partial.replace(target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise SigningError(CANNOT_WRITE(path=target, reason=exc.strerror)) from exc


_SIGNING_ATTEMPTS = 2


def _sign(
    original: bytes, source: Path, signer: VillageSigner, *, reason: str, location: str
) -> bytes:
    """``original`` signed by ``signer`` (PAdES B-B, an incremental update).

    The update names pyHanko as the producer in the document info and the XMP alike:
    signing appends pyHanko to the info's ``/Producer`` but writes the XMP's
    ``pdf:Producer`` as pyHanko alone, and PDF/A-2 (ISO 19005-2, 6.6.2.3.1) wants the
    two equal. The info says exactly that in the update before the signature is
    made; the tools that made the file stay named as its creator (``/Creator``).
    """
    output = io.BytesIO()
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(original))
        if writer.prev.embedded_signatures:
            raise SigningError(ALREADY_SIGNED(source=source))
        info = generic.DictionaryObject(_info_of(writer))  # type: ignore[no-untyped-call]
        info[generic.NameObject("/Producer")] = generic.TextStringObject(PYHANKO)
        writer.set_info(info)
        long_term = signer.long_term
        metadata = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            reason=reason,
            location=location,
            subfilter=SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            validation_context=(
                long_term.validation_context(signer.trust_roots, signer.chain)
                if long_term is not None
                else _validation_context(signer.trust_roots, signer.chain)
            ),
            signer_key_usage=set(_KEY_USAGES),
            embed_validation_info=long_term is not None,
            use_pades_lta=long_term is not None,
        )
        signers.PdfSigner(
            metadata,
            signer._pyhanko_signer,
            timestamper=long_term.timestamper if long_term is not None else None,
        ).sign_pdf(writer, output=output, bytes_reserved=signer.reserved_hex_digits)
    # OSError: a TSA that does not answer (pyHanko's TimestampRequestError is one).
    except (PdfError, ValueError, OSError, PathError, ValidationError) as exc:
        cause = exc.__cause__ if isinstance(exc.__cause__, PathError | ValidationError) else exc
        raise SigningError(
            CANNOT_SIGN_AS(
                source=source,
                name=signer.common_name,
                code=signer.village_code,
                reason=exc,
                cause=f" ({cause})" if cause is not exc else "",
            )
        ) from exc
    return output.getvalue()


def _info_of(writer: IncrementalPdfFileWriter) -> dict[generic.NameObject, generic.PdfObject]:
    """The entries of the document's info dictionary (none when it has none)."""
    try:
        info = writer.prev.trailer_view["/Info"]
    except KeyError:
        return {}
    return dict(info.get_object().items())


def _signed_state(signed: bytes, where: Path) -> tuple[str, bool]:
    """The signed file's PDF/A claim, and whether its info and XMP agree.

    Checked on the entries the signature's update writes: producer and modification date.
    """
    try:
        with pikepdf.open(io.BytesIO(signed)) as pdf:
            xmp = pdf.open_metadata()
            info = pdf.docinfo
            pairs = (("/Producer", "pdf:Producer"), ("/ModDate", "xmp:ModifyDate"))
            in_step = all(
                info_matches_xmp(info[key], xmp.get(name)) for key, name in pairs if key in info
            )
            return str(xmp.pdfa_status), in_step
    except pikepdf.PdfError as exc:
        raise SigningError(NOT_A_READABLE_PDF(path=where, reason=exc)) from exc


def verify_pdf(
    path: Path,
    *,
    expected_village: Village | None,
    trust_roots: Sequence[x509.Certificate],
    at: dt.datetime | None = None,
) -> SignatureReport:
    """Check the village signature of ``path``; a bad signature is reported, never raised.

    The chain of document timestamps is checked newest first: the newest must
    hold ``at`` (now by default), each older one as of the time of the one after
    it, and the signature with its own timestamp as of the oldest; so a file
    whose timestamps were renewed in time stays valid after the first TSA's
    certificate has ended.

    Args:
        path: The signed PDF.
        expected_village: The village that should have signed it, or None not
            to check the signer's identity.
        trust_roots: The root certificates to trust (``KeyStore.trust_roots``
            or ``load_trust_roots``); nothing is fetched from the network.
        at: When to judge the newest timestamp (or an unstamped signature) by.

    Returns:
        What was found; ``report.ok`` when all is well, else ``report.problems``.

    Raises:
        PdfUnreadable: The file cannot be read or is not a PDF at all.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PdfUnreadable(CANNOT_READ(path=path, reason=exc.strerror)) from exc
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        _ = reader.root
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise PdfUnreadable(NOT_A_READABLE_PDF(path=path, reason=exc)) from exc
    try:
        embedded: list[EmbeddedPdfSignature] = list(reader.embedded_signatures)
    except Exception as exc:  # a malformed signature is a finding, not a crash
        logger.debug("cannot read the signatures of %s", path, exc_info=True)
        return SignatureReport(
            path,
            signed=True,
            intact=False,
            trusted=False,
            problems=[SIGNATURE_DAMAGED(reason=exc)],
        )
    if not embedded:
        return SignatureReport(
            path,
            signed=False,
            intact=False,
            trusted=False,
            problems=[NOT_SIGNED()],
        )
    problems: list[str] = []
    stamps = [s for s in embedded if s.sig_object.get("/Type") == "/DocTimeStamp"]
    embedded = [s for s in embedded if s not in stamps]
    if not embedded:
        return SignatureReport(path, signed=False, intact=False, trusted=False,
                               problems=[NOT_SIGNED()])  # fmt: skip
    if len(embedded) > 1:
        problems.append(SEVERAL_SIGNATURES(count=len(embedded)))
    signature = embedded[-1]
    subfilter = str(signature.sig_object.get("/SubFilter", ""))
    if subfilter != _PADES:
        problems.append(NOT_PADES(subfilter=subfilter or "—"))
    chain = _stamp_chain(stamps, trust_roots, at)
    proven = chain.held[0][0] if chain.held else at  # the oldest timestamp proves the rest
    context = _validation_context(trust_roots, (), moment=proven)
    try:
        status = validate_pdf_signature(
            signature,
            context,
            key_usage_settings=KeyUsageConstraints(key_usage=set(_KEY_USAGES)),
        )
    except Exception as exc:  # pyhanko raises many kinds for damaged signatures
        logger.debug("cannot validate the signature of %s", path, exc_info=True)
        problems.append(SIGNATURE_NOT_VALIDATED(reason=exc))
        return SignatureReport(
            path,
            signed=True,
            intact=False,
            trusted=False,
            signatures=len(embedded),
            problems=problems,
        )
    eof = data.rfind(b"%%EOF")
    trailing = len(data[eof + 5 :].strip()) if eof >= 0 else 0
    # Validation data and document timestamps added after the signature (PAdES B-LT and
    # B-LTA) are the only later updates an archived file may have: pyhanko's analysis
    # tells them apart; after the newest document timestamp comes at most the update
    # with its own validation data, and nothing after the file's last %%EOF.
    total = reader.xrefs.total_revisions
    # Only document timestamps that all hold may follow the signature (an untrusted
    # one appended by anyone would otherwise pass as harmless).
    lta_only = (
        status.modification_level == ModificationLevel.LTA_UPDATES
        and bool(stamps)
        and not chain.problems
        and total - 1 - max(stamp.signed_revision for stamp in stamps) <= 1
        and not trailing
    )
    report = _report(
        path, len(data), signature, status, expected_village, len(embedded),
        problems + chain.problems, trailing=trailing, lta_only=lta_only,
    )  # fmt: skip
    return _with_long_term(report, reader, status, chain)


@dataclass(frozen=True)
class _StampChain:
    """The document timestamps that hold, oldest first: (made, holds until); and what failed."""

    held: list[tuple[dt.datetime, dt.datetime]]
    problems: list[str]


def _stamp_chain(
    stamps: Sequence[EmbeddedPdfSignature],
    roots: Sequence[x509.Certificate],
    at: dt.datetime | None,
) -> _StampChain:
    """Check the document timestamps newest first, each as of the time of the next."""
    held: list[tuple[dt.datetime, dt.datetime]] = []
    problems: list[str] = []
    moment = at
    for stamp in sorted(stamps, key=lambda s: s.signed_revision, reverse=True):
        try:
            found = validate_pdf_timestamp(stamp, _validation_context(roots, (), moment=moment))
        except Exception as exc:  # pyhanko raises many kinds for damaged timestamps
            problems.append(TIMESTAMP_INVALID(which="document", reason=exc))
            continue
        if not (found.intact and found.valid and found.trusted):
            problems.append(TIMESTAMP_INVALID(which="document", reason=found.summary()))
            continue
        held.append((found.timestamp, _not_after(found.signing_cert)))
        moment = found.timestamp
    return _StampChain(sorted(held), problems)


def _with_long_term(
    report: SignatureReport,
    reader: PdfFileReader,
    status: PdfSignatureStatus,
    chain: _StampChain,
) -> SignatureReport:
    """The report with the level reached, the timestamps and until when the newest holds."""
    token = status.timestamp_validity
    if token is None:
        return report
    if not (token.intact and token.valid and token.trusted):
        report.problems.append(TIMESTAMP_INVALID(which="signature", reason=token.summary()))
        return report
    held = sorted([(token.timestamp, _not_after(token.signing_cert)), *chain.held])
    level = "B-T"
    try:
        dss = DocumentSecurityStore.read_dss(reader)
        if dss.crls or dss.ocsps:
            level = "B-LTA" if chain.held and not chain.problems else "B-LT"
    except NoDSSFoundError:
        pass
    return dataclasses.replace(
        report, level=level, timestamps=[made for made, _ in held], timestamp_until=held[-1][1]
    )


def _not_after(certificate: Any) -> dt.datetime:
    """The end of an asn1crypto certificate's validity."""
    end: dt.datetime = certificate["tbs_certificate"]["validity"]["not_after"].native
    return end


def add_document_timestamp(
    data: bytes, long_term: LongTermValidation, roots: Sequence[x509.Certificate]
) -> bytes:
    """``data`` (a signed PDF) with the validation data of its timestamps and a new one.

    The update is appended: every byte of ``data`` is kept, so what follows it
    is all that renewing adds (what ``xwql archive retimestamp`` stores).

    Raises:
        SigningError: The PDF cannot be read or the TSA does not answer.
    """
    output = io.BytesIO()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        stamper = signers.PdfTimeStamper(long_term.timestamper)
        stamper.update_archival_timestamp_chain(
            reader, long_term.validation_context(roots, ()), in_place=False, output=output
        )
    except (PdfError, ValueError, OSError, PathError, ValidationError) as exc:
        raise SigningError(CANNOT_RETIMESTAMP(reason=exc)) from exc
    renewed = output.getvalue()
    if not renewed.startswith(data):
        raise SigningError(CANNOT_RETIMESTAMP(reason="the update did not keep the signed bytes"))
    return renewed


def load_trust_roots(path: Path) -> list[x509.Certificate]:
    """The certificates of a PEM file (e.g. ``trust-roots.pem`` or a demo ``demo-ca.crt``).

    Raises:
        SigningKeysInvalid: The file cannot be read or holds no certificate.
    """
    return _read_certificates(path)


def names_village(certificate: x509.Certificate, village: Village) -> bool:
    """Whether ``certificate`` is ``village``'s: CN is its seal text, any village code is its."""
    subject = certificate.subject
    if _attribute(subject, NameOID.COMMON_NAME) != village.seal_text:
        return False
    units = [str(a.value) for a in subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    return all(unit == village.code for unit in units if _VILLAGE_CODE.match(unit))


# --- verification helpers -------------------------------------------------------------


def _report(
    path: Path,
    size: int,
    signature: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    expected: Village | None,
    count: int,
    problems: list[str],
    *,
    trailing: int,
    lta_only: bool,
) -> SignatureReport:
    cert = x509.load_der_x509_certificate(status.signing_cert.dump())
    common_name = _attribute(cert.subject, NameOID.COMMON_NAME)
    unit = _attribute(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
    code = unit if unit and _VILLAGE_CODE.match(unit) else None

    digest_ok = bool(status.intact and status.valid)
    if not status.intact:
        problems.append(CHANGED_AFTER_SIGNING())
    elif not status.valid:
        problems.append(SIGNATURE_VALUE_INVALID())
    # Stricter than pyhanko's diff policy, which accepts some later updates (metadata,
    # DSS) as harmless: an archived file must end where its signature does.
    covered = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or lta_only
    if not covered:
        later = signature.reader.xrefs.total_revisions - 1 - signature.signed_revision
        start, length = int(signature.byte_range[-2]), int(signature.byte_range[-1])
        if trailing:
            problems.append(BYTES_AFTER_SIGNING(count=trailing))
        elif later > 0:
            level = status.modification_level
            problems.append(
                UPDATES_AFTER_SIGNING(
                    count=later, level=level.name if level is not None else "unknown"
                )
            )
        elif start + length < size:
            problems.append(BYTES_AFTER_SIGNING(count=size - start - length))
        else:
            coverage = status.coverage.name if status.coverage is not None else "unknown"
            problems.append(PARTIAL_COVERAGE(coverage=coverage))

    trusted = status.validation_path is not None and status.trust_problem_indic is None
    if not trusted:
        indication = status.trust_problem_indic
        reason = indication.name if isinstance(indication, enum.Enum) else "no path to a root"
        problems.append(UNTRUSTED(reason=reason))

    matches: bool | None = None
    if expected is not None:
        matches = names_village(cert, expected)
        if not matches:
            problems.append(
                WRONG_SIGNER(seal=expected.seal_text, code=expected.code, signer=_describe(cert))
            )
    return SignatureReport(
        path=path,
        signed=True,
        intact=digest_ok and covered,
        trusted=trusted,
        signer_common_name=common_name,
        signer_code=code,
        signer_fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        signed_at=status.signer_reported_dt,
        matches_expected=matches,
        signatures=count,
        problems=problems,
    )


def _validation_context(
    roots: Sequence[x509.Certificate],
    others: Sequence[x509.Certificate],
    *,
    crls: Sequence[x509.CertificateRevocationList] = (),
    moment: dt.datetime | None = None,
) -> ValidationContext:
    # Offline: nothing is fetched; without revocation data the check soft-fails. A
    # past ``moment`` judges certificates then (a timestamp proved they were valid).
    return ValidationContext(
        trust_roots=[_to_asn1(c) for c in roots],
        other_certs=[_to_asn1(c) for c in others],
        crls=[asn1_crl.CertificateList.load(c.public_bytes(serialization.Encoding.DER))
              for c in crls],
        allow_fetching=False, moment=moment, retroactive_revinfo=moment is not None,
    )  # fmt: skip


def _pdfa_claim(data: bytes, where: Path) -> str:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return str(pdf.open_metadata().pdfa_status)
    except pikepdf.PdfError as exc:
        raise SigningError(NOT_A_READABLE_PDF(path=where, reason=exc)) from exc


# --- keys and certificates ------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def _describe(cert: x509.Certificate) -> str:
    common_name = _attribute(cert.subject, NameOID.COMMON_NAME) or cert.subject.rfc4514_string()
    code = _attribute(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
    return f"{common_name} ({code})" if code else common_name


def _to_asn1(cert: x509.Certificate) -> Any:
    """The asn1crypto form of ``cert`` that pyhanko takes."""
    return next(iter(load_certs_from_pemder_data(cert.public_bytes(serialization.Encoding.DER))))


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,  # a.k.a. non-repudiation
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _village_name(place: Place) -> x509.Name:
    village = place.village
    if len(village.seal_text) > _CN_MAX:
        raise SigningKeysInvalid(SEAL_TEXT_TOO_LONG(code=village.code, limit=_CN_MAX))
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, place.district.name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, village.code),
            x509.NameAttribute(NameOID.COMMON_NAME, village.seal_text),
        ]
    )


def _issue_village_certificate(
    place: Place,
    key: PrivateKeyTypes,
    ca_key: CertificateIssuerPrivateKeyTypes,
    ca_cert: x509.Certificate,
) -> x509.Certificate:
    now = _now()
    not_after = min(now + dt.timedelta(days=365 * DEMO_VILLAGE_YEARS), ca_cert.not_valid_after_utc)
    public = key.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise SigningKeysInvalid(f"{place.village.code}: demo keys are RSA")
    return (
        x509.CertificateBuilder()
        .subject_name(_village_name(place))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def _current_demo_certificate(
    cert: x509.Certificate, key: PrivateKeyTypes, ca_cert: x509.Certificate, place: Place
) -> bool:
    """Whether a stored demo certificate still fits: same key, names, CA, and valid now."""
    if _public_der(key) != _public_der(cert) or cert.subject != _village_name(place):
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (InvalidSignature, ValueError, TypeError):
        return False
    now = _now()
    return cert.not_valid_before_utc <= now < cert.not_valid_after_utc - dt.timedelta(days=1)


def _issue_tsa_certificate(
    key: PrivateKeyTypes, ca_key: CertificateIssuerPrivateKeyTypes, ca_cert: x509.Certificate
) -> x509.Certificate:
    """A time-stamping certificate (RFC 3161 §2.3: the one critical extended key usage)."""
    now = _now()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_CA_ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, DEMO_TSA_NAME),
        ]
    )
    not_after = min(now + dt.timedelta(days=365 * DEMO_TSA_YEARS), ca_cert.not_valid_after_utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())  # type: ignore[arg-type]  # RSA, made above
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def _key_info(key: PrivateKeyTypes) -> Any:
    """The asn1crypto form of ``key`` that pyhanko takes."""
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return load_private_key_from_pemder_data(der, passphrase=None)


def _read_crls(paths: Sequence[Path]) -> list[x509.CertificateRevocationList]:
    """The CRLs of ``paths`` (PEM or DER).

    Raises:
        SigningKeysInvalid: A file cannot be read or is not a CRL.
    """
    crls = []
    for path in paths:
        try:
            data = path.read_bytes()
            crls.append(
                x509.load_pem_x509_crl(data)
                if data.lstrip().startswith(b"-----")
                else x509.load_der_x509_crl(data)
            )
        except (OSError, ValueError) as exc:
            raise SigningKeysInvalid(CRL_UNREADABLE(path=path, reason=exc)) from exc
    return crls


def _public_der(item: PrivateKeyTypes | x509.Certificate) -> bytes:
    return item.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _private_pem(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _issuer_key(key: PrivateKeyTypes, path: Path) -> CertificateIssuerPrivateKeyTypes:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningKeysInvalid(NOT_RSA(path=path))
    return key


def _write_private(path: Path, data: bytes) -> None:
    """Write ``path`` readable by its owner only, atomically (temp file, then rename)."""
    partial = path.with_name(f".{path.name}.part")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        partial.chmod(0o600)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise SigningKeysInvalid(CANNOT_WRITE(path=path, reason=exc.strerror)) from exc


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SigningKeysInvalid(KEY_FILE_TOO_OPEN(path=path, mode=mode))


def _read_key(path: Path, passphrase: bytes | None) -> PrivateKeyTypes:
    try:
        data = path.read_bytes()
        return serialization.load_pem_private_key(data, password=passphrase)
    except OSError as exc:
        raise SigningKeysInvalid(CANNOT_READ(path=path, reason=exc.strerror)) from exc
    except (ValueError, TypeError) as exc:
        # The message of cryptography names the problem, never the key material.
        raise SigningKeysInvalid(KEY_UNUSABLE(path=path, reason=exc)) from exc


def _read_certificates(path: Path) -> list[x509.Certificate]:
    try:
        certificates = x509.load_pem_x509_certificates(path.read_bytes())
    except OSError as exc:
        raise SigningKeysInvalid(CANNOT_READ(path=path, reason=exc.strerror)) from exc
    except ValueError as exc:
        raise SigningKeysInvalid(NOT_PEM(path=path, reason=exc)) from exc
    if not certificates:
        raise SigningKeysInvalid(NO_CERTIFICATE(path=path))
    return certificates


def _read_pkcs12(
    path: Path, passphrase: bytes | None
) -> tuple[PrivateKeyTypes, x509.Certificate, list[x509.Certificate]]:
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(path.read_bytes(), passphrase)
    except OSError as exc:
        raise SigningKeysInvalid(CANNOT_READ(path=path, reason=exc.strerror)) from exc
    except (ValueError, TypeError) as exc:
        raise SigningKeysInvalid(PKCS12_UNUSABLE(path=path, reason=exc)) from exc
    if key is None or cert is None:
        raise SigningKeysInvalid(PKCS12_INCOMPLETE(path=path))
    return key, cert, list(chain)


__all__ = [
    "DEMO_CA_NAME",
    "SIGNATURE_FIELD",
    "TRUST_ROOTS_FILE",
    "KeyStore",
    "SignatureReport",
    "VillageSigner",
    "load_trust_roots",
    "names_village",
    "sign_pdf",
    "verify_pdf",
]
