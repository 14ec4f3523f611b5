"""Fill ``.docx`` templates (docxtpl) with checked, escaped values.

docxtpl's defaults leave escaping off and turn a missing value into blank text;
here values are always XML-escaped (``<``, ``&``, ``{{`` print literally) and a
field missing from the context is an error naming the template and the field.
A template edited so that its fields no longer match its manifest entry (a
field deleted in Word, a new one not listed) is refused on first use, before a
document silently lacks, say, the supervision phone.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
import zipfile
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
import yaml
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from lxml import etree

from pipeline.documents.messages import (
    FIELDS_NOT_LISTED,
    LISTED_FIELDS_UNUSED,
    MANIFEST_UNREADABLE,
    NO_SUCH_TEMPLATE,
    TEMPLATE_FIELDS_MISSING,
    TEMPLATE_FILE_DAMAGED,
    TEMPLATE_FILE_MISSING,
    TEMPLATE_NOT_AS_LISTED,
    TEMPLATE_SYNTAX,
    TEMPLATE_SYNTAX_TAGS,
    TEMPLATE_VALUE_MISSING,
)
from pipeline.errors import TemplateError
from pipeline.stages import stage
from pipeline.yamlfile import safe_load


def chinese_date(day: dt.date) -> str:
    """Official-document date: 2026年11月24日 (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class Image:
    """An image to place in a template, with its printed width and height."""

    path: Path
    width_mm: float
    height_mm: float | None = None


# python-docx parses every part with parsers and element-class lookups that are
# module globals, shared by all threads. With the documents of a job rendered
# from several threads at once, a template once came back without its package's
# relationships ("no relationship of type …officeDocument"); one render at a
# time costs little, as the GIL already serialises most of a render and
# LibreOffice's conversion, which stays parallel, is most of a document's time.
_PYTHON_DOCX = threading.Lock()


@dataclass(frozen=True)
class TemplateSpec:
    """A template named in the manifest."""

    name: str
    path: Path
    title: str
    fields: Mapping[str, str]


class TemplateSet:
    """The templates of a folder, read through its ``manifest.yaml``."""

    def __init__(self, folder: Path) -> None:
        """Read the manifest in ``folder``; templates are parsed on first use."""
        manifest = folder / "manifest.yaml"
        try:
            data = safe_load(manifest.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise TemplateError(MANIFEST_UNREADABLE(manifest=manifest, error=exc)) from exc
        self.folder = folder
        self.specs = {
            name: TemplateSpec(
                name=name,
                path=folder / entry["file"],
                title=entry.get("title", name),
                fields=entry.get("fields", {}),
            )
            for name, entry in data.items()
        }
        self._sources: dict[str, bytes] = {}
        self._matched: set[str] = set()
        self._patched: dict[str, str] = {}
        self._environment = _CompilingOnce(undefined=jinja2.StrictUndefined, autoescape=True)

    def spec(self, name: str) -> TemplateSpec:
        """The manifest entry of template ``name``."""
        try:
            return self.specs[name]
        except KeyError:
            raise TemplateError(
                NO_SUCH_TEMPLATE(
                    name=name,
                    manifest=self.folder / "manifest.yaml",
                    known=", ".join(sorted(self.specs)),
                )
            ) from None

    def _source(self, spec: TemplateSpec) -> bytes:
        # The file is read once; docxtpl edits its document while rendering, so each
        # render parses a fresh copy from these bytes.
        if spec.name not in self._sources:
            try:
                data = spec.path.read_bytes()
            except OSError as exc:
                raise TemplateError(TEMPLATE_FILE_MISSING(path=spec.path)) from exc
            try:
                self._sources[spec.name] = slim_template(data)
            except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
                raise TemplateError(
                    TEMPLATE_FILE_DAMAGED(file=spec.path.name, title=spec.title, error=exc)
                ) from exc
        return self._sources[spec.name]

    def declared_fields(self, name: str) -> set[str]:
        """The variables the ``.docx`` of template ``name`` uses."""
        spec = self.spec(name)
        source = self._source(spec)
        try:
            with _PYTHON_DOCX:  # it parses the template with python-docx, as a render does
                fields: set[str] = _Template(
                    io.BytesIO(source), self._patched
                ).get_undeclared_template_variables()
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                TEMPLATE_SYNTAX_TAGS(file=spec.path.name, line=exc.lineno, error=exc.message)
            ) from exc
        return fields

    def _check_fields(self, spec: TemplateSpec) -> None:
        """Refuse a template whose fields are not those its manifest entry lists."""
        if spec.name in self._matched:
            return
        used, listed = self.declared_fields(spec.name), set(spec.fields)
        problems = []
        if used - listed:
            problems.append(FIELDS_NOT_LISTED.side_by_side(fields=", ".join(sorted(used - listed))))
        if listed - used:
            problems.append(
                LISTED_FIELDS_UNUSED.side_by_side(fields=", ".join(sorted(listed - used)))
            )
        if problems:
            raise TemplateError(
                TEMPLATE_NOT_AS_LISTED(
                    file=spec.path.name,
                    title=spec.title,
                    name=spec.name,
                    problems="; ".join(problems),
                )
            )
        self._matched.add(spec.name)

    def render(self, name: str, context: Mapping[str, Any], target: Path) -> Path:
        """Render template ``name`` with ``context`` into ``target`` (a .docx)."""
        with stage("render"):
            spec = self.spec(name)
            self._check_fields(spec)
            missing = sorted(set(spec.fields) - set(context))
            if missing:
                raise TemplateError(
                    TEMPLATE_FIELDS_MISSING(
                        file=spec.path.name,
                        title=spec.title,
                        name=spec.name,
                        fields=", ".join(missing),
                    )
                )
            source = self._source(spec)
            target.parent.mkdir(parents=True, exist_ok=True)
            with _PYTHON_DOCX:
                document = _Template(io.BytesIO(source), self._patched)
                values = {key: _to_template_value(document, v) for key, v in context.items()}
                try:
                    document.render(values, jinja_env=self._environment, autoescape=True)
                except jinja2.UndefinedError as exc:
                    raise TemplateError(
                        TEMPLATE_VALUE_MISSING(
                            file=spec.path.name, name=spec.name, error=exc.message
                        )
                    ) from exc
                except jinja2.TemplateSyntaxError as exc:
                    raise TemplateError(
                        TEMPLATE_SYNTAX(file=spec.path.name, line=exc.lineno, error=exc.message)
                    ) from exc
                document.save(target)
            return target

    @cached_property
    def names(self) -> list[str]:
        """Names of all templates in the manifest."""
        return sorted(self.specs)


class _Template(DocxTemplate):  # type: ignore[misc]  # docxtpl has no type hints
    """docxtpl's template, its XML cleaned up once per template text.

    Before every render docxtpl rewrites the XML of each part with some thirty
    regular expressions (joining the runs Word splits a ``{{ field }}`` into);
    the result depends on the template alone, and it was a third of a render.
    """

    def __init__(self, docx: io.BytesIO, patched: dict[str, str]) -> None:
        super().__init__(docx)
        self._patched = patched

    def patch_xml(self, src_xml: str) -> str:
        done = self._patched.get(src_xml)
        if done is None:
            done = self._patched[src_xml] = super().patch_xml(src_xml)
        return done


class _CompilingOnce(jinja2.Environment):
    """Compiles each template text once.

    docxtpl hands Jinja the XML of every part (document, footer…) as a string on
    every render; compiling it was a quarter of a notice's render time, and the
    text is the same each time for a given template.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._compiled: dict[str, jinja2.Template] = {}

    def from_string(  # type: ignore[override]
        self, source: str, globals: MutableMapping[str, Any] | None = None, **options: Any
    ) -> jinja2.Template:
        if globals or options:
            return super().from_string(source, globals, **options)
        template = self._compiled.get(source)
        if template is None:
            template = self._compiled[source] = super().from_string(source)
        return template


def _to_template_value(document: DocxTemplate, value: Any) -> Any:
    if isinstance(value, Image):
        height = Mm(value.height_mm) if value.height_mm else None
        return InlineImage(document, str(value.path), width=Mm(value.width_mm), height=height)
    return value


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_STYLE_REFERENCE = re.compile(
    rb'<w:(?:pStyle|rStyle|tblStyle|numStyleLink|styleLink) w:val="([^"]+)"'
)
# Word's extra copy of the styles for Word 2010 and the preview picture: read and
# written again by every render, used by nothing that prints.
_UNUSED_PARTS = ("word/stylesWithEffects.xml", "docProps/thumbnail.jpeg")


def slim_template(docx: bytes) -> bytes:
    """The template without what no rendered document uses; prints the same.

    A template saved by Word carries every built-in style (here 164, 340 KB)
    and a second copy of them; python-docx parses and deflates all of it on
    every render, LibreOffice reads it on every conversion. Kept: the styles
    the template's parts name, the default styles, and those they are based
    on, linked to or followed by.
    """
    with zipfile.ZipFile(io.BytesIO(docx)) as source:
        names = [n for n in source.namelist() if n not in _UNUSED_PARTS]
        parts = {name: source.read(name) for name in names}
    used = {
        match.decode()
        for name, data in parts.items()
        if name.startswith("word/") and name.endswith(".xml") and name != "word/styles.xml"
        for match in _STYLE_REFERENCE.findall(data)
    }
    if "word/styles.xml" in parts:
        parts["word/styles.xml"] = _used_styles(parts["word/styles.xml"], used)
    for name in ("word/_rels/document.xml.rels", "_rels/.rels", "[Content_Types].xml"):
        if name in parts:
            parts[name] = re.sub(
                rb"<(?:Relationship|Override) [^>]*(?:stylesWithEffects|thumbnail)[^>]*/>",
                b"",
                parts[name],
            )
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return output.getvalue()


def _used_styles(styles_xml: bytes, used: set[str]) -> bytes:
    root = etree.fromstring(styles_xml)
    by_id = {style.get(f"{{{_W}}}styleId"): style for style in root.iter(f"{{{_W}}}style")}
    wanted = [i for i, style in by_id.items() if style.get(f"{{{_W}}}default") == "1"]
    wanted += used
    kept: set[str] = set()
    while wanted:
        style_id = wanted.pop()
        if style_id in kept or style_id not in by_id:
            continue
        kept.add(style_id)
        for tag in ("basedOn", "link", "next"):
            reference = by_id[style_id].find(f"{{{_W}}}{tag}")
            if reference is not None:
                wanted.append(reference.get(f"{{{_W}}}val"))
    for style_id, style in by_id.items():
        if style_id not in kept:
            root.remove(style)
    for latent in root.findall(f"{{{_W}}}latentStyles"):
        root.remove(latent)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return data
