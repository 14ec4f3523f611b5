from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest

from pipeline.documents.render import TemplateSet
from pipeline.errors import ConversionError, ConversionTimeout, MissingDependency
from pipeline.programs.fonts import FontSetup
from pipeline.programs.soffice import ConverterPool, probe
from tests.conftest import assert_fonts_embedded_sc, pdf_text
from tests.documents.test_render import NASTY, _cover_context
from tests.programs.processes import gone

pytestmark = pytest.mark.soffice


@pytest.fixture
def cover_docx(templates: TemplateSet, tmp_path: Path) -> Path:
    return templates.render("booklet_cover", _cover_context(title=NASTY), tmp_path / "cover.docx")


def test_conversion_gives_pdfa_with_embedded_sc_fonts(
    pool: ConverterPool, cover_docx: Path, tmp_path: Path
) -> None:
    pdf = pool.convert(cover_docx, tmp_path / "cover.pdf")
    with pikepdf.open(pdf) as document:
        assert document.open_metadata().pdfa_status == "2B"
    assert_fonts_embedded_sc(pdf)
    text = pdf_text(pdf)
    flat = "".join(text.split())  # the long title wraps
    for literal in ("𠮷", "䶮", "<script>alert(1)</script>", "{{title}}", "{%if%}", "&"):
        assert literal in flat
    # Official date form, no spaces inserted between digits and Chinese.
    assert "2026年11月24日" in text


def test_no_partial_output_for_a_file_that_is_not_a_document(
    pool: ConverterPool, tmp_path: Path
) -> None:
    fake = tmp_path / "fake.docx"
    fake.write_bytes(b"%PDF-1.7 this is not a docx")
    target = tmp_path / "fake.pdf"
    with pytest.raises(ConversionError):
        pool.convert(fake, target)
    assert not target.exists()
    assert not list(tmp_path.glob(".*.part"))


def _real_pdf(path: Path) -> Path:
    with pikepdf.new() as document:
        document.add_blank_page()
        document.save(path)
    return path


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("notice.pdf", _real_pdf, "PDF"),
        ("notice.docx", _real_pdf, "PDF"),
        ("notice.docx", lambda p: p.write_text("申请人：张三", encoding="utf-8"), "text file"),
        ("notice.docx", lambda p: p.write_bytes(b""), "empty file"),
    ],
    ids=["a PDF", "a PDF named .docx", "text named .docx", "an empty file"],
)
def test_what_is_not_a_docx_is_refused_and_the_pool_goes_on(
    pool: ConverterPool,
    cover_docx: Path,
    tmp_path: Path,
    name: str,
    make: Callable[[Path], object],
    kind: str,
) -> None:
    """LibreOffice once printed a text or empty file as if it were the document."""
    source = tmp_path / name
    make(source)
    target = tmp_path / "out.pdf"
    with pytest.raises(ConversionError, match=f"not a Word document.*{kind}") as caught:
        pool.convert(source, target)
    assert str(source) in str(caught.value)
    assert not target.exists() and not list(tmp_path.glob(".*.part*"))
    assert "𠮷" in pdf_text(pool.convert(cover_docx, tmp_path / "next.pdf"))


def test_missing_input_is_a_clear_error(pool: ConverterPool, tmp_path: Path) -> None:
    with pytest.raises(ConversionError, match="no such file"):
        pool.convert(tmp_path / "absent.docx", tmp_path / "absent.pdf")


def test_killed_libreoffice_is_restarted_and_the_batch_goes_on(
    settings,
    fonts: FontSetup,
    cover_docx: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    with ConverterPool(tmp_path / "pool", fonts, workers=1, timeout=30) as pool:
        pool.convert(cover_docx, tmp_path / "before.pdf")
        (instance,) = pool.instances
        pid = instance.soffice_pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        pool.convert(cover_docx, tmp_path / "after.pdf")
        assert pool.restarts == 1
        assert instance.soffice_pid() not in (None, pid)
        assert "𠮷" in pdf_text(tmp_path / "after.pdf")
    assert not instance.alive()
    assert gone(pid)


@pytest.mark.slow
def test_hung_libreoffice_times_out_restarts_and_recovers(
    fonts: FontSetup, cover_docx: Path, tmp_path: Path
) -> None:
    with ConverterPool(tmp_path / "pool", fonts, workers=1, timeout=3) as pool:
        (instance,) = pool.instances
        pid = instance.soffice_pid()
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)  # a real hang: LibreOffice stops answering
        started = time.monotonic()
        with pytest.raises(ConversionTimeout, match="restarted"):
            pool.convert(cover_docx, tmp_path / "hung.pdf")
        assert time.monotonic() - started < 60
        assert not (tmp_path / "hung.pdf").exists()
        pool.convert(cover_docx, tmp_path / "next.pdf")
        assert pool.restarts == 1
    assert gone(pid)


def test_a_libreoffice_grown_past_the_limit_is_replaced_between_conversions(
    fonts: FontSetup, cover_docx: Path, tmp_path: Path
) -> None:
    # Any running LibreOffice is past 1 MB: each conversion is followed by a fresh one,
    # started by the converter's thread after the caller has its PDF.
    with ConverterPool(tmp_path / "pool", fonts, workers=1, recycle_mb=1) as pool:
        (instance,) = pool.instances
        first = instance.soffice_pid()
        pool.convert(cover_docx, tmp_path / "first.pdf")
        pool.convert(cover_docx, tmp_path / "second.pdf")
        deadline = time.monotonic() + 60
        while pool.recycles < 2 or instance.soffice_pid() in (None, first):
            assert time.monotonic() < deadline, "LibreOffice was not replaced"
            time.sleep(0.2)
        assert pool.restarts == 0  # not counted as a fault
        assert "𠮷" in pdf_text(tmp_path / "second.pdf")
    assert first is not None and gone(first)


def test_a_worker_killed_outright_leaves_no_pipe_file(
    fonts: FontSetup, cover_docx: Path, tmp_path: Path
) -> None:
    pool = ConverterPool(tmp_path / "pool", fonts, workers=1)
    pool.convert(cover_docx, tmp_path / "one.pdf")
    (instance,) = pool.instances
    assert instance.process is not None
    pipes = list(Path("/tmp").glob(f"OSL_PIPE_{os.getuid()}_xwql-{os.getpid()}-{id(instance)}-*"))
    assert pipes  # LibreOffice's socket file while it runs
    os.kill(instance.process.pid, signal.SIGKILL)  # the worker cannot clean up after itself
    instance.process.wait()
    pool.stop()
    assert not any(p.exists() for p in pipes)


def test_blank_pages_at_the_end_are_dropped_and_a_lone_blank_page_kept(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    from pipeline.programs.docx_batch import drop_blank_last_pages

    def pdf(name: str, pages: list[str]) -> Path:
        path = tmp_path / name
        sheet = canvas.Canvas(str(path))
        for text in pages:
            sheet.rect(10, 10, 100, 100, stroke=0, fill=0)  # a clip-like path, nothing painted
            if text:
                sheet.drawString(100, 700, text)
            sheet.showPage()
        sheet.save()
        return path

    with pikepdf.open(pdf("ends-blank.pdf", ["first", "", "second", "", ""])) as document:
        assert drop_blank_last_pages(document)
        assert len(document.pages) == 3  # the blank page between two others stays
    with pikepdf.open(pdf("only-blank.pdf", [""])) as document:
        assert not drop_blank_last_pages(document)
        assert len(document.pages) == 1


def test_probe_finds_the_uno_bridge_without_importing_it_here() -> None:
    # Importing uno replaces __import__ in the importing process; only the workers may.
    script = (
        "import sys\nfrom pipeline.programs.soffice import probe\nprobe()\n"
        "assert 'uno' not in sys.modules, 'the probe imported uno'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_a_missing_uno_bridge_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # A machine without python3-uno cannot be made here: its lookup is made to miss.
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uno" else real(name, *a)
    )
    with pytest.raises(MissingDependency, match="Install python3-uno"):
        probe()
