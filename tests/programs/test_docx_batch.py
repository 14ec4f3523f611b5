"""Joined conversions give exactly the pages a document converted alone gives."""

from __future__ import annotations

import datetime as dt
import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pikepdf
import pytest
import qrcode

from pipeline import stages
from pipeline.cases.model import Case
from pipeline.catalog import Catalog
from pipeline.catalog.model import StepKind
from pipeline.documents.render import Image, TemplateSet
from pipeline.organisations import Directory
from pipeline.programs.docx_batch import BatchRefused, batch_key, join_docx, split_pdf
from pipeline.programs.fonts import FontSetup
from pipeline.programs.soffice import ConverterPool
from pipeline.units.contexts import public_notice_context
from tests.conftest import assert_fonts_embedded_sc, pdf_text
from tests.documents.test_render import NASTY, _cover_context
from tests.pdfa import pdfa_problems
from tests.units.test_notices import dibao, directory, walk  # noqa: F401  (fixtures)

pytestmark = pytest.mark.soffice

_DANGLING = (
    b'<w:p><w:r><w:t xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships" r:id="rId999">x</w:t></w:r></w:p>'
)


def _notices(
    templates: TemplateSet, case: Case, catalog: Catalog, places: Directory, folder: Path
) -> list[Path]:
    """Three public notices, each with its own QR code and 核验码 in its footer."""
    item = catalog.get(case.item_code)
    case = walk(case, item, StepKind.NOTICE)
    place = places.get(case.village)
    made = []
    for number, code in enumerate(("AAAA-1111", "BBBB-2222", "CCCC-3333")):
        qr = folder / f"qr-{number}.png"
        qrcode.make(f"XWQL:{code}", border=1).save(str(qr))
        context = public_notice_context(
            case, item, place, start=dt.date(2026, 11, 3), end=dt.date(2026, 11, 9),
            verification_code=code, qr=Image(qr, width_mm=18), issued_on=dt.date(2026, 11, 3),
            supervision_phone="0533-7211234",
        )  # fmt: skip
        made.append(templates.render("public_notice", context, folder / f"notice-{number}.docx"))
    return made


def _pages_as_images(pdf: Path, prefix: Path) -> list[bytes]:
    subprocess.run(["pdftoppm", "-r", "40", "-gray", str(pdf), str(prefix)], check=True)
    return [page.read_bytes() for page in sorted(prefix.parent.glob(f"{prefix.name}-*.pgm"))]


@pytest.fixture
def documents(
    templates: TemplateSet,
    dibao: Case,  # noqa: F811
    catalog: Catalog,
    directory: Directory,  # noqa: F811
    tmp_path: Path,
) -> list[Path]:
    covers = [
        templates.render("booklet_cover", _cover_context(title=title), tmp_path / f"c{n}.docx")
        for n, title in enumerate((NASTY, "标题" * 40, "短"))  # one cover runs to two lines
    ]
    return [*_notices(templates, dibao, catalog, directory, tmp_path), *covers]


def test_only_documents_with_the_same_shared_parts_share_a_key(
    documents: list[Path], tmp_path: Path
) -> None:
    notices, covers = documents[:3], documents[3:]
    assert len({batch_key(d) for d in notices}) == 1
    assert len({batch_key(d) for d in covers}) == 1
    assert batch_key(notices[0]) != batch_key(covers[0])  # different styles
    (tmp_path / "not.docx").write_bytes(b"plain text")
    assert batch_key(tmp_path / "not.docx") is None


def test_joined_and_split_pages_are_those_of_each_document_alone(
    documents: list[Path], fonts: FontSetup, tmp_path: Path
) -> None:
    alone, joined = tmp_path / "alone", tmp_path / "joined"
    alone.mkdir()
    joined.mkdir()
    notices = documents[:3]
    with ConverterPool(tmp_path / "converters", fonts, workers=1, batch=1) as pool:
        singles = [pool.convert(d, alone / f"{d.stem}.pdf") for d in notices]
        pool.instances[0].convert(
            _joined(notices, tmp_path), tmp_path / "all.pdf", destinations=True
        )
    parts = [joined / f"{d.stem}.pdf" for d in notices]
    split_pdf(tmp_path / "all.pdf", parts)
    for single, part, code in zip(
        singles, parts, ("AAAA-1111", "BBBB-2222", "CCCC-3333"), strict=True
    ):
        assert pdf_text(part) == pdf_text(single)
        assert f"核验码：{code}" in pdf_text(part)  # each keeps its own footer
        assert _pages_as_images(part, joined / part.stem) == _pages_as_images(
            single, alone / single.stem
        )
        with pikepdf.open(part) as pdf:
            assert pdf.open_metadata().pdfa_status == "2B"
            images = [name for page in pdf.pages for name in page.Resources.get("/XObject", {})]
        assert len(images) == 1  # its own QR code, not the batch's three
        assert_fonts_embedded_sc(part)
        # A new PDF is written as 1.3: each part keeps the whole's version (6.1.2).
        assert part.read_bytes()[:9] == single.read_bytes()[:9] == b"%PDF-1.6\n"
        assert pdfa_problems(part) == []


def _joined(sources: list[Path], folder: Path) -> Path:
    target = folder / "all.docx"
    join_docx(sources, target)
    return target


def test_concurrent_callers_share_conversions(
    documents: list[Path], fonts: FontSetup, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with ConverterPool(tmp_path / "converters", fonts, workers=1, batch=8) as pool:
        pool.convert(documents[-1], tmp_path / "warm-up.pdf")
        stages.reset()
        # The converter is held up by a first document while the others arrive.
        with ThreadPoolExecutor(max_workers=len(documents)) as executor:
            results = list(
                executor.map(lambda d: pool.convert(d, out / f"{d.stem}.pdf"), documents * 2)
            )
        calls = stages.snapshot()["convert"].count
    assert len(results) == 2 * len(documents)
    assert calls < len(results)  # joined: fewer LibreOffice calls than documents
    for document in documents:
        pdf = out / f"{document.stem}.pdf"
        assert pdf_text(pdf).strip()
        with pikepdf.open(pdf) as opened:
            assert len(opened.pages) >= 1
    assert not list(out.glob(".*"))  # no partial files left


def test_a_document_that_cannot_be_joined_is_converted_alone(
    documents: list[Path], pool: ConverterPool, tmp_path: Path
) -> None:
    broken = tmp_path / "dangling.docx"
    with zipfile.ZipFile(documents[0]) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":  # a picture whose part is not listed
                data = data.replace(b"<w:body>", b"<w:body>" + _DANGLING, 1)
            target.writestr(info, data)
    with pytest.raises(BatchRefused):
        join_docx([documents[1], broken], tmp_path / "joined.docx")
    with ThreadPoolExecutor(max_workers=3) as executor:
        pdfs = list(
            executor.map(
                lambda d: pool.convert(d, tmp_path / f"{d.stem}.pdf"),
                [documents[1], broken, documents[2]],
            )
        )
    assert "核验码：AAAA-1111" in pdf_text(pdfs[1])
    assert "核验码：BBBB-2222" in pdf_text(pdfs[0])


def test_split_refuses_a_pdf_without_the_marks(
    documents: list[Path], pool: ConverterPool, tmp_path: Path
) -> None:
    single = pool.convert(documents[3], tmp_path / "single.pdf")
    with pytest.raises(BatchRefused):
        split_pdf(single, [tmp_path / "a.pdf", tmp_path / "b.pdf"])
    assert not (tmp_path / "a.pdf").exists()
