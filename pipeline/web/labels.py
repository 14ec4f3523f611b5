"""The Chinese names the pages show for the archive's codes (kinds, roles, checks)."""

from __future__ import annotations

KINDS = {
    "case_file": "案卷",
    "notice": "公告",
    "monthly_pack": "月度公开材料",
    "catalog_edition": "清单版本",
    "objection": "异议与反映",
    "district_summary": "区月度汇总表",
}
DOCUMENTS = {"public_notice": "公示", "result_notice": "结果公开"}
ROLES = {"auditor": "审计人员", "internal": "内部审计人员", "admin": "管理员"}
PERSON_ROLES = {
    "applicant": "申请人",
    "proxy": "代办人",
    "first_contact_officer": "首问负责人",
    "operator": "经办人",
    "other": "其他",
}
FILE_ROLES = {
    "main": "正文", "attachment": "附件", "source": "源数据", "internal_record": "内部记录",
    "other": "其他",
}  # fmt: skip
CHECKS = {
    "index": "检索库摘要",
    "schema": "元数据格式",
    "signature": "数字签名",
    "objects": "存储对象",
    "fixity": "固定性（SHA-256）",
    "bagit": "BagIt 包结构",
    "completeness": "完整性（必备文件）",
    "sealed": "个人信息加密",
    "timestamp": "时间戳",
    "pdf": "PDF/A 可用性",
    "retention": "保管锁定",
}
ASPECTS = {
    "authenticity": "真实性",
    "integrity": "完整性",
    "usability": "可用性",
    "security": "安全性",
}
ACTIONS = {
    "search": "检索",
    "view": "查看",
    "download": "下载",
    "get": "下载并核验",
    "verify": "核验",
    "log": "查看日志",
    "hold": "冻结",
    "release-hold": "解除冻结",
    "open-sealed": "查看个人信息（解密）",
    "retimestamp": "续加时间戳",
}
DAY_UNITS = {"calendar": "自然日", "working": "工作日"}


def passed(value: bool | None) -> str:
    """A check's outcome: 通过, 未通过 or 提示 (not applicable / a warning)."""
    return {True: "通过", False: "未通过", None: "提示"}[value]


def label(table: dict[str, str], code: object) -> str:
    """The Chinese name of ``code`` in ``table``, else the code itself."""
    text = str(code) if code is not None else ""
    return table.get(text, text)
