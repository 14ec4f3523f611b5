"""The archive's object store: the only code in xwql that talks S3.

Every archived object is written once, as a new *version* with an object-lock
retention (and optionally a legal hold), and is always read back **by version
id**. The store hashes content itself (an ETag is not a content hash: a
multipart ETag is ``md5-N``), keeps user metadata within the portable limits
(ASCII, under 2 KB; Chinese text goes in tags), and reads the retention of each
written version back, refusing to go on if the server did not record what was
asked.

There is deliberately no method that deletes an object or a bucket: the only
deleting call, :meth:`ObjectStore.try_delete_version`, exists for the
self-check, which proves that the server *refuses* it.

The clients get their own ``urllib3`` pool with connect/read timeouts and a
small retry budget: the SDK's default retries a failing server for about 85 s,
which hides a damaged object (SeaweedFS answers 500 for it) behind a hang.
Only reads are retried once sent: a write whose answer timed out may have been
stored, and sending it again would add a second version of the key (a versioned
PUT is not idempotent). The archiver's next run finds the stored copy instead.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import islice
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import ENABLED, Tags
from minio.deleteobjects import DeleteObject
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.retention import Retention
from urllib3.exceptions import HTTPError, MaxRetryError
from urllib3.exceptions import TimeoutError as HTTPTimeout

from pipeline.errors import (
    ObjectMetadataInvalid,
    Problem,
    StorageConfigInvalid,
    StorageError,
    WormNotEnforced,
)
from pipeline.programs.s3server import Credentials, EmbeddedS3, S3Endpoint

if TYPE_CHECKING:
    from pipeline.config import Settings

T = TypeVar("T")

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
RETRIES = 2
METADATA_LIMIT = 2048
MAX_TAGS = 10
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
EMBEDDED_REGION = "us-east-1"

_STATUS_HINT = "is the server up? `xwql storage status`"


def _refused(exc: BaseException) -> bool:
    """Whether the connection was refused: nothing listens (urllib3 wraps the OSError)."""
    pending: list[object] = [exc]
    visited: set[int] = set()
    while pending:
        seen = pending.pop()
        if not isinstance(seen, BaseException) or id(seen) in visited:
            continue
        visited.add(id(seen))
        if isinstance(seen, ConnectionRefusedError) or "Connection refused" in str(seen):
            return True
        pending += [seen.__cause__, seen.__context__, getattr(seen, "reason", None)]
    return False


# Header-safe metadata keys; AWS's tag alphabet (letters, digits, spaces, _ . : / = + - @).
_META_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_TAG_TEXT = re.compile(r"[\w\s.:/=+\-@]*")
MULTIPART_ABOVE = 5 * 1024 * 1024
"""The SDK uploads a larger object in parts (its minimum part size)."""
_NO_LOCK_CODES = {"ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration"}
# What S3 servers answer for a full bucket or disk (AWS has no quota; MinIO and Ceph do).
_FULL_CODES = {"QuotaExceeded", "XMinioAdminBucketQuotaExceeded", "XMinioStorageFull"}
_INSUFFICIENT_STORAGE = 507
# Requests sent again after a lost answer or a 5xx: reads only (see the module docstring).
_RETRIED_METHODS = frozenset({"GET", "HEAD"})
_READ_RETRIES = 1  # a stale keep-alive connection (server restarted) is a read error: once


class LockMode(StrEnum):
    """Object-lock retention modes."""

    COMPLIANCE = "COMPLIANCE"
    GOVERNANCE = "GOVERNANCE"

    @classmethod
    def parse(cls, value: str) -> LockMode:
        """The mode named by ``value`` (any case).

        Raises:
            StorageConfigInvalid: ``value`` names no mode.
        """
        try:
            return cls(value.strip().upper())
        except ValueError:
            raise StorageConfigInvalid(
                f"unknown object-lock mode {value!r} (XWQL_LOCK_MODE): "
                "use COMPLIANCE (the default) or GOVERNANCE"
            ) from None


@dataclass(frozen=True)
class StoredVersion:
    """One written object version.

    Attributes:
        key: The object key.
        version_id: The version the server assigned; read it back by this id only.
        sha256: Hex SHA-256 of the content, computed by xwql before writing.
        size: Content length in bytes.
    """

    key: str
    version_id: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ObjectRetention:
    """The object-lock retention of one version.

    Attributes:
        mode: COMPLIANCE or GOVERNANCE.
        retain_until: End of the retention, UTC, whole seconds (S3 keeps no more).
    """

    mode: LockMode
    retain_until: datetime


def stated_retention(headers: Mapping[str, str]) -> ObjectRetention | None:
    """The retention a GET answer states, or None when it states none readable."""
    mode = headers.get("x-amz-object-lock-mode")
    until = headers.get("x-amz-object-lock-retain-until-date")
    if not mode or not until:
        return None
    try:
        return ObjectRetention(
            LockMode(mode), whole_seconds(datetime.fromisoformat(until.replace("Z", "+00:00")))
        )
    except ValueError:  # an unknown mode or a date not in ISO 8601
        return None


def check_recorded(
    key: str,
    version_id: str,
    asked: ObjectRetention,
    recorded: ObjectRetention | None,
    *,
    at_least: bool = False,
) -> None:
    """Refuse a version whose recorded retention is not the one asked for.

    Args:
        key: The object key (for the message).
        version_id: Its version (for the message).
        asked: The retention asked for.
        recorded: The retention the server holds.
        at_least: Accept a lock of the asked mode that ends later (a version an
            earlier run wrote, whose end was computed then).

    Raises:
        WormNotEnforced: The server holds another retention, or none.
    """
    if (
        recorded is not None
        and recorded.mode == asked.mode
        and (
            recorded.retain_until == asked.retain_until
            or (at_least and recorded.retain_until > asked.retain_until)
        )
    ):
        return
    raise WormNotEnforced(
        f"the server did not record the retention of {key} (version {version_id}): "
        f"asked {_describe(asked)}{' or later' if at_least else ''}, it holds "
        f"{_describe(recorded)}; archiving refused"
    )


@dataclass(frozen=True)
class ObjectVersion:
    """One entry of a version listing.

    Attributes:
        key: The object key.
        version_id: The version id.
        is_latest: Whether this is the current version of the key.
        is_delete_marker: Whether this entry is a delete marker (no content).
        size: Content length (0 for delete markers).
        last_modified: When the version was written.
        etag: The server's ETag (not a content hash; informative only).
    """

    key: str
    version_id: str
    is_latest: bool
    is_delete_marker: bool
    size: int
    last_modified: datetime | None
    etag: str | None


@dataclass(frozen=True)
class BucketLock:
    """A bucket's object-lock configuration.

    Attributes:
        enabled: Object lock is enabled on the bucket.
        default_mode: Mode of the default retention rule, if the bucket has one.
        default_duration: Its length, e.g. ``"10 Years"``, if any.
    """

    enabled: bool
    default_mode: LockMode | None = None
    default_duration: str | None = None


@dataclass(frozen=True)
class ProbeResult:
    """What the server did with a request it must refuse (a deletion, an anonymous write).

    Attributes:
        refused: True if the server refused.
        code: The server's error code for a refusal (``AccessDenied``…).
        detail: A readable account, for reports.
    """

    refused: bool
    code: str | None
    detail: str


def whole_seconds(moment: datetime) -> datetime:
    """``moment`` in UTC, cut to whole seconds (the precision S3 keeps for retention).

    Raises:
        ValueError: ``moment`` has no time zone.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"retention dates must carry a time zone, got naive {moment}")
    return moment.astimezone(UTC).replace(microsecond=0)


def check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Validate user metadata: ASCII header-safe keys, printable ASCII values, < 2 KB.

    Raises:
        ObjectMetadataInvalid: With one problem per bad entry.
    """
    problems: list[Problem] = []
    total = 0
    for key, value in (metadata or {}).items():
        total += len(key.encode()) + len(value.encode())
        if not _META_KEY.fullmatch(key):
            problems.append(
                Problem("metadata", key, "keys must be ASCII letters, digits, '-', '_' or '.'")
            )
        if not value.isascii() or not value.isprintable():
            problems.append(
                Problem(
                    "metadata",
                    key,
                    f"value {value[:40]!r} is not printable ASCII: put Chinese text in tags "
                    "(at most 10, values up to 256 characters) or in metadata.json",
                )
            )
    if total >= METADATA_LIMIT:
        problems.append(
            Problem(
                "metadata",
                "",
                f"{total} bytes of user metadata; S3 allows under {METADATA_LIMIT}: "
                "keep the full record in metadata.json",
            )
        )
    if problems:
        raise ObjectMetadataInvalid("object metadata breaks the S3 limits", problems)
    return dict(metadata or {})


def check_tags(tags: Mapping[str, str] | None) -> Tags | None:
    """Validate object tags (at most 10; keys ≤ 128 and values ≤ 256 characters).

    Raises:
        ObjectMetadataInvalid: With one problem per bad tag.
    """
    if not tags:
        return None
    problems: list[Problem] = []
    if len(tags) > MAX_TAGS:
        problems.append(Problem("tags", "", f"{len(tags)} tags; S3 allows {MAX_TAGS} per object"))
    for key, value in tags.items():
        if not key or len(key) > MAX_TAG_KEY or not _TAG_TEXT.fullmatch(key):
            problems.append(
                Problem(
                    "tags",
                    key,
                    f"keys must be 1–{MAX_TAG_KEY} letters, digits, spaces or _ . : / = + - @",
                )
            )
        if len(value) > MAX_TAG_VALUE or not _TAG_TEXT.fullmatch(value):
            problems.append(
                Problem(
                    "tags",
                    key,
                    f"values must be up to {MAX_TAG_VALUE} letters, digits, "
                    f"spaces or _ . : / = + - @; got {value[:40]!r}",
                )
            )
    if problems:
        raise ObjectMetadataInvalid("object tags break the S3 limits", problems)
    result = Tags.new_object_tags()
    for key, value in tags.items():
        result[key] = value
    return result


def http_client(
    *,
    connect_timeout: float = CONNECT_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
    retries: int = RETRIES,
) -> urllib3.PoolManager:
    """The HTTP pool the S3 clients use: bounded timeouts and a small retry budget."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        retries=urllib3.Retry(
            total=retries,
            connect=retries,
            read=_READ_RETRIES,
            status=retries,
            backoff_factor=0.2,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=_RETRIED_METHODS,
            raise_on_status=False,  # hand the last answer to the SDK, with its S3 error code
            respect_retry_after_header=False,
        ),
        # One connection kept per thread that archives at once (a district's document
        # threads); a smaller pool drops and reopens connections under load.
        maxsize=64,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
    )


def _hint(code: str | None, status: int | None, *, writing: bool) -> str:
    if code in _FULL_CODES or status == _INSUFFICIENT_STORAGE:
        return "the bucket or the server's disk is full: free space or raise the bucket's quota"
    if code == "AccessDenied":
        return "refused: the access key lacks the right, or the version is locked"
    if code in {"NoSuchVersion", "NoSuchKey"}:
        return "no such object version; check the key and version id"
    if code == "NoSuchBucket":
        return "the bucket does not exist; `xwql storage status` sets it up"
    if code in {"InvalidAccessKeyId", "SignatureDoesNotMatch"}:
        return "wrong credentials: check XWQL_S3_ACCESS_KEY / XWQL_S3_SECRET_KEY"
    if status is not None and status >= 500 and writing:
        # SeaweedFS answers a bucket over its quota (made read-only) with a bare 500.
        return (
            "the server could not store it: the bucket may be over its quota or the server's "
            "disk full — the server log says which (`xwql storage status`)"
        )
    if status is not None and status >= 500:
        return (
            "the server failed; if it answers 500 for one version only, that version may be "
            "damaged — check the server log (`xwql storage status`)"
        )
    if status is not None:
        return "the server refused the request; `xwql storage status` shows how the store is set up"
    return _STATUS_HINT


def _timed_out(exc: BaseException) -> bool:
    """Whether a network failure is a server too slow to answer (not one that is down)."""
    reason = exc.reason if isinstance(exc, MaxRetryError) else exc
    return isinstance(reason, HTTPTimeout | TimeoutError)


class ObjectStore:
    """An object-locked, versioned S3 bucket holding the archive."""

    def __init__(
        self,
        endpoint: S3Endpoint,
        bucket: str,
        *,
        lock_mode: LockMode = LockMode.COMPLIANCE,
        region: str | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        retries: int = RETRIES,
    ) -> None:
        """Prepare clients for ``bucket`` at ``endpoint`` (no request is sent yet).

        Args:
            endpoint: URL and credentials; ``admin`` credentials, if any, are used
                only by :meth:`ensure_bucket`.
            bucket: The archive bucket.
            lock_mode: The mode archived objects should get (from the settings).
            region: The S3 region; None asks the server per bucket.
            connect_timeout: Seconds to wait for a connection.
            read_timeout: Seconds to wait for each answer.
            retries: Retries of a failed connection, or of a read answered 5xx.

        Raises:
            StorageConfigInvalid: The URL is not ``http(s)://host[:port]``.
        """
        parts = urlsplit(endpoint.url)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
            raise StorageConfigInvalid(
                f"the S3 URL must look like http(s)://host[:port], got {endpoint.url!r} "
                "(XWQL_S3_URL)"
            )
        self.url = f"{parts.scheme}://{parts.netloc}"
        self.bucket = bucket
        self.lock_mode = lock_mode
        self._netloc = parts.netloc
        self._secure = parts.scheme == "https"
        self._region = region
        self.read_timeout = read_timeout
        self.retries = retries
        self.http = http_client(
            connect_timeout=connect_timeout, read_timeout=read_timeout, retries=retries
        )
        self._app = self._client(endpoint.app)
        self._admin = self._client(endpoint.admin) if endpoint.admin else self._app

    def _client(self, credentials: Credentials | None) -> Minio:
        return Minio(
            self._netloc,
            access_key=credentials.access_key if credentials else None,
            secret_key=credentials.secret_key if credentials else None,
            secure=self._secure,
            region=self._region,
            http_client=self.http,
        )

    def __repr__(self) -> str:
        return f"ObjectStore({self.url}, bucket={self.bucket!r})"

    # --- error translation -------------------------------------------------------------

    def _call(self, what: str, action: Callable[[], T], *, writing: bool = False) -> T:
        """Run one SDK call; turn every S3 or network failure into a StorageError.

        ``writing`` marks a call that stores content, whose 5xx answers mean
        something else than those of a read (see :func:`_hint`).
        """
        try:
            return action()
        except S3Error as exc:
            status = exc.response.status if exc.response is not None else None
            raise StorageError(
                f"S3 {what} failed: {exc.code}: {exc.message} "
                f"(bucket {self.bucket} at {self.url}); {_hint(exc.code, status, writing=writing)}",
                code=exc.code,
                status=status,
            ) from exc
        except ServerError as exc:
            raise StorageError(
                f"S3 {what} failed: HTTP {exc.status_code} from {self.url}; "
                f"{_hint(None, exc.status_code, writing=writing)}",
                status=exc.status_code,
            ) from exc
        except InvalidResponseError as exc:
            raise StorageError(
                f"S3 {what} failed: {self.url} gave a non-S3 answer ({exc}); "
                f"is XWQL_S3_URL an S3 endpoint? {_STATUS_HINT}"
            ) from exc
        except (HTTPError, OSError) as exc:
            # Refused first: urllib3 reports a refused connection inside the same
            # MaxRetryError as a timeout, and blaming a slow server would mislead.
            if _refused(exc):
                raise StorageError(
                    f"S3 {what} failed: the S3 server at {self.url} is not running "
                    f"(connection refused); start it with `xwql storage up`, or check XWQL_S3_URL"
                ) from exc
            if _timed_out(exc):
                tries = 1 if writing else 1 + min(self.retries, _READ_RETRIES)
                asked = "asked once" if tries == 1 else f"asked {tries} times"
                raise StorageError(
                    f"S3 {what} failed: {self.url} did not answer within "
                    f"{self.read_timeout:g} s ({asked}); the server or the network is too slow "
                    f"or overloaded; {_STATUS_HINT}"
                ) from exc
            raise StorageError(
                f"S3 {what} failed: cannot reach {self.url} ({type(exc).__name__}: {exc}); "
                f"{_STATUS_HINT}"
            ) from exc

    # --- bucket --------------------------------------------------------------------------

    def ensure_bucket(self) -> bool:
        """Create the bucket with object lock (and so versioning) if it is missing.

        Uses the admin credentials when there are any. Never deletes anything.

        Returns:
            True if the bucket was created now.

        Raises:
            WormNotEnforced: The bucket exists without object lock or versioning
                (S3 cannot be trusted to add the lock later: use a new bucket).
            StorageError: The server failed or refused.
        """
        created = False
        if not self._call(
            f"check of bucket {self.bucket}", lambda: self._admin.bucket_exists(self.bucket)
        ):
            try:
                self._call(
                    f"creation of bucket {self.bucket}",
                    lambda: self._admin.make_bucket(self.bucket, object_lock=True),
                )
                created = True
            except StorageError as exc:
                if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise
        if not self.lock_configuration().enabled:
            raise WormNotEnforced(
                f"bucket {self.bucket} at {self.url} exists without object lock: it cannot "
                "hold the archive; name a new bucket (XWQL_S3_BUCKET) for xwql to create"
            )
        if not self.versioning_enabled():
            raise WormNotEnforced(
                f"bucket {self.bucket} at {self.url} has object lock but versioning is not "
                "enabled; the store cannot keep every version"
            )
        return created

    def lock_configuration(self) -> BucketLock:
        """The bucket's object-lock configuration (``enabled=False`` when it has none)."""
        try:
            config = self._call(
                f"read of the object-lock configuration of {self.bucket}",
                lambda: self._app.get_object_lock_config(self.bucket),
            )
        except StorageError as exc:
            if exc.code in _NO_LOCK_CODES:
                return BucketLock(enabled=False)
            raise
        if config.mode is None:
            return BucketLock(enabled=True)
        return BucketLock(
            enabled=True,
            default_mode=LockMode(config.mode),
            default_duration=f"{config.duration} {config.duration_unit}",
        )

    def versioning_enabled(self) -> bool:
        """Whether versioning is enabled on the bucket."""
        config = self._call(
            f"read of the versioning of {self.bucket}",
            lambda: self._app.get_bucket_versioning(self.bucket),
        )
        return bool(config.status == ENABLED)

    # --- objects -------------------------------------------------------------------------

    def put(
        self,
        key: str,
        data: bytes,
        *,
        retain_until: datetime,
        mode: LockMode,
        legal_hold: bool = False,
        tags: Mapping[str, str] | None = None,
        metadata: Mapping[str, str] | None = None,
        content_type: str = "application/octet-stream",
        check_retention: bool = True,
    ) -> StoredVersion:
        """Write ``data`` as a new locked version of ``key`` and check the lock took.

        Args:
            key: The object key.
            data: The content.
            retain_until: End of the retention (time-zone aware; cut to whole seconds).
            mode: COMPLIANCE or GOVERNANCE.
            legal_hold: Also put a legal hold on the version.
            tags: Up to 10 tags; Chinese text is fine here.
            metadata: User metadata: printable ASCII, under 2 KB in all.
            content_type: The content's media type.
            check_retention: Read the retention back now. A caller that reads
                the version back anyway passes False and checks the retention
                :meth:`get_locked` returns with it (one request fewer).

        Returns:
            The version written, with the SHA-256 computed here.

        Raises:
            ObjectMetadataInvalid: Metadata or tags break the S3 limits.
            WormNotEnforced: The server wrote no version, or did not record the
                retention or legal hold asked for.
            StorageError: The server failed or refused.
        """
        until = whole_seconds(retain_until)
        mode = LockMode(mode)
        meta = check_metadata(metadata)
        tag_set = check_tags(tags)
        digest = hashlib.sha256(data).hexdigest()
        result = self._call(
            f"write of {key}",
            lambda: self._app.put_object(
                self.bucket,
                key,
                io.BytesIO(data),
                len(data),
                content_type=content_type,
                metadata=dict(meta) if meta else None,
                tags=tag_set,
                retention=Retention(mode.value, until),
                legal_hold=legal_hold,
            ),
            writing=True,
        )
        version_id = result.version_id
        if not version_id:
            raise WormNotEnforced(
                f"the server wrote {key} in bucket {self.bucket} without a version id: "
                "versioning is off, an overwrite would destroy it; archiving refused"
            )
        asked = ObjectRetention(mode, until)
        if len(data) > MULTIPART_ABOVE or check_retention:
            recorded = self.retention(key, version_id)
            if recorded is None and len(data) > MULTIPART_ABOVE:
                # Ceph RGW 16.2 keeps no lock asked for with a multipart upload: the
                # version gets it now (a lock may always be added); read back there.
                self.set_retention(key, version_id, mode=mode, retain_until=until)
            else:
                check_recorded(key, version_id, asked, recorded)
        if legal_hold and not self.legal_hold(key, version_id):
            raise WormNotEnforced(
                f"the server did not record the legal hold of {key} (version {version_id}); "
                "archiving refused"
            )
        return StoredVersion(key, version_id, digest, len(data))

    def get(self, key: str, version_id: str) -> bytes:
        """The content of one version of ``key`` (always read by version id).

        Raises:
            StorageError: The version does not exist (``code`` ``NoSuchVersion``),
                the server failed (a damaged version answers 500), or did not answer.
        """
        return self._read(key, version_id)[0]

    def get_locked(self, key: str, version_id: str) -> tuple[bytes, ObjectRetention | None]:
        """The content of one version and its retention, in one request where possible.

        S3 servers send the retention with the content (``x-amz-object-lock-*``
        headers) to a caller allowed to read it; when they do not, it is asked for.

        Raises:
            StorageError: As :meth:`get`.
        """
        data, headers = self._read(key, version_id)
        stated = stated_retention(headers)
        # Not stated: the server does not send it, or the version has none. Ask.
        return data, stated if stated is not None else self.retention(key, version_id)

    def _read(self, key: str, version_id: str) -> tuple[bytes, Mapping[str, str]]:
        if not version_id:
            raise ValueError(f"read of {key}: a version id is required")

        def read() -> tuple[bytes, Mapping[str, str]]:
            response = self._app.get_object(self.bucket, key, version_id=version_id)
            try:
                return response.read(), response.headers
            finally:
                response.close()
                response.release_conn()

        return self._call(f"read of {key} (version {version_id})", read)

    def wait_until_readable(self, timeout: float = 30.0) -> float:
        """Wait until the server serves stored content again, after a start or restart.

        A restarted SeaweedFS answers listings and retention requests seconds
        before its volume server has registered again; until then every GET of
        content answers 500, which would look like damage. This reads up to
        three listed versions until one of them reads back.

        Returns:
            Seconds waited (0 when the bucket is missing or holds no content).

        Raises:
            StorageError: Nothing could be read within ``timeout`` seconds.
        """
        started = time.monotonic()
        while True:
            try:
                samples = self._call(f"listing of {self.bucket}", self._content_samples)
                failure: StorageError | None = None
                for key, version_id in samples:
                    try:
                        self.get(key, version_id)
                        break
                    except StorageError as exc:
                        failure = exc
                else:
                    if failure is not None:
                        raise failure
                return time.monotonic() - started
            except StorageError as exc:
                if exc.code == "NoSuchBucket":
                    return time.monotonic() - started
                if time.monotonic() - started > timeout:
                    raise StorageError(
                        f"{self.url} lists bucket {self.bucket} but serves no content after "
                        f"{timeout:.0f} s ({exc}); {_STATUS_HINT}",
                        code=exc.code,
                        status=exc.status,
                    ) from exc
                time.sleep(0.25)

    def _content_samples(self) -> list[tuple[str, str]]:
        """Up to three (key, version id) with content among the first 1000 listed."""
        listed = self._app.list_objects(self.bucket, recursive=True, include_version=True)
        found: list[tuple[str, str]] = []
        for item in islice(listed, 1000):
            if not item.is_delete_marker and (item.size or 0) > 0 and item.version_id:
                found.append((item.object_name, item.version_id))
                if len(found) == 3:
                    break
        return found

    def versions(self, prefix: str = "") -> list[ObjectVersion]:
        """Every version and delete marker under ``prefix``, as the server lists them."""

        def listing() -> list[ObjectVersion]:
            found: list[ObjectVersion] = []
            for item in self._app.list_objects(
                self.bucket, prefix=prefix, recursive=True, include_version=True
            ):
                found.append(
                    ObjectVersion(
                        key=item.object_name,
                        version_id=item.version_id or "null",
                        is_latest=str(item.is_latest).lower() == "true",
                        is_delete_marker=bool(item.is_delete_marker),
                        size=item.size or 0,
                        last_modified=item.last_modified,
                        etag=item.etag,
                    )
                )
            return found

        return self._call(f"listing of versions under {prefix!r}", listing)

    def children(self, prefix: str) -> list[str]:
        """The "folders" directly under ``prefix`` (keys cut after the next ``/``), sorted."""

        def listing() -> list[str]:
            return sorted(
                item.object_name
                for item in self._app.list_objects(self.bucket, prefix=prefix, recursive=False)
                if item.is_dir
            )

        return self._call(f"listing of {prefix!r}", listing)

    def retention(self, key: str, version_id: str) -> ObjectRetention | None:
        """The retention of one version, or None if it has none."""
        what = f"read of the retention of {key} (version {version_id})"
        try:
            config = self._call(
                what, lambda: self._app.get_object_retention(self.bucket, key, version_id)
            )
        except ValueError:
            # Ceph RGW writes the date with nanoseconds (…37.000000000Z), which the
            # SDK cannot parse; the version's HEAD carries the same retention.
            return self._retention_from_head(what, key, version_id)
        except StorageError as exc:
            # AWS says NoSuchObjectLockConfiguration (which the SDK maps to None);
            # SeaweedFS says ObjectLockConfigurationNotFoundError.
            if exc.code in _NO_LOCK_CODES:
                return None
            raise
        if config is None:
            return None
        return ObjectRetention(LockMode(config.mode), whole_seconds(config.retain_until_date))

    def _retention_from_head(self, what: str, key: str, version_id: str) -> ObjectRetention | None:
        """The retention as the headers of a HEAD of the version state it (S3's HeadObject)."""
        head = self._call(
            what, lambda: self._app.stat_object(self.bucket, key, version_id=version_id)
        )
        return stated_retention(head.metadata or {})

    def set_retention(
        self, key: str, version_id: str, *, mode: LockMode, retain_until: datetime
    ) -> ObjectRetention:
        """Set the retention of one version (extending it; S3 refuses to shorten a lock).

        Returns:
            The retention read back after the change.

        Raises:
            StorageError: The server refused (``code`` ``AccessDenied``) or failed.
            WormNotEnforced: The server accepted but recorded something else.
        """
        asked = ObjectRetention(LockMode(mode), whole_seconds(retain_until))
        self._call(
            f"change of the retention of {key} (version {version_id})",
            lambda: self._app.set_object_retention(
                self.bucket,
                key,
                Retention(asked.mode.value, asked.retain_until),
                version_id=version_id,
            ),
        )
        recorded = self.retention(key, version_id)
        if recorded != asked:
            raise WormNotEnforced(
                f"the server accepted a new retention for {key} (version {version_id}) but "
                f"holds {_describe(recorded)} instead of {_describe(asked)}"
            )
        return asked

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        """Put (``on``) or release a legal hold on one version."""
        if on:
            self._call(
                f"legal hold on {key} (version {version_id})",
                lambda: self._app.enable_object_legal_hold(self.bucket, key, version_id),
            )
        else:
            self._call(
                f"release of the legal hold on {key} (version {version_id})",
                lambda: self._app.disable_object_legal_hold(self.bucket, key, version_id),
            )

    def legal_hold(self, key: str, version_id: str) -> bool:
        """Whether one version is under legal hold."""
        try:
            return self._call(
                f"read of the legal hold of {key} (version {version_id})",
                lambda: self._app.is_object_legal_hold_enabled(self.bucket, key, version_id),
            )
        except StorageError as exc:
            # SeaweedFS answers 404 NoSuchObjectLegalHold for a version never held.
            if exc.code in _NO_LOCK_CODES or exc.code == "NoSuchObjectLegalHold":
                return False
            raise

    # --- probes for the self-check -------------------------------------------------------

    def try_delete_version(
        self,
        key: str,
        version_id: str,
        *,
        batch: bool = False,
        bypass_governance: bool = False,
    ) -> ProbeResult:
        """Ask the server to delete one version; for the self-check only, to prove refusal.

        Args:
            key: The object key.
            version_id: The version to delete.
            batch: Use DeleteObjects (which answers HTTP 200 and reports each
                refusal in its per-key error list) instead of DELETE.
            bypass_governance: Send ``x-amz-bypass-governance-retention``
                (implies ``batch``; the application must not hold that right).

        Returns:
            Whether the server refused, and why.

        Raises:
            StorageError: The server failed (a refusal is not a failure).
        """
        what = f"deletion of {key} (version {version_id})"
        if not (batch or bypass_governance):
            try:
                self._call(
                    what, lambda: self._app.remove_object(self.bucket, key, version_id=version_id)
                )
            except StorageError as exc:
                if exc.status is not None and 400 <= exc.status < 500:
                    detail = f"DELETE refused: HTTP {exc.status} {exc.code}"
                    return ProbeResult(True, exc.code, detail)
                raise
            return ProbeResult(False, None, "DELETE of the version succeeded")
        errors = self._call(
            what,
            lambda: list(
                self._app.remove_objects(
                    self.bucket,
                    [DeleteObject(key, version_id)],
                    bypass_governance_mode=bypass_governance,
                )
            ),
        )
        mine = [e for e in errors if e.name in (None, key)]
        if mine:
            codes = ", ".join(sorted({e.code for e in mine}))
            return ProbeResult(True, mine[0].code, f"DeleteObjects reported per-key {codes}")
        return ProbeResult(False, None, "DeleteObjects reported no error: the version is gone")

    def try_anonymous_put(self, key: str) -> ProbeResult:
        """Try to write one byte without credentials; for the self-check only.

        Returns:
            Whether the server refused (``refused``), and why.
        """
        anonymous = self._client(None)
        try:
            self._call(
                f"anonymous write of {key}",
                lambda: anonymous.put_object(self.bucket, key, io.BytesIO(b"x"), 1),
            )
        except StorageError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return ProbeResult(True, exc.code, f"refused: HTTP {exc.status} {exc.code}")
            raise
        return ProbeResult(False, None, "an anonymous PUT was accepted")


def _describe(retention: ObjectRetention | None) -> str:
    if retention is None:
        return "no retention"
    return f"{retention.mode.value} until {retention.retain_until.isoformat()}"


def open_store(
    settings: Settings, *, read_timeout: float = READ_TIMEOUT, retries: int = RETRIES
) -> tuple[ObjectStore, EmbeddedS3 | None]:
    """The archive store the settings name, starting the embedded server if needed.

    With ``s3_url`` set, that endpoint is used with the given credentials and
    nothing is started. Otherwise the embedded SeaweedFS in ``s3_dir`` is started
    (or the running one reused); its admin credentials serve bucket set-up only.

    Args:
        settings: The settings.
        read_timeout: Seconds to wait for each answer.
        retries: Retries of a failed connection or a 5xx answer (a fixity sweep
            takes 0: a damaged object must cost one timeout, not several).

    Returns:
        The store (its bucket not yet checked: call :meth:`ObjectStore.ensure_bucket`)
        and the embedded server, or None for an external endpoint.

    Raises:
        StorageConfigInvalid: The S3 settings are incomplete or wrong.
    """
    mode = LockMode.parse(settings.lock_mode)
    if settings.s3_url:
        if not (settings.s3_access_key and settings.s3_secret_key):
            raise StorageConfigInvalid(
                f"XWQL_S3_URL is {settings.s3_url} but its credentials are missing: set "
                "XWQL_S3_ACCESS_KEY and XWQL_S3_SECRET_KEY (or their …_FILE forms)"
            )
        endpoint = S3Endpoint(
            settings.s3_url, Credentials(settings.s3_access_key, settings.s3_secret_key)
        )
        store = ObjectStore(
            endpoint, settings.s3_bucket, lock_mode=mode, read_timeout=read_timeout, retries=retries
        )
        return store, None
    server = EmbeddedS3(settings.s3_dir)
    was_running = server.pid() is not None
    endpoint = server.start()
    store = ObjectStore(
        endpoint,
        settings.s3_bucket,
        lock_mode=mode,
        region=EMBEDDED_REGION,
        read_timeout=read_timeout,
        retries=retries,
    )
    if not was_running:
        # The server answers before its volume server has registered (see wait_until_readable).
        store.wait_until_readable()
    return store, server


def retention_from_now(days: float) -> datetime:
    """A retention end ``days`` from now, UTC, whole seconds."""
    return whole_seconds(datetime.now(UTC) + timedelta(days=days))
