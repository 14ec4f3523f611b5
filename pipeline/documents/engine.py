"""The document engine as one object: fonts, templates and warm converters, started once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.config import Settings
from pipeline.documents.render import TemplateSet
from pipeline.programs.fonts import FontSetup, ensure_sc_fonts
from pipeline.programs.soffice import ConverterPool


@dataclass
class DocumentEngine:
    """What every document job needs, shared across all its documents."""

    settings: Settings
    fonts: FontSetup
    templates: TemplateSet
    pool: ConverterPool

    @classmethod
    @contextlib.contextmanager
    def open(cls, settings: Settings) -> Iterator[DocumentEngine]:
        """Prepare the converters; they start on the first conversion and stop at the end.

        A job with nothing to convert (a re-run that finds everything archived)
        never starts LibreOffice.
        """
        fonts = ensure_sc_fonts(settings.data)
        templates = TemplateSet(settings.templates_dir)
        pool = ConverterPool(
            settings.data / "converters",
            fonts,
            workers=settings.converter_workers,
            timeout=settings.conversion_timeout,
        )
        try:
            yield cls(settings=settings, fonts=fonts, templates=templates, pool=pool)
        finally:
            pool.stop()
