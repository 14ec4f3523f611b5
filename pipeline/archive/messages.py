"""The messages of the archive, in Chinese and English (see ``pipeline.errors.Bilingual``)."""

from __future__ import annotations

from pipeline.errors import Bilingual

# --- _names.py: payload file names
NAME_EMPTY = Bilingual("文件名为空", "the name is empty")
NAME_NOT_UNICODE = Bilingual(
    "文件名不是有效的 Unicode", "the name is not valid Unicode (lone surrogate)"
)
NAME_CONTROL_CHARACTER = Bilingual(
    "文件名含控制字符 U+{code:04X}",
    "the name contains a control or invisible format character",
)
NAME_FORBIDDEN_CHARACTER = Bilingual(
    "文件名含不允许的字符 {char!r}", "the character {char!r} is not allowed"
)
NAME_ABSOLUTE = Bilingual("文件名不能是绝对路径", "the name must be relative, not absolute")
NAME_BAD_COMPONENT = Bilingual(
    "文件名含非法路径段 {part!r}",
    "the name has an empty, '.' or '..' component (it must stay inside the package)",
)
NAME_COMPONENT_EDGE = Bilingual(
    "路径段 {part!r} 以空格或句点结尾",
    "a component starts or ends with a space or ends with a dot",
)
NAME_TOO_LONG = Bilingual(
    "文件名过长（{size} 字节）",
    "the name is {size} bytes of UTF-8; at most {limit} are allowed",
)

# --- archiver.py
NOT_ARCHIVED_PACKAGE_STAYS = Bilingual(
    "未归档",
    "{unit} ({code}) is not archived: {cause}. Its package stays in {folder}; "
    "the next run finishes it once the cause is fixed",
)
ARCHIVE_BUSY = Bilingual(
    "{unit} 正由 {worker} 归档，租期已过仍未完成",
    "{unit} is being filed by {worker}, which has not finished within its lease; run again "
    "later (a killed worker's claim lapses and is taken over)",
)
ARCHIVE_CONFLICT = Bilingual(
    "归档冲突",
    "{key} already holds other content in bucket {bucket}; xwql never overwrites. "
    "Report this to the archive administrator",
)
READS_BACK_OTHER_BYTES = Bilingual(
    "写入后校验失败",
    "{key} (version {version}) reads back different bytes from what was written",
)

# --- auditors.py
MAY_NOT = Bilingual(
    "无权{what_zh}",
    "{user} ({role}) may not {what_en}: the {needed} role is needed",
)
REGISTRY_UNREADABLE = Bilingual(
    "旧版用户登记文件损坏，无法导入",
    "{path} (the archive's users of an earlier version, imported into the database on "
    "first use) is not readable: {reason}; repair it, or move it away and add its users "
    "again with `xwql auditors add`",
)
REGISTRY_WITHOUT_USERS = Bilingual(
    "旧版用户登记文件损坏，无法导入",
    "{path} (the archive's users of an earlier version) has no users list; repair it, "
    "or move it away and add its users again with `xwql auditors add`",
)
USER_NAME_LENGTH = Bilingual("用户名应为 1–60 个字符", "a user name has 1–60 characters")
USER_EXISTS = Bilingual("用户 {name} 已存在", "{name} exists; revoke it first to issue a new token")
TOKEN_NEEDED = Bilingual(
    "需要审计口令",
    "an audit token is needed: set {variable} (or --token-file) "
    "to the token `xwql auditors add` gave you",
)
TOKEN_INVALID = Bilingual("审计口令无效", "the audit token is not valid (revoked or mistyped)")

# --- idkey.py
INDEX_KEY_TOO_SHORT = Bilingual(
    "索引密钥过短",
    "XWQL_INDEX_KEY (or the file XWQL_INDEX_KEY_FILE names) has {length} characters; "
    "use at least {minimum} random ones "
    '(e.g. python3 -c "import secrets; print(secrets.token_hex(32))")',
)
INDEX_KEY_READABLE_BY_OTHERS = Bilingual(
    "索引密钥可被他人读取", "{path} is readable by others (mode {mode}): chmod 600 {path}"
)
INDEX_KEY_UNREADABLE = Bilingual("无法读取索引密钥", "cannot read or create {path}: {reason}")
INDEX_KEY_FILE_EMPTY = Bilingual(
    "索引密钥文件损坏",
    "{path} holds no key; remove it (a new one is made) and run `xwql archive reindex`",
)

# --- fleet.py: the keys every worker shares
FLEET_SIGNING_KEYS = Bilingual("签名密钥（根证书）", "signing keys (their CA certificate)")
FLEET_INDEX_KEY = Bilingual("检索库身份证号密钥", "index key (of the ID-number hashes)")
FLEET_ARCHIVE_KEYS = Bilingual("档案密钥", "archive keyring (sealing personal data)")
FLEET_KEY_DIFFERS = Bilingual(
    "本机的{key_zh}与集群登记的不一致（本机指纹 {mine}…，集群 {fleet}…）："
    "请把集群的密钥复制到本机，或把 {variable} 指向它",
    "{key_en}: this worker's fingerprint is {mine}… (from {source}), the fleet's {fleet}… "
    "(registered by {host} on {date}); copy the fleet's to this worker or point {variable} "
    "at them, then check with `xwql doctor`",
)

# --- signing.py: long-term validation
CRL_UNREADABLE = Bilingual(
    "无法读取证书吊销列表", "{path}: not a readable CRL (PEM or DER): {reason}"
)

TIMESTAMP_INVALID = Bilingual("时间戳无效", "the {which} timestamp does not hold: {reason}")
CANNOT_RETIMESTAMP = Bilingual("无法加盖新的时间戳", "cannot add a document timestamp: {reason}")

# --- sealing.py
ARCHIVE_KEYS_READABLE_BY_OTHERS = Bilingual(
    "档案密钥可被他人读取", "{path} is readable by others (mode {mode}): chmod 600 {path}"
)
ARCHIVE_KEYS_MISSING = Bilingual(
    "找不到档案密钥",
    "XWQL_ARCHIVE_KEYS names {path}, which does not exist: mount or restore it, or make a "
    "new keyring there with `xwql archive rotate-key`",
)
ARCHIVE_KEYS_UNREADABLE = Bilingual(
    "无法读取档案密钥",
    "cannot read or create the archive keyring {path}: {reason}; restore it from its backup "
    "(XWQL_ARCHIVE_KEYS names it)",
)
SEALED_MALFORMED = Bilingual("加密部分已损坏", "{name} is not a sealed file: {reason}")
SEALED_FOR_OTHER = Bilingual(
    "加密部分不属于本档案", "{name} was sealed for {other}: it was moved from another package"
)
ARCHIVE_KEY_MISSING = Bilingual(
    "缺少档案密钥",
    "{name} is sealed with archive key {kid}, which {path} does not hold; "
    "restore the keyring from its backup",
)
SEALED_TAMPERED = Bilingual(
    "加密部分被改动", "{name} does not open with its key: it was changed after it was sealed"
)

NOT_RENEWABLE = Bilingual("无法续加时间戳", "{code}: {reason}")
NO_VALID_SIGNATURE = Bilingual("无有效签名", "no valid signature to timestamp")
NO_TIMESTAMP = Bilingual(
    "签名无时间戳",
    "PAdES {level}: no timestamp (signed without a TSA); it holds as long as "
    "the signer's certificate",
)
TIMESTAMP_EXPIRED = Bilingual(
    "时间戳已过期",
    "the newest timestamp held until {until}: run `xwql archive retimestamp` "
    "before a timestamp ends",
)
TIMESTAMP_HOLDS = Bilingual("时间戳有效", "PAdES {level}; the newest timestamp holds until {until}")
SEALED_OPEN = Bilingual(
    "个人信息部分已加密，可用档案密钥打开",
    "{count} personal part(s) sealed for the internal role open with archive key {keys} "
    "and are the files recorded",
)
SEALED_NOT_OPENED = Bilingual("加密部分未打开", "sealed: not opened without the archive keys")
NOTHING_SEALED = Bilingual("无个人信息部分", "no personal part to seal")
PERSONAL_DATA_UNSEALED = Bilingual(
    "个人信息未加密（加密前归档）",
    "the personal data is stored unsealed in metadata.json (archived before sealing); "
    "see RELIABILITY.md",
)

# --- index.py
INDEX_DATABASE_UNSUPPORTED = Bilingual(
    "档案检索只支持 SQLite 和 PostgreSQL",
    "the archive index runs on SQLite or PostgreSQL, not {name!r}",
)
NO_FTS5 = Bilingual(
    "这个 SQLite 没有 FTS5",
    "this SQLite has no FTS5 ({error}); use a Python built with it, or PostgreSQL",
)
INDEX_WITHOUT_ID_KEY = Bilingual(
    "检索库未配置身份证号密钥",
    "this index was opened without the ID-number key "
    "(XWQL_INDEX_KEY or the data folder's key file)",
)
ID_HASHES_REMOVED = Bilingual(
    "检索库需要重建",
    "the index's ID-number hashes were made with another key and were removed; "
    "run `xwql archive reindex` to search by ID number again",
)
PAGE_OUT_OF_RANGE = Bilingual(
    "分页参数无效",
    "page out of range: limit must be 1–{max_limit} and offset ≥ 0 "
    "(got limit={limit}, offset={offset})",
)
DATES_REVERSED = Bilingual(
    "起始日期晚于截止日期", "date_from {date_from} is after date_to {date_to}"
)
QUERY_TOO_LONG = Bilingual("检索词过长", "{field} is longer than {limit} characters")

# --- metadata.py: archival codes
ARCHIVAL_CODE_INVALID = Bilingual(
    "档号有误",
    "invalid archival code part {value!r}: {why} "
    "(form: FONDS-YYYY-{{Y|D30|D10}}-VILLAGE-NNN-NNNN, e.g. LZ-QL-001-2026-D30-QL.NM-022-0007)",
)
# Its reasons, in English only (str.format blanks), filling ARCHIVAL_CODE_INVALID's {why}:
FONDS_FORM = "a fonds is A-Z and 0-9 in '-'-separated groups, ≤ {limit}"
YEAR_FORM = "the year must have four digits"
RETENTION_FORM = "the retention is 永久, 30年 or 10年"
VILLAGE_CODE_FORM = "a village code is A-Z, 0-9 and '-', starting with A-Z"
ITEM_CODE_FORM = "an item code looks like xwql-022"
SEQUENCE_RANGE = "the sequence runs from 1 to 9999"
NOT_SIX_FIELDS = "it does not have six '-'-separated fields"
YEAR_FIELD_NOT_FOUR_DIGITS = "the year field {year!r} is not four digits"
RETENTION_FIELD_UNKNOWN = "the retention field {retention!r} is not Y, D30 or D10"
ITEM_FIELD_NOT_THREE_DIGITS = "the item field {item!r} is not three digits"
SEQUENCE_FIELD_NOT_FOUR_DIGITS = "the sequence field {sequence!r} is not four digits"
VILLAGE_FIELD_NOT_A_CODE = "the village field {village!r} is not a village code"
NOT_CANONICAL = "it is not in canonical form"

# --- retrieval.py
OBJECT_DELETED = Bilingual("删除标记", "someone deleted the object via S3")
OBJECT_REWRITTEN = Bilingual(
    "被改写", "written {count} times; xwql writes each object once (versions {versions})"
)
NOTHING_ARCHIVED_UNDER = Bilingual("档号 {code} 不在档案库中", "nothing is archived under {code}")
OUT_FOLDER_EXISTS = Bilingual("{folder} 已存在", "exists already: choose an empty --out folder")
CANNOT_WRITE_INTO = Bilingual("无法写入", "cannot write into {out}: {reason}")
CANNOT_WRITE_PACKAGE_INTO = Bilingual(
    "无法写入",
    "cannot write package {code} into {out}: {reason}; nothing was left there: "
    "free space (or choose another --out) and fetch it again",
)

# --- package.py: the problems of a package, listed as "path: 中文 English" (problem_line)
CHECKSUM_MISMATCH = Bilingual(
    "校验值不符", "checksum mismatch (manifest {expected}…, file {actual}…)"
)
FILE_MISSING = Bilingual("文件缺失", "file missing")
UNEXPECTED_FILE = Bilingual("多出的文件", "unexpected file (in no manifest)")
SIZE_MISMATCH = Bilingual(
    "大小不符", "size mismatch (metadata {expected} bytes, file {actual} bytes)"
)
OXUM_MISMATCH = Bilingual(
    "Payload-Oxum 不符", "mismatch (declared {expected}, found {actual}: bytes.files)"
)
METADATA_INVALID = Bilingual("元数据无效", "metadata invalid: {errors}")
TAG_FILE_INVALID = Bilingual("标签文件有误", "tag file invalid: {message}")


def problem_line(path: str, problem: Bilingual) -> str:
    """A package problem as listed: its path, then the filled Chinese and English side by side."""
    return f"{path}: {problem.zh} {problem.en}"


# --- package.py: validating and building
PACKAGE_INVALID = Bilingual(
    "归档包校验失败",
    "package {folder} is not valid ({count} problem(s)); do not file or serve it",
)
SOURCE_MISSING = Bilingual("归档文件不存在", "{source} (for {name}) is not a readable file")
PACKAGE_FOLDER_TAKEN = Bilingual(
    "目标已存在",
    "{folder} exists and is not empty: a package is never overwritten; choose a new folder",
)
CANNOT_WRITE_UNDER = Bilingual("无法写入", "cannot write under {folder}: {reason}")
CANNOT_WRITE_PACKAGE = Bilingual("无法写入归档包", "cannot write the package {folder}: {reason}")
NAME_RESERVED = Bilingual("metadata.json 由 xwql 写入", "the name metadata.json is reserved")
NAME_COLLIDES = Bilingual("与 {other!r} 重名", "collides with {other!r} (NFC, case)")
UNSAFE_NAMES = Bilingual("归档文件名不安全", "unsafe file names for a package")
UNKNOWN_ROLE = Bilingual("未知的文件角色", "{reason}; roles are {known}")
RECORD_DOES_NOT_FIT = Bilingual("归档元数据与文件不符", "the record does not fit the files")
CANNOT_READ_SOURCE = Bilingual("无法读取", "cannot read {source} for the package: {reason}")
SOURCE_NOT_PDF = Bilingual(
    "不是可读的 PDF",
    "{source} is not a readable PDF ({reason}); files named .pdf must be the PDF/A documents",
)

# --- signing.py: keys and certificates
KEY_FOLDER_UNUSABLE = Bilingual(
    "无法使用签名密钥目录", "cannot use the signing key folder {folder}: {reason}"
)
NO_SIGNING_KEY = Bilingual(
    "没有{village}的签名密钥",
    "no signing key for {code} in {folder}: expected {p12}, or {key} and {certificate}",
)
KEY_NOT_OF_CERTIFICATE = Bilingual(
    "{code}: 私钥与证书不匹配", "the private key does not belong to the certificate"
)
CERTIFICATE_OF_ANOTHER = Bilingual(
    "{code}: 证书不是该村的", "the certificate names {names}, not {seal} ({code})"
)
SEAL_TEXT_TOO_LONG = Bilingual(
    "{code}: 印章文字过长",
    "the seal text is longer than {limit} characters and cannot be a certificate's common name",
)
NOT_RSA = Bilingual("{path}: 不是 RSA 密钥", "not the RSA key xwql generated")
KEY_FILE_TOO_OPEN = Bilingual(
    "{path}: 私钥文件权限过宽",
    "key file is accessible to others (mode {mode:o}); chmod 600 {path}",
)
KEY_UNUSABLE = Bilingual(
    "{path}: 无法读取私钥", "not a usable private key (wrong passphrase?): {reason}"
)
NOT_PEM = Bilingual("{path}: 不是 PEM 证书", "not PEM certificates: {reason}")
NO_CERTIFICATE = Bilingual("{path}: 没有证书", "holds no certificate")
PKCS12_UNUSABLE = Bilingual(
    "{path}: 无法读取 PKCS#12", "not a usable PKCS#12 file (wrong passphrase?): {reason}"
)
PKCS12_INCOMPLETE = Bilingual("{path}: PKCS#12 缺少私钥或证书", "lacks the key or certificate")
CANNOT_READ = Bilingual("无法读取", "cannot read {path}: {reason}")
CANNOT_WRITE = Bilingual("无法写入", "cannot write {path}: {reason}")

# --- signing.py: signing
ALREADY_SIGNED = Bilingual(
    "{source} 已经签名", "is already signed; sign the fresh collation instead"
)
CANNOT_SIGN_AS = Bilingual("{source}: 无法以{name}签名", "cannot sign as {code}: {reason}{cause}")
PDFA_CLAIM_LOST = Bilingual(
    "{source}: 签名后丢失 PDF/A 标识",
    "signing lost the PDF/A-{claim} claim; nothing was written",
)
NOT_A_READABLE_PDF = Bilingual("不是可读的 PDF", "{path} is not a readable PDF: {reason}")

# --- signing.py: what a verification finds
SIGNATURE_DAMAGED = Bilingual("签名数据损坏", "the signature data is damaged: {reason}")
NOT_SIGNED = Bilingual("未签名", "not signed: the PDF carries no digital signature")
SEVERAL_SIGNATURES = Bilingual(
    "有 {count} 个签名",
    "{count} signatures: an archived case file carries exactly one; the last one is reported",
)
NOT_PADES = Bilingual("不是 PAdES 签名", "not a PAdES signature (SubFilter {subfilter})")
SIGNATURE_NOT_VALIDATED = Bilingual("签名无法验证", "the signature cannot be validated: {reason}")
CHANGED_AFTER_SIGNING = Bilingual(
    "签名后内容被改动",
    "changed after signing: the signed bytes no longer match the signature",
)
SIGNATURE_VALUE_INVALID = Bilingual("签名值无效", "the signature value does not verify")
UPDATES_AFTER_SIGNING = Bilingual(
    "签名后文件被追加修改",
    "modified after signing: {count} incremental update(s) appended after the signature "
    "(pyhanko: {level})",
)
BYTES_AFTER_SIGNING = Bilingual(
    "签名后文件被追加内容",
    "modified after signing: {count} byte(s) appended after the signed range",
)
PARTIAL_COVERAGE = Bilingual(
    "签名未覆盖整个文件", "the signature does not cover the whole file ({coverage})"
)
UNTRUSTED = Bilingual(
    "签名证书不受信任",
    "untrusted: the signer's certificate does not chain to a trusted root ({reason})",
)
WRONG_SIGNER = Bilingual(
    "签名单位不符",
    "signed by the wrong body: expected {seal} ({code}), signed by {signer}",
)

# --- verify.py
NOT_INDEXED = Bilingual("不在检索库中", "not in the index: run `xwql archive reindex`")
NO_MANIFEST = Bilingual("清单缺失", "no manifest to compare")
DIGEST_DIFFERS = Bilingual(
    "清单摘要与归档时不符",
    "the manifest's SHA-256 {digest}… is not the one recorded when filed ({filed}…)",
)
DIGEST_AS_FILED = Bilingual("清单摘要与归档时一致", "manifest SHA-256 as filed ({digest}…)")
METADATA_UNREADABLE = Bilingual("元数据不可读", "{reason}")
NO_METADATA = Bilingual("元数据不可读", "no metadata")
NO_MAIN_PDF = Bilingual("没有正文 PDF", "no main PDF")
NOT_SIGNED_BY_VILLAGE = Bilingual("{pdf}: 签名者不是本村", "not signed by the record's village")
UNSIGNED_NOT_REQUIRED = Bilingual("未签名（此类不要求）", "not signed")
SIGNATURE_VALID = Bilingual("签名有效", "valid PAdES signature by {signer}")
NO_FILES = Bilingual("没有文件", "no files")
UNKNOWN_ITEM = Bilingual("未知事项", "{reason}")
DUPLICATE_PACKAGE = Bilingual(
    "重复归档：与 {first} 是同一单元（{unit}）、同一来源",
    "a duplicate: {first} is the same unit ({unit}) made from the same source",
)
ONE_PACKAGE_OF_ITS_SOURCE = Bilingual(
    "该单元此来源仅此一包", "the only package of its unit ({unit}) and source so far"
)
UNIQUENESS_UNKNOWN = Bilingual("无来源摘要，无法判断是否重复", "no source hash to compare")
CLAIM_LOST = Bilingual(
    "{unit} 已由另一工作机接手：本机未再写入 {code}",
    "{unit} was taken over by another worker while this one filed it as {code} (this one "
    "outlasted its claim, XWQL_CLAIM_LEASE): nothing more is written or indexed here; "
    "the next run decides what becomes of the package left in the outbox",
)
PACKAGE_ABANDONED = Bilingual(
    "未写完即弃用：写入它的工作机已失联，{unit} 已以 {code} 归档",
    "begun by a worker that was lost, never finished: its objects stay (WORM) and {unit} "
    "is filed under {code}",
)
DECISION_WITHOUT_VALID_MEETING = Bilingual(
    "决定未经有效会议（强制记录的异常）：{found}",
    "a decision without a valid meeting (forced past the meeting rules): {found}",
)
MEETING_RECORD_ON_PAPER = Bilingual(
    "会议记录以纸质原件存档，编号 {numbers}",
    "the meeting record is kept on paper and referenced; every other required document is present",
)
DOCUMENTS_MISSING = Bilingual("缺少", "missing: {names} (required by {item} for the steps taken)")
DOCUMENTS_PRESENT = Bilingual("{count} 份必备文件齐全", "all {count} required documents present")
NOT_LOCKED = Bilingual("{key}: 未锁定", "no retention")
RETENTION_TOO_SHORT = Bilingual(
    "保管期限不足",
    "locked until {until:%Y-%m-%d}, the {retention} retention needs {needed:%Y-%m-%d}",
)
OBJECTS_WRITTEN_ONCE = Bilingual(
    "{count} 个对象可读且只写入一次", "every object readable, written once"
)
FIXITY_MATCHES = Bilingual("SHA-256 清单全部相符", "every SHA-256 matches")
BAGIT_INVALID = Bilingual("BagIt 校验失败", "{detail}")
BOOKMARKS_UNREADABLE = Bilingual("书签不可读", "cannot read the bookmarks: {reason}")
BOOKMARKS_DIFFER = Bilingual(
    "卷内目录与书签不符", "the contents list {expected} is not the bookmarks {titles}"
)
PDF_UNOPENABLE = Bilingual("{path}: 无法打开", "cannot open: {reason}")
NOT_PDFA_2B = Bilingual("{path}: 不是 PDF/A-2b", "claims {claim}")
