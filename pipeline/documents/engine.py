"""The document engine as one object: fonts, templates and warm converters, started once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.config import Settings
from pipeline.documents.render import TemplateSet
from pipeline.programs.converter_service.pool import Converter, ServiceOrPool
from pipeline.programs.fonts import FontSetup, ensure_sc_fonts


@dataclass
class DocumentEngine:
    """What every document job needs, shared across all its documents."""

    settings: Settings
    fonts: FontSetup
    templates: TemplateSet
    pool: Converter

    @classmethod
    @contextlib.contextmanager
    def open(
        cls, settings: Settings, *, use_service: bool = True, converters: Converter | None = None
    ) -> Iterator[DocumentEngine]:
        """Prepare the converters; they start on the first conversion and stop at the end.

        The converters are those of the converter service (``xwql converters up``)
        when it answers for this data folder, else a pool of the job's own.
        A job with nothing to convert (a re-run that finds everything archived)
        never starts LibreOffice. ``use_service=False`` always uses a pool of
        its own (benchmarks that measure the pool itself); ``converters`` are
        used instead of new ones (a command that started them early), and
        stopped at the end too.
        """
        fonts = ensure_sc_fonts(settings.data)
        templates = TemplateSet(settings.templates_dir)
        pool = converters or ServiceOrPool(settings, fonts, use_service=use_service)
        try:
            yield cls(settings=settings, fonts=fonts, templates=templates, pool=pool)
        finally:
            pool.stop()
