"""Sample archive records and PDFs for the package and metadata tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pikepdf

from pipeline.archive.metadata import ArchiveRecord, archival_code
from pipeline.catalog.model import Retention

ID_NUMBER = "370305195803121234"
PHONE = "13805331021"


def sample_record(**changes: Any) -> ArchiveRecord:
    """A case-file record of 南马村 (QL-NM), item xwql-022, with internal personal data."""
    data: dict[str, Any] = {
        "kind": "case_file",
        "title": "临淄区齐陵街道南马村低保申请（张秀英）办件材料",
        "responsible_body": "南马村民委员会",
        "date": dt.date(2026, 11, 24),
        "archival_code": archival_code(
            "LZ-QL-001", 2026, Retention.YEARS_30, "QL-NM", "xwql-022", 7
        ),
        "retention": "30年",
        "classification": {"aspect": "社会民生", "category": "保障救助"},
        "district": "临淄区",
        "town": {"code": "QL", "name": "齐陵街道"},
        "village": {"code": "QL-NM", "name": "南马村"},
        "item": {"code": "xwql-022", "name": "低保申请"},
        "case_id": "NM-2026-11-001",
        "persons": [
            {"name": "张秀英", "role": "applicant"},
            {"name": "刘芳", "role": "first_contact_officer"},
        ],
        "amounts": [{"label": "月保障金", "value": "1260.00"}],
        "notice_period": {
            "start": dt.date(2026, 11, 10),
            "end": dt.date(2026, 11, 16),
            "days": 7,
            "unit": "calendar",
        },
        "irregularities": [
            {
                "step": "notice",
                "date": dt.date(2026, 11, 12),
                "rule": "notice_period",
                "message": "公示期未满即上报",
                "reason": "区民政局要求提前汇总",
            }
        ],
        "internal": {
            "persons": [
                {
                    "name": "张秀英",
                    "id_number": ID_NUMBER,
                    "phone": PHONE,
                    "address": "南马村一街3号",
                    "household_size": 3,
                }
            ]
        },
    }
    data.update(changes)
    return ArchiveRecord.model_validate(data)


def write_pdf(path: Path, pages: int = 1) -> Path:
    """A small real PDF of ``pages`` blank pages."""
    with pikepdf.new() as pdf:
        for _ in range(pages):
            pdf.add_blank_page(page_size=(595, 842))
        pdf.save(path, deterministic_id=True)
    return path
