"""Read the files of a raw folder and cut them into documents.

A source file is one snapshot in raw/. A document is one text inside it: the issued notice, or,
for a consultation page, the announcement, drafting explanation, draft, feedback summary, final
text and interpretation it embeds. Every document keeps its lines with their 1-based line numbers
in the source file (and page numbers where the format has pages), so every output row can point
back to where it came from.

A file's lines are read once per process: they are kept by the SHA-256 of the file's bytes (never
by its name or time stamp), so a source that changes is read again.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from pathlib import Path

from pipeline.consultation_page import is_consultation_page, split_consultation_page
from pipeline.errors import SourceError
from pipeline.notice import parse_notice_header
from pipeline.readers.layout_text import is_layout_text
from pipeline.records import Document, Line, Source

TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


# --------------------------------------------------------------------------- reading files

def sniff_format(data: bytes) -> str:
    """Format from magic bytes, never from the file name."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    lowered = head.lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered[:512]:
        return "html"
    return "txt"


# Control characters that no text file holds (line breaks, tabs and form feeds aside).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def decode_text(data: bytes, path: Path) -> str:
    if b"\x00" in data:
        raise SourceError(path, "contains NUL bytes: not a text, PDF, DOCX or HTML file")
    for encoding in TEXT_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = len(CONTROL_CHARS.findall(text))
        if controls > len(text) / 100:
            raise SourceError(path, "looks like binary data, not text")
        return text
    raise SourceError(path, f"cannot be decoded as text (tried {', '.join(TEXT_ENCODINGS)})")


# Line breaks as str.splitlines counts them, so line numbers are those of any text editor.
LINE_BREAK = re.compile(r"(\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])")
# Page furniture that an extractor glues to the next page's first line when it joins pages.
GLUED_PAGE_NUMBER = re.compile(r"^\s*([—–\-－]\s*\d{1,4}\s*[—–\-－]|第\s*\d+\s*页\s*共\s*\d+\s*页)(?=\S)")
GLUED_PAGE_NUMBER_START = ("—", "–", "-", "－", "第")  # what it opens with, after white space
# The reference line to the annex (附件：title) with the annex's own heading glued on.
GLUED_ANNEX_HEADING = re.compile(r"^(\s*附件\s*\d*\s*[:：].+?)(附件\s*\d*)\s*$")


def text_lines(text: str) -> list[Line]:
    """The lines of a text file, numbered as an editor numbers them.

    Text copied out of a PDF marks page breaks with form feeds when the extractor writes them:
    the lines then carry their page. Page furniture or an annex heading glued onto a line by an
    extractor that joins pages without a break is put back on a line of its own (same number).
    """
    parts = LINE_BREAK.split(text)
    if parts and parts[-1] == "":
        parts.pop()  # a final line break ends the last line, it does not open another
    paged = "\f" in text
    page = 1
    lines: list[Line] = []
    for k in range(0, len(parts), 2):
        number = k // 2 + 1
        for piece in _unglue(parts[k]):
            lines.append(Line(piece, number, page if paged else None))
        if k + 1 < len(parts) and parts[k + 1] == "\f":
            page += 1
    return lines


def _unglue(text: str) -> list[str]:
    # Most lines open with neither a page number's mark nor hold the annex heading: they are not
    # matched against the patterns at all.
    if text.lstrip()[:1] in GLUED_PAGE_NUMBER_START and (m := GLUED_PAGE_NUMBER.match(text)) is not None:
        return [m.group(1), text[m.end():]]
    if "附件" in text and (m := GLUED_ANNEX_HEADING.match(text)) is not None:
        return [m.group(1), m.group(2)]
    return [text]


# Lines read from a file's bytes, by the bytes' SHA-256: a run reads each file once however many
# stages load the folder. Bounded, so that a corpus worker does not keep every file it read.
_LINES: OrderedDict[str, tuple[str, tuple[Line, ...]]] = OrderedDict()
LINES_KEPT = 32


def read_lines_of(data: bytes, path: Path) -> tuple[str, str, tuple[Line, ...]]:
    """(sha256, format, lines) of a file's bytes; read once per process for the same bytes. An
    error is not kept: it names the file, and another file may hold the same bytes."""
    sha256 = hashlib.sha256(data).hexdigest()
    kept = _LINES.get(sha256)
    if kept is not None:
        _LINES.move_to_end(sha256)
        return (sha256, *kept)
    fmt = sniff_format(data)
    if fmt == "txt":
        text = decode_text(data, path)
        if is_layout_text(text):
            from pipeline.readers.layout_text import read_layout_text
            lines = tuple(read_layout_text(text, path))
        else:
            lines = tuple(text_lines(text))
    else:
        # Imported here: the readers (and their libraries) load only when a file needs them.
        from pipeline.readers import read_lines
        lines = tuple(read_lines(fmt, data, path))
    _LINES[sha256] = (fmt, lines)
    if len(_LINES) > LINES_KEPT:
        _LINES.popitem(last=False)
    return sha256, fmt, lines


def read_source(path: Path, raw_dir: Path | None = None, stem: str | None = None) -> Source:
    """Read one file; `stem` is its document id as given by `source_stems` over the whole folder."""
    if not path.exists():
        raise SourceError(path, "file not found")
    data = path.read_bytes()
    if not data.strip():
        raise SourceError(path, "file is empty")
    sha256, fmt, lines = read_lines_of(data, path)
    name = path.relative_to(raw_dir).as_posix() if raw_dir else path.name
    return Source(path, name, sha256, fmt, list(lines), stem or name_stem(name))


def source_paths(raw_dir: Path) -> list[Path]:
    """The source files of a raw folder, in a stable order; README files are documentation."""
    if not raw_dir.is_dir():
        raise SourceError(raw_dir, "raw folder not found")
    paths = sorted(p for p in raw_dir.rglob("*") if p.is_file() and not p.name.startswith(".")
                   and p.name.lower() not in ("readme.md", "readme.txt"))
    if not paths:
        raise SourceError(raw_dir, "no source files in the raw folder")
    return paths


# --------------------------------------------------------------------------- document ids

def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "source"


def name_stem(name: str) -> str:
    """The readable id a file name gives on its own: the path without its extension, in ASCII."""
    return _slug(Path(name).with_suffix("").as_posix())


def source_stems(names: list[str]) -> dict[str, str]:
    """The document id of every source file of a folder: readable, deterministic, never shared.

    A file keeps the id of its name without the extension (the ids of a folder without clashes
    never change). Files whose ids would clash, ignoring case (a notice as rev.pdf and rev.docx,
    Rev.txt and rev.txt, a/x.txt and a-x.txt), keep their extension (rev.pdf, rev.docx); any that
    still clash are numbered in the order of their names (x.txt, x.txt-2). Case is ignored because
    ids name files and folders of the outputs, and some file systems ignore it.
    """
    ordered = sorted(names)
    stems = {name: name_stem(name) for name in ordered}
    clashes: dict[str, list[str]] = {}
    for name in ordered:
        clashes.setdefault(stems[name].casefold(), []).append(name)
    for group in clashes.values():
        if len(group) > 1:
            for name in group:
                stems[name] = _slug(name)
    used: set[str] = set()
    for name in ordered:
        stem, k = stems[name], 1
        while stem.casefold() in used:
            k += 1
            stem = f"{stems[name]}-{k}"
        stems[name] = stem
        used.add(stem.casefold())
    return stems


# --------------------------------------------------------------------------- documents

def _stem(source: Source) -> str:
    return source.stem or name_stem(source.name)


def split_documents(source: Source) -> list[Document]:
    if is_consultation_page(source):
        return split_consultation_page(source, _stem(source))
    return [issued_notice(source)]


def issued_notice(source: Source) -> Document:
    lines = source.lines
    header = parse_notice_header(lines[:60])
    return Document(doc_id=_stem(source), kind="issued_notice", source=source, lines=lines,
                    title=header["title"] or "", doc_number=header["doc_number"], issuer=header["issuer"],
                    issue_date=header["issue_date"], recipients=header["recipients"])
