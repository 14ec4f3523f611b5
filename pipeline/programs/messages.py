"""The messages of the external programs, in Chinese and English (see ``errors.Bilingual``)."""

from __future__ import annotations

from pipeline.errors import Bilingual

# --- _probe.py
NOT_INSTALLED = Bilingual(
    "找不到程序 {program}",
    "{program} is not installed. Install it with: sudo apt-get install {package}",
)

# --- fonts.py
FONT_MISSING = Bilingual(
    "简体中文字体缺失",
    "Simplified-Chinese font missing: {collection}. "
    "Install it with: sudo apt-get install {package}",
)

# --- ports.py
NO_FREE_PORT = Bilingual(
    "没有空闲端口",
    "no free TCP port on 127.0.0.1 for xwql's servers; "
    "stop servers you no longer need and try again",
)

# --- s3server.py
S3_SERVER_NOT_STARTED = Bilingual(
    "内置 S3 服务未能启动",
    "the embedded S3 server {failure}; its log ({log}) says:\n{reason}\n{advice}",
)

# --- soffice.py
NOT_A_DOCX = Bilingual(
    "{source}: 不是 Word 文档（.docx），而是{kind_zh}",
    "not a Word document (.docx) but {kind_en}; only .docx documents are converted",
)
