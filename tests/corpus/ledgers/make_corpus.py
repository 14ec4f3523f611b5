"""Build the nasty ledgers of this folder: ``.venv/bin/python tests/corpus/ledgers/make_corpus.py``.

Each file is what a clerk could really hand in; tests/intake/test_corpus.py says
what xwql must report for it, and checks that this script still builds the
committed files byte for byte: workbooks are saved with fixed times and stored
(not deflated) entries, so the same script gives the same bytes on any machine.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage

from pipeline.filetypes import OLE_MAGIC
from pipeline.intake.columns import CASES, STEPS

CASE_HEADERS = [column.header for column in CASES.columns]
STEP_HEADERS = [column.header for column in STEPS.columns]
ID_A = "370305199003150040"


def case(case_id: str, **changes: Any) -> dict[str, Any]:
    """A good 临时救助 case of 南马村; keyword ``x`` sets column ``x``."""
    row: dict[str, Any] = {
        "办件编号": case_id, "事项编码": "xwql-026", "村（社区）": "南马村", "申请人": "张三",
        "身份证号": ID_A, "联系电话": "13805331234", "首问负责人": "李四",
        "受理日期": "2026-11-03",
    }  # fmt: skip
    return row | changes


def step(case_id: str, **changes: Any) -> dict[str, Any]:
    row = {"办件编号": case_id, "环节": "accept", "办理主体": "村便民服务室民政协理员",
           "日期": "2026-11-04"}  # fmt: skip
    return row | changes


def _sheet(sheet: Any, headers: list[str], rows: list[dict[str, Any] | None]) -> None:
    sheet.append(headers)
    for row in rows:
        sheet.append([None] if row is None else [row.get(header) for header in headers])


_SAVED_AT = (2026, 11, 1, 0, 0, 0)
_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def _workbook_bytes(
    book: Workbook, edits: dict[str, Callable[[bytes], bytes]] | None = None
) -> bytes:
    """``book`` as .xlsx bytes, always the same for the same book; ``edits`` change parts."""
    saved = io.BytesIO()
    book.save(saved)
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(rebuilt, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "docProps/core.xml":
                data = _CORE_TIME.sub(rb"\g<1>2026-11-01T00:00:00Z\3", data)
            data = (edits or {}).get(name, lambda part: part)(data)
            target.writestr(zipfile.ZipInfo(name, date_time=_SAVED_AT), data)
    return rebuilt.getvalue()


def _save(book: Workbook, path: Path) -> Path:
    path.write_bytes(_workbook_bytes(book))
    return path


def nasty(folder: Path) -> Path:
    """Every row-level problem in one workbook (a missing column is in its own file)."""
    book = Workbook()
    cases = book.active
    cases.title = CASES.name
    _sheet(cases, [*CASE_HEADERS, "备用"], [
        case("NM-1", 申请人="张𠮷䶮﨑😀", 事由="<script>alert(1)</script> & 修缮"),  # row 2: good
        case("NM-3", 身份证号="370305199003150041"),  # 3: check digit
        case("NM-4", 联系电话="1380533"),  # 4: phone
        case("NM-5", 受理日期="2026-02-30"),  # 5: no such day
        case("NM-6", 事项编码="xwql-099"),  # 6: unknown item
        case("NM-7", 事项编码="xwql-034", **{"金额（元）": "￥1,200.5元"}),  # 7: good, warning
        case("NM-8", **{"金额（元）": "-300"}),  # 8: negative amount
        case("NM-9", **{"村（社区）": "北马村"}),  # 9: unknown village
        case("NM-1"),  # 10: duplicate of row 2
        case("NM-11", 首问负责人=None),  # 11: required field empty
        None,  # 12: blank row
        case("NM-13"),  # 13-14: 申请人 merged over two rows
        case("NM-14", 申请人=None),
        case("NM-15", **{"金额（元）": "=100*12"}),  # 15: formula
        case("NM-16", 身份证号="370305900315004", 受理日期=46329),  # 16: good, 15-digit warning
        case("NM-17", 身份证号="37030519850201118x", 受理日期=dt.datetime(2026, 11, 3)),  # good
        case("NM-18"),  # 18: its step row is wrong
    ])  # fmt: skip
    cases.merge_cells("D13:D14")
    steps = book.create_sheet(STEPS.name)
    _sheet(steps, STEP_HEADERS, [
        step("NM-1", 环节="村受理并一次性告知"),  # 2: good
        step("NM-18", 环节="审批"),  # 3: no such step in xwql-026
        step("NM-99"),  # 4: no such case
        step("NM-7", 环节="评定确认", 办理主体="村扶贫理事小组"),  # 5: good, a step of xwql-034
    ])  # fmt: skip
    old = book.create_sheet("旧台账")
    _sheet(old, CASE_HEADERS, [case("OLD-1")])
    old.sheet_state = "hidden"
    return _save(book, folder / "nasty.xlsx")


def missing_column(folder: Path) -> Path:
    """The 受理日期 column deleted: one error for the file, every row rejected."""
    book = Workbook()
    book.active.title = CASES.name
    headers = [h for h in CASE_HEADERS if h != "受理日期"]
    _sheet(book.active, headers, [case("NM-1"), case("NM-2")])
    return _save(book, folder / "missing-column.xlsx")


def title_and_hidden(folder: Path) -> Path:
    """A merged title row above the header, the case sheet hidden, a hidden row."""
    book = Workbook()
    sheet = book.active
    sheet.title = CASES.name
    sheet.append(["南马村小微权力办件台账（2026年11月）"])
    sheet.merge_cells("A1:F1")
    for row in ([CASE_HEADERS], [[case("NM-1").get(h) for h in CASE_HEADERS]],
                [[case("NM-2").get(h) for h in CASE_HEADERS]]):  # fmt: skip
        sheet.append(row[0])
    sheet.row_dimensions[4].hidden = True
    book.create_sheet("说明").append(["本台账由南马村便民服务室维护"])
    book.active = 1
    sheet.sheet_state = "hidden"
    return _save(book, folder / "title-and-hidden.xlsx")


def _csv(path: Path, headers: list[str], rows: list[dict[str, Any]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(headers)
        writer.writerows([row.get(header, "") for header in headers] for row in rows)
    return path


def gbk_csv(folder: Path) -> list[Path]:
    """A CSV ledger saved by Chinese Excel (GBK), with its steps file; one bad step."""
    cases = [case("NM-1", 事由="房屋失火\n急需救助"), case("NM-2", 事项编码="xwql-45 民间纠纷调解")]
    steps = [step("NM-1"), step("NM-2", 环节="受理登记", 办理主体="村人民调解委员会",
                                日期="2026/11/31")]  # fmt: skip
    return [
        _csv(folder / "gbk.csv", CASE_HEADERS, cases, "gbk"),
        _csv(folder / f"gbk-{STEPS.name}.csv", STEP_HEADERS, steps, "gbk"),
    ]


def utf16_csv(folder: Path) -> Path:
    """Excel's "Unicode text": UTF-16, neither UTF-8 nor GBK; the file is refused whole."""
    return _csv(folder / "utf16.csv", CASE_HEADERS, [case("NM-1")], "utf-16")


def bad_json(folder: Path) -> Path:
    """Cases in the model's JSON form with one problem each after the first."""
    good = {
        "case_id": "NM-1", "item_code": "xwql-026", "village": "QL-NM",
        "applicants": [{"name": "张三", "id_number": ID_A, "phone": "138 0533 1234"}],
        "first_contact_officer": "李四", "received_on": "2026-11-03", "amount": "1,200.50元",
        "steps": [{"step": "村受理并一次性告知", "actor": "村便民服务室民政协理员",
                   "date": "2026-11-04"}],
    }  # fmt: skip
    second_applicant = {"name": "李四", "id_number": "370305199003150041"}
    cases = [
        good,
        good | {"case_id": "NM-2", "applicants": [good["applicants"][0], second_applicant]},
        good
        | {
            "case_id": "NM-3",
            "steps": [{"step": "审批", "actor": "区民政局", "date": "2026-11-05"}],
        },
        good | {"case_id": "NM-4", "seal": "村委会"},
        good,
        "NM-6",
    ]
    path = folder / "bad.json"
    path.write_text(
        json.dumps({"cases": cases, "exported_by": "某系统"}, ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    return path


def _good_book() -> Workbook:
    """A ledger that reads whole: two cases of 南马村 with a step each."""
    book = Workbook()
    book.active.title = CASES.name
    _sheet(book.active, CASE_HEADERS, [case("NM-1"), case("NM-2", 申请人="王五")])
    _sheet(book.create_sheet(STEPS.name), STEP_HEADERS, [step("NM-1"), step("NM-2")])
    return book


def truncated(folder: Path) -> Path:
    """A good ledger cut in half, as a copy or download broken off leaves it."""
    whole = _workbook_bytes(_good_book())
    path = folder / "truncated.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def damaged(folder: Path) -> Path:
    """A good ledger whose zip is whole but whose case sheet's XML stops half-way."""
    sheet = "xl/worksheets/sheet1.xml"
    path = folder / "damaged.xlsx"
    path.write_bytes(_workbook_bytes(_good_book(), {sheet: lambda xml: xml[: len(xml) // 2]}))
    return path


def not_a_zip(folder: Path) -> Path:
    """A CSV ledger (UTF-8 text) renamed to .xlsx."""
    return _csv(folder / "not-a-zip.xlsx", CASE_HEADERS, [case("NM-1")], "utf-8")


# An OLE compound file (MS-CFB, version 3), as Office writes a password-protected file.
_SECTOR, _MINI_SECTOR, _MINI_CUTOFF = 512, 64, 4096
_END, _FREE, _FAT_SECTOR, _NO_ENTRY = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _count(data: bytes, size: int) -> int:
    return -(-len(data) // size)


def _chain(start: int, count: int) -> list[int]:
    """FAT entries of ``count`` consecutive sectors from ``start``."""
    return [*range(start + 1, start + count), _END] if count else []


def _entry(name: str, kind: int, *, black: bool = True, right: int = _NO_ENTRY,
           child: int = _NO_ENTRY, start: int = 0, size: int = 0) -> bytes:  # fmt: skip
    """A 128-byte directory entry (kind 5 root, 2 stream, 0 unused)."""
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return struct.pack(
        "<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, int(black), _NO_ENTRY, right,
        child, b"", 0, 0, 0, start, size,
    )  # fmt: skip


def _compound_file(small: tuple[str, bytes], large: tuple[str, bytes]) -> bytes:
    """A compound file whose root holds a stream under 4 KiB (kept in the mini stream,
    as the format requires) and a larger one; ``small``'s name must sort first."""
    mini = small[1].ljust(_count(small[1], _MINI_SECTOR) * _MINI_SECTOR, b"\0")
    mini_fat = _chain(0, _count(small[1], _MINI_SECTOR))
    layout = [
        1,
        _count(bytes(4 * len(mini_fat)), _SECTOR),
        _count(mini, _SECTOR),
        _count(large[1], _SECTOR),
    ]  # directory, mini FAT, mini stream, large stream
    fat_sectors = 1
    while fat_sectors * _SECTOR // 4 < fat_sectors + sum(layout):
        fat_sectors += 1
    starts = [fat_sectors]
    for count in layout[:-1]:
        starts.append(starts[-1] + count)
    fat = [_FAT_SECTOR] * fat_sectors
    for start, count in zip(starts, layout, strict=True):
        fat += _chain(start, count)
    directory = b"".join([
        _entry("Root Entry", 5, child=1, start=starts[2], size=len(mini)),
        _entry(small[0], 2, right=2, size=len(small[1])),  # the tree: small, then large (red)
        _entry(large[0], 2, black=False, start=starts[3], size=len(large[1])),
        _entry("", 0),
    ])  # fmt: skip
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I", OLE_MAGIC, b"", 0x3E, 3, 0xFFFE, 9, 6, b"", 0,
        fat_sectors, starts[0], 0, _MINI_CUTOFF, starts[1], layout[1], _END, 0,
        *range(fat_sectors), *[_FREE] * (109 - fat_sectors),
    )  # fmt: skip

    def sectors(data: bytes) -> bytes:
        return data.ljust(_count(data, _SECTOR) * _SECTOR, b"\0")

    def entries(values: list[int]) -> bytes:
        padded = values + [_FREE] * (-len(values) % (_SECTOR // 4))
        return struct.pack(f"<{len(padded)}I", *padded)

    body = [entries(fat), directory, entries(mini_fat), sectors(mini), sectors(large[1])]
    return header + b"".join(body)


def _noise(label: str, size: int) -> bytes:
    """``size`` bytes that look random and are the same every time."""
    blocks = (hashlib.sha256(f"{label}-{i}".encode()).digest() for i in range(size // 32 + 1))
    return b"".join(blocks)[:size]


def _b64(label: str, size: int) -> str:
    return base64.b64encode(_noise(label, size)).decode()


def encrypted(folder: Path) -> Path:
    """A good ledger saved by Excel with a password: agile encryption (AES-256, SHA-512).

    The streams are laid out as Excel writes them (EncryptionInfo: version 4.4 and
    the XML descriptor; EncryptedPackage: the size, then the cipher text); the
    salts and keys are fixed noise, so no password opens it.
    """
    cipher = ('keyBits="256" hashSize="64" cipherAlgorithm="AES" '
              'cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512"')  # fmt: skip
    descriptor = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        '<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption" '
        'xmlns:p="http://schemas.microsoft.com/office/2006/keyEncryptor/password">'
        f'<keyData saltSize="16" blockSize="16" {cipher} saltValue="{_b64("salt", 16)}"/>'
        f'<dataIntegrity encryptedHmacKey="{_b64("hmac-key", 64)}" '
        f'encryptedHmacValue="{_b64("hmac", 64)}"/><keyEncryptors><keyEncryptor '
        'uri="http://schemas.microsoft.com/office/2006/keyEncryptor/password">'
        f'<p:encryptedKey spinCount="100000" saltSize="16" blockSize="16" {cipher} '
        f'saltValue="{_b64("key-salt", 16)}" '
        f'encryptedVerifierHashInput="{_b64("verifier", 16)}" '
        f'encryptedVerifierHashValue="{_b64("verifier-hash", 64)}" '
        f'encryptedKeyValue="{_b64("key", 32)}"/></keyEncryptor></keyEncryptors></encryption>'
    )
    info = struct.pack("<HHI", 4, 4, 0x40) + descriptor.encode("utf-8")
    plain = _workbook_bytes(_good_book())
    package = struct.pack("<Q", len(plain)) + _noise("package", -(-len(plain) // 16) * 16)
    path = folder / "encrypted.xlsx"
    path.write_bytes(_compound_file(("EncryptionInfo", info), ("EncryptedPackage", package)))
    return path


def _png(width: int, height: int) -> bytes:
    """A white 1-bit PNG, written row by row (Pillow would hold every pixel in memory)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    packer = zlib.compressobj(9)
    row = b"\0" + b"\xff" * -(-width // 8)  # filter type 0, then the row's pixels
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def big_picture(folder: Path) -> Path:
    """A good ledger with a 20 000 × 20 000 picture pasted in (a scan of the paper ledger)."""
    book = _good_book()
    book.active.add_image(SheetImage(io.BytesIO(_png(8, 8))), "K2")
    path = folder / "big-picture.xlsx"
    huge = _png(20_000, 20_000)
    path.write_bytes(_workbook_bytes(book, {"xl/media/image1.png": lambda small: huge}))
    return path


LOOKS_LIKE_MARKUP = "{{ applicant }}{% if x %}<w:t>]]>&amp;</w:t>{#"


def utf8_csv(folder: Path) -> list[Path]:
    """The same good CSV ledger saved as UTF-8 with a BOM (Excel's "CSV UTF-8") and without."""
    cases = [case("NM-1", 事由=LOOKS_LIKE_MARKUP), case("NM-2", 申请人="王{{ name }}")]
    return [
        _csv(folder / "utf8-bom.csv", CASE_HEADERS, cases, "utf-8-sig"),
        _csv(folder / "utf8.csv", CASE_HEADERS, cases, "utf-8"),
    ]


UNSAFE_IDS = ["../../x", "/etc/passwd", "NM\x00-3", "A" * 41, "NM-5/../..", "..\\..\\x",
              "C:x", "NM 8", "Z" * 300]  # fmt: skip


def unsafe_ids(folder: Path) -> Path:
    """Case numbers that would be paths if used as file names; good rows around them."""
    cases = [case("NM-1"), *(case(case_id) for case_id in UNSAFE_IDS),
             case("NM-10", 申请人="张\x00三"), case("NM-11")]  # fmt: skip
    return _csv(folder / "unsafe-ids.csv", CASE_HEADERS, cases, "utf-8")


def build(folder: Path) -> list[Path]:
    """Write every corpus ledger into ``folder``."""
    return [
        nasty(folder),
        missing_column(folder),
        title_and_hidden(folder),
        *gbk_csv(folder),
        utf16_csv(folder),
        bad_json(folder),
        truncated(folder),
        damaged(folder),
        not_a_zip(folder),
        encrypted(folder),
        big_picture(folder),
        *utf8_csv(folder),
        unsafe_ids(folder),
    ]


if __name__ == "__main__":
    for written in build(Path(__file__).resolve().parent):
        print(written.name)
