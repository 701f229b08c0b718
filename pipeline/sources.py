"""Read the files in raw/ and cut them into documents.

A source file is one snapshot in raw/. A document is one text inside it: the issued notice, or,
for a consultation page, the announcement, drafting explanation, draft, feedback summary, final
text and interpretation it embeds. Every document keeps its lines with their 1-based line numbers
in the source file (and page numbers where the format has pages), so every output row can point
back to where it came from.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from pipeline.errors import SourceError
from pipeline.textnorm import normalize_key

TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class CellRef:
    """Where a line sits in a table read from the source's structure (a Word or ruled PDF table).

    `row` counts logical rows (a row continued across a page break is one row); `col` is the first
    grid column the cell covers and `colspan` how many it covers.
    """
    table: int
    row: int
    col: int
    colspan: int = 1


@dataclass(frozen=True)
class Line:
    """One line of a source. For a text file `lineno` is the line number; for a PDF it counts the
    text lines read off the pages in order; for a DOCX it counts paragraphs in document order."""
    text: str
    lineno: int
    page: int | None = None
    cell: CellRef | None = None
    wrapped: bool = False  # broken by the layout, not by the author: the paragraph goes on


@dataclass
class Source:
    path: Path
    name: str  # file name relative to the raw folder, as published in `source_file`
    sha256: str
    format: str  # txt | pdf | docx | html
    lines: list[Line]
    stem: str = ""  # the document id the file gives (see source_stems)


@dataclass
class Document:
    doc_id: str
    kind: str
    source: Source
    lines: list[Line]
    title: str = ""
    doc_number: str | None = None
    issuer: str | None = None
    issue_date: str | None = None  # ISO date
    recipients: str | None = None
    label: str | None = None  # a printed status label such as 征求意见稿
    extra: dict[str, str] = field(default_factory=dict)
    # Another file of the same plan version (the same notice as PDF and DOCX): the doc_id of the
    # reading published as the version (see pipeline.versions); None for a published reading.
    version_of: str | None = None

    @property
    def is_plan_version(self) -> bool:
        return self.kind in PLAN_KINDS

    @property
    def is_twin(self) -> bool:
        return self.version_of is not None

    @property
    def line_span(self) -> tuple[int, int]:
        return (self.lines[0].lineno, self.lines[-1].lineno) if self.lines else (0, 0)


PLAN_KINDS = ("consultation_draft", "final_text", "issued_notice")


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


def decode_text(data: bytes, path: Path) -> str:
    if b"\x00" in data:
        raise SourceError(path, "contains NUL bytes: not a text, PDF, DOCX or HTML file")
    for encoding in TEXT_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
        if controls > len(text) / 100:
            raise SourceError(path, "looks like binary data, not text")
        return text
    raise SourceError(path, f"cannot be decoded as text (tried {', '.join(TEXT_ENCODINGS)})")


# Line breaks as str.splitlines counts them, so line numbers are those of any text editor.
LINE_BREAK = re.compile(r"(\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])")
# Page furniture that an extractor glues to the next page's first line when it joins pages.
GLUED_PAGE_NUMBER = re.compile(r"^\s*([—–\-－]\s*\d{1,4}\s*[—–\-－]|第\s*\d+\s*页\s*共\s*\d+\s*页)(?=\S)")
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
    if (m := GLUED_PAGE_NUMBER.match(text)) is not None:
        return [m.group(1), text[m.end():]]
    if (m := GLUED_ANNEX_HEADING.match(text)) is not None:
        return [m.group(1), m.group(2)]
    return [text]


def read_source(path: Path, raw_dir: Path | None = None, stem: str | None = None) -> Source:
    """Read one file; `stem` is its document id as given by `source_stems` over the whole folder."""
    if not path.exists():
        raise SourceError(path, "file not found")
    data = path.read_bytes()
    if not data.strip():
        raise SourceError(path, "file is empty")
    fmt = sniff_format(data)
    if fmt == "txt":
        lines = text_lines(decode_text(data, path))
    else:
        from pipeline.readers import read_lines
        lines = read_lines(fmt, data, path)
    name = path.relative_to(raw_dir).as_posix() if raw_dir else path.name
    return Source(path, name, hashlib.sha256(data).hexdigest(), fmt, lines, stem or name_stem(name))


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


# --------------------------------------------------------------------------- notice headers

DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号")
CN_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
DRAFT_LABEL = re.compile(r"[（(]\s*(征求意见稿|送审稿|草案|讨论稿)\s*[)）]")


def _nonblank(lines: list[Line]) -> list[Line]:
    return [ln for ln in lines if ln.text.strip()]


def iso_date(match: re.Match[str]) -> str:
    year, month, day = (int(g) for g in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_notice_header(lines: list[Line]) -> dict[str, str | None]:
    """Title, document number, recipients, issuer and date of a 通知 that transmits a plan.

    The form is the standard one for government notices: title lines, the document number,
    the recipients ending with a colon, a short body, then the issuer and the date on their
    own lines.
    """
    body = _nonblank(lines)
    out: dict[str, str | None] = {"title": None, "doc_number": None, "recipients": None,
                                  "issuer": None, "issue_date": None}
    number_at = next((i for i, ln in enumerate(body[:12]) if DOC_NUMBER.fullmatch(ln.text.strip())), None)
    date_at = next((i for i, ln in enumerate(body[:30]) if CN_DATE.fullmatch(ln.text.strip())), None)
    title_end = number_at
    if number_at is not None:
        out["doc_number"] = re.sub(r"\s+", "", body[number_at].text)
    else:
        # Without a number the recipients line (ending in a colon) ends the title.
        title_end = next((i for i, ln in enumerate(body[:12]) if ln.text.rstrip().endswith(("：", ":"))), 1)
    out["title"] = "".join(ln.text.strip() for ln in body[:title_end]) or None
    start = title_end + (1 if number_at is not None else 0)
    recipients: list[str] = []
    for ln in body[start:start + 6]:
        recipients.append(ln.text.strip())
        if ln.text.rstrip().endswith(("：", ":")):
            out["recipients"] = "".join(recipients).rstrip("：:")
            break
    if date_at is not None:
        out["issue_date"] = iso_date(CN_DATE.fullmatch(body[date_at].text.strip()))
        if date_at > 0:
            out["issuer"] = body[date_at - 1].text.strip()
    return out


# --------------------------------------------------------------------------- documents

def _stem(source: Source) -> str:
    return source.stem or name_stem(source.name)


def is_consultation_page(source: Source) -> bool:
    head = [normalize_key(ln.text) for ln in source.lines[:5]]
    has_menu = sum(1 for ln in source.lines[:40] if ln.text.strip().startswith("•")) >= 3
    return has_menu and any("征求" in h and "意见" in h for h in head)


def split_documents(source: Source) -> list[Document]:
    if is_consultation_page(source):
        from pipeline.consultation_page import split_consultation_page
        return split_consultation_page(source, _stem(source))
    return [issued_notice(source)]


def issued_notice(source: Source) -> Document:
    lines = source.lines
    header = parse_notice_header(lines[:60])
    return Document(doc_id=_stem(source), kind="issued_notice", source=source, lines=lines,
                    title=header["title"] or "", doc_number=header["doc_number"], issuer=header["issuer"],
                    issue_date=header["issue_date"], recipients=header["recipients"])


# When the command line collects problems, a bad source is reported and skipped so that every other
# source is still processed; without a collector (library use, tests) the first bad source raises.
_problems: ContextVar[list[str] | None] = ContextVar("source_problems", default=None)


@contextmanager
def collect_problems() -> Iterator[list[str]]:
    problems: list[str] = []
    token = _problems.set(problems)
    try:
        yield problems
    finally:
        _problems.reset(token)


def report_problem(error: SourceError, consequence: str = "skipped") -> None:
    """Record a problem (and what was done about it) when the command line collects them."""
    problems = _problems.get()
    if problems is None:
        raise error
    message = f"{error} ({consequence})" if consequence else str(error)
    if message not in problems:
        problems.append(message)


def load_documents(raw_dir: Path) -> list[Document]:
    """Every document in every source of `raw_dir`, the other files of one plan version marked.

    Duplicate copies of one file are read once; the same notice in several files (PDF and DOCX)
    is one plan version, published from its most structured reading, the others marked with
    `version_of` (see pipeline.versions); two files that claim the same document number for
    different notices are both kept and reported.
    """
    documents: list[Document] = []
    seen_hashes: dict[str, str] = {}
    paths = source_paths(raw_dir)
    stems = source_stems([p.relative_to(raw_dir).as_posix() for p in paths])
    for path in paths:
        try:
            source = read_source(path, raw_dir, stems[path.relative_to(raw_dir).as_posix()])
            if source.sha256 in seen_hashes:
                raise SourceError(path, f"same bytes as {seen_hashes[source.sha256]}, a duplicate")
            seen_hashes[source.sha256] = source.name
            documents.extend(_unique_ids(split_documents(source), documents))
        except SourceError as error:
            report_problem(error)
    if not documents:
        raise SourceError(raw_dir, "no readable source in the raw folder")
    from pipeline.versions import mark_twins
    mark_twins(documents)
    _report_number_claims(documents)
    return documents


def _unique_ids(new: list[Document], earlier: list[Document]) -> list[Document]:
    """File ids never clash (source_stems); a page holding two texts of one kind would give one id
    twice: the second is reported and skipped rather than stopping the run."""
    taken = {d.doc_id.casefold() for d in earlier}
    kept = []
    for doc in new:
        if doc.doc_id.casefold() in taken:
            report_problem(SourceError(doc.source.name, f"{doc.kind} at line {doc.line_span[0]} gives the "
                                                        f"document id {doc.doc_id!r} a second time"))
            continue
        taken.add(doc.doc_id.casefold())
        kept.append(doc)
    return kept


def _report_number_claims(documents: list[Document]) -> None:
    """Two files of one notice are one version; two different notices claiming one number are a
    problem a person must look at."""
    by_number: dict[tuple[str, str], Document] = {}
    for doc in documents:
        if doc.doc_number and doc.kind == "issued_notice" and not doc.is_twin:
            key = (doc.kind, normalize_key(doc.doc_number))
            other = by_number.setdefault(key, doc)
            if other is not doc:
                report_problem(SourceError(doc.source.name, f"claims document number {doc.doc_number} "
                                                            f"like {other.source.name}"), "both kept")


def plan_versions(documents: list[Document]) -> list[Document]:
    """Versions of the plan text, oldest first (drafts before finals on the same date); another
    file of a version (marked by `load_documents`) is not a version of its own."""
    order = {kind: i for i, kind in enumerate(PLAN_KINDS)}
    versions = [d for d in documents if d.is_plan_version and not d.is_twin]
    return sorted(versions, key=lambda d: (d.issue_date or "", order[d.kind], d.doc_id))
