"""Stage `documents`: one row per document found in raw/, embedded documents included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.load import load_documents
from pipeline.records import Document
from pipeline.tables import Column, TableSpec, write_tables

DOCUMENTS = TableSpec(
    name="documents",
    description="One row per document found in the raw sources, including the documents embedded in a consultation page.",
    primary_key=("doc_id",),
    columns=(
        Column("doc_id", "string", "Stable id: source file name without its extension (with it when two files of the folder would "
                                  "share an id, e.g. rev.pdf and rev.docx), plus '/kind' for documents embedded in a page.", required=True),
        Column("kind", "string", "issued_notice, consultation_draft, final_text, consultation_announcement, drafting_explanation, consultation_channels, feedback_summary or interpretation.", dictionary=True, required=True),
        Column("title", "string", "Title as printed."),
        Column("doc_number", "string", "Document number as printed, e.g. 六政办秘〔2022〕49号."),
        Column("issuer", "string", "Issuing or organising body."),
        Column("issue_date", "date", "Date of issue (or of the feedback summary)."),
        Column("recipients", "string", "Addressees of a notice (主送机关)."),
        Column("label", "string", "Status label printed with the title, e.g. 征求意见稿."),
        Column("source_file", "string", "Source file, relative to the raw folder.", dictionary=True, required=True),
        Column("source_sha256", "string", "SHA-256 of the source file.", dictionary=True, required=True),
        Column("source_format", "string", "Format detected from the file's content: txt, pdf, docx or html.", dictionary=True, required=True),
        Column("line_start", "integer", "First line of the document in the source file (1-based)."),
        Column("line_end", "integer", "Last line of the document in the source file."),
        Column("page_start", "integer", "First page, where the source has pages."),
        Column("page_end", "integer", "Last page, where the source has pages."),
        Column("version_of", "string", "For another file of the same plan version (the same notice as PDF and DOCX: "
                                       "same document number and date, or the same body): the doc_id of the reading "
                                       "published as the version; empty for a published document."),
    ),
)


def document_rows(documents: list[Document]) -> list[dict[str, Any]]:
    rows = []
    for doc in documents:
        pages = [ln.page for ln in doc.lines if ln.page is not None]
        start, end = doc.line_span
        rows.append({
            "doc_id": doc.doc_id, "kind": doc.kind, "title": doc.title or None,
            "doc_number": doc.doc_number, "issuer": doc.issuer, "issue_date": doc.issue_date,
            "recipients": doc.recipients, "label": doc.label,
            "source_file": doc.source.name, "source_sha256": doc.source.sha256,
            "source_format": doc.source.format, "line_start": start, "line_end": end,
            "page_start": min(pages) if pages else None, "page_end": max(pages) if pages else None,
            "version_of": doc.version_of,
        })
    return rows


def run(raw_dir: Path, out_dir: Path) -> None:
    write_tables(out_dir, [(DOCUMENTS, document_rows(load_documents(raw_dir)))])
