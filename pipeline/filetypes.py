"""What a file really is, told from its bytes, for when its name says something else.

Clerks rename files: a CSV saved as ``台账.xlsx``, an old ``.xls`` or a
password-protected workbook sent on, a download cut short. The readers use
``sniff`` after they failed (or before handing a file to a program) to say
what the file is instead of repeating a library's "not a zip file".

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "台账.xlsx"
    >>> _ = path.write_text("办件编号,事项编码", encoding="utf-8")
    >>> sniff(path).name
    'TEXT'

"""

from __future__ import annotations

import zipfile
from enum import Enum
from pathlib import Path

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
"""The first bytes of a compound file: old Office files, and encrypted new ones."""
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")  # the name as stored in the directory
_CHUNK = 1 << 20  # a multiple of the 512-byte sectors, so no directory entry is cut in two


class FileKind(Enum):
    """What a file holds, with its name in Chinese and English."""

    EMPTY = ("空文件（0 字节）", "an empty file (0 bytes)")
    DOCX = ("Word 文档（.docx）", "a Word document (.docx)")
    XLSX = ("Excel 工作簿（.xlsx）", "an Excel workbook (.xlsx)")
    ZIP = ("压缩包（不是 Word 或 Excel 文件）", "a zip archive (not a Word or Excel file)")
    DAMAGED_ZIP = (
        "不完整或已损坏的文件（可能是下载、复制或发送时中断了）",
        "an incomplete or damaged file (a download or copy cut short?)",
    )
    ENCRYPTED = (
        "设了打开密码（已加密）的 Office 文件",
        "a password-protected (encrypted) Office file",
    )
    OLD_OFFICE = (
        "旧版 Office 97-2003 文件（.xls 或 .doc）",
        "an old Office 97-2003 file (.xls or .doc)",
    )
    PDF = ("PDF 文件", "a PDF file")
    IMAGE = ("图片", "an image")
    TEXT = ("文本文件（如 CSV）", "a text file (CSV?)")
    OTHER = ("未知格式的文件", "a file of unknown type")

    @property
    def zh(self) -> str:
        """The kind in Chinese."""
        return self.value[0]

    @property
    def en(self) -> str:
        """The kind in English."""
        return self.value[1]


def sniff(path: Path) -> FileKind:
    """What ``path`` holds, whatever its name says.

    Raises:
        OSError: if the file cannot be read.

    """
    with path.open("rb") as stream:
        head = stream.read(4096)
    if not head:
        return FileKind.EMPTY
    if head.startswith(b"PK"):
        return _zip_kind(path)
    if head.startswith(OLE_MAGIC):
        return FileKind.ENCRYPTED if _holds(path, _ENCRYPTED_STREAM) else FileKind.OLD_OFFICE
    if b"%PDF-" in head[:1024]:  # a PDF may have a few bytes before its header
        return FileKind.PDF
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        return FileKind.IMAGE
    return FileKind.TEXT if _is_text(head) else FileKind.OTHER


def _zip_kind(path: Path) -> FileKind:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return FileKind.DAMAGED_ZIP
    if "word/document.xml" in names:
        return FileKind.DOCX
    return FileKind.XLSX if "xl/workbook.xml" in names else FileKind.ZIP


def _holds(path: Path, needle: bytes) -> bool:
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            if needle in chunk:
                return True
    return False


def _is_text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16, Excel's "Unicode text"
        return True
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a character cut by the 4 KiB read
                return True
            continue
        return True
    return False
