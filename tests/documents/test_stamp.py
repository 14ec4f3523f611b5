from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from pipeline.documents.collate import PAGE_NUMBER_FONT
from pipeline.documents.stamp import draw_seal, find_text, stamp_pdf
from pipeline.errors import TemplateError
from pipeline.programs.fonts import FontSetup


def _pdf_with_text(path: Path, lines: list[str]) -> Path:
    pdfmetrics.registerFont(TTFont("TestSerif", str(PAGE_NUMBER_FONT)))
    sheet = canvas.Canvas(str(path))
    for index, line in enumerate(lines):
        sheet.setFont("TestSerif", 16)
        sheet.drawString(300, 200 - 30 * index, line)
    sheet.showPage()
    sheet.save()
    return path


def test_seal_is_red_on_transparent_with_the_name(fonts: FontSetup) -> None:
    seal = draw_seal("临淄区齐陵街道南马村民委员会", fonts, subtitle="专用章")
    image = Image.open(io.BytesIO(seal.png))
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0  # corners transparent
    pixels = getattr(image, "get_flattened_data", image.getdata)()
    red = [p for p in pixels if p[3] > 200]
    assert len(red) > 0.05 * image.width * image.height
    assert all(r > 150 and g < 80 and b < 80 for r, g, b, _ in red[:5000])


def test_seal_needs_a_name(fonts: FontSetup) -> None:
    with pytest.raises(TemplateError):
        draw_seal("  ", fonts)


def test_stamp_is_placed_over_the_anchor_with_a_soft_mask(fonts: FontSetup, tmp_path: Path) -> None:
    source = _pdf_with_text(tmp_path / "in.pdf", ["Issued by", "Linzi Civil Affairs", "2026"])
    page, x, y, width = find_text(source, "Linzi Civil Affairs")
    assert (page, round(x), round(y)) == (0, 300, 170)
    assert width > 0
    use = stamp_pdf(
        source, tmp_path / "out.pdf", draw_seal("淄博市临淄区民政局", fonts),
        anchor="Linzi Civil Affairs", purpose="测试", operator="tester",
    )  # fmt: skip
    assert (use.page, use.organisation, use.operator) == (1, "淄博市临淄区民政局", "tester")
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        images = [obj for obj in pdf.pages[0].Resources.XObject.values() if obj.Subtype == "/Image"]
        assert len(images) == 1 and "/SMask" in images[0]
        assert "/Interpolate" not in images[0]  # PDF/A-2 (ISO 19005-2, 6.2.8)
    # Rendered: the seal is red around the anchor and the text under it still shows.
    png = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-r", "72", "-png", str(tmp_path / "out.pdf"), str(png)], check=True
    )
    rendered = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    height = rendered.height
    around = [
        rendered.getpixel((x, height - y)) for x in range(300, 420, 3) for y in range(140, 200, 3)
    ]
    assert any(r > 180 and g < 90 for r, g, _ in around)
    assert any(r < 90 and g < 90 and b < 90 for r, g, b in around)  # text not hidden


def test_missing_anchor_is_a_clear_error(fonts: FontSetup, tmp_path: Path) -> None:
    source = _pdf_with_text(tmp_path / "in.pdf", ["nothing here"])
    with pytest.raises(TemplateError, match="seal"):
        stamp_pdf(source, tmp_path / "out.pdf", draw_seal("某村", fonts), anchor="某村民委员会",
                  purpose="x", operator="y")  # fmt: skip
    assert not (tmp_path / "out.pdf").exists()


def test_an_anchor_wrapped_over_two_lines_is_found_on_its_first_line(tmp_path: Path) -> None:
    # A name that no longer fits its line (a slightly wider layout) wraps its last word.
    source = _pdf_with_text(
        tmp_path / "in.pdf", ["Issued by Linzi Civil", "Affairs Bureau", "2026"]
    )
    page, x, y, width = find_text(source, "Linzi Civil Affairs")
    assert (page, round(y)) == (0, 200)  # the first line
    assert x > 300  # after "Issued by "
    assert 0 < width < len("Linzi Civil Affairs") * 16  # only the part on the first line
