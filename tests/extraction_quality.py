"""Extraction quality of the PDF and HTML paths, before and after issue 20 (docs/documents.md).

Run ``python -m tests.extraction_quality`` to print the table. Two measures on the realistic
files of ``tests/realistic_docs.py``: the share of running header/footer (or menu, banner,
footer) lines still in the extracted text, and the share of article headings the chunker finds.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

from ingest.read.loading import LoadedDocument, load_document, make_document, soup_text
from ingest.read.pdf_layout import clean_pdf_pages
from ingest.split.chunking import chunk_document
from tests.helpers import make_source
from tests.realistic_docs import (
    JORF_ARTICLES,
    JORF_DATE_LINE,
    JORF_HEADER,
    MENU_LINES,
    WEB_PAGES,
    jorf_footer,
    make_jorf_pdf,
)

_CUT_WORD = re.compile(r"[^\W\d_]-\s*\n\s*[a-zà-ÿ]")
WEB_NOISE = (*MENU_LINES, "Personnaliser", "Accueil > Codes", "© Légifrance", "© ARS Occitanie")


@dataclass(frozen=True, slots=True)
class Quality:
    """One extraction path measured on one kind of file."""

    path: str
    noise_left: float
    headings_found: float
    seconds: float
    clean_articles: float | None = None
    """Share of the articles whose passages hold no header or footer text (PDF only)."""
    cut_words: int | None = None
    """Words still cut by a hyphen at a line end (PDF only)."""


def pdf_quality(pdf: Path, label: str, mode: str, clean: bool) -> Quality:
    """pypdf's ``plain`` or ``layout`` text, with or without the header/footer clean-up."""
    started = time.perf_counter()
    reader = PdfReader(str(pdf))
    pages = [(n, page.extract_text(extraction_mode=mode)) for n, page in enumerate(reader.pages, 1)]
    if clean:
        pages = clean_pdf_pages(pages)
    seconds = time.perf_counter() - started
    document = make_document(pdf, {}, pages, "0" * 64)
    total = len(pages) * 4  # header, date, « Texte 12 sur 150 », page number
    left = 0
    for number, text in pages:
        lines = [line.strip() for line in text.split("\n")]
        noise = (JORF_HEADER, "16 septembre 2021", JORF_DATE_LINE, jorf_footer(number, len(pages)))
        # Layout mode puts the date and « Texte 12 sur 150 » on one line: look inside lines.
        left += sum(1 for item in noise if any(item in line for line in lines))
    chunks = chunk_document(document, make_source(), chunk_size=800, chunk_overlap=100)
    articles = set(JORF_ARTICLES)
    noisy = {c.article for c in chunks if JORF_HEADER in c.text or JORF_DATE_LINE in c.text}
    found = articles & {chunk.article for chunk in chunks}
    cut = sum(len(_CUT_WORD.findall(text)) for _, text in pages)
    return Quality(
        label,
        left / total,
        len(found) / len(articles),
        seconds,
        len(found - noisy) / len(articles),
        cut,
    )


def web_quality(label: str, read: Callable[[Path], LoadedDocument], folder: Path) -> Quality:
    """Menus, banners and footers left, and article or section headings kept, over both pages."""
    started = time.perf_counter()
    noise_total = noise_left = headings_total = headings_found = 0
    for page in WEB_PAGES:
        path = folder / page.name
        path.write_text(page.html, encoding="utf-8")
        body = read(path).body
        present = [noise for noise in WEB_NOISE if noise in page.html.replace("&gt;", ">")]
        noise_total += len(present)
        noise_left += sum(1 for noise in present if noise in body)
        headings_total += len(page.headings)
        headings_found += sum(1 for heading in page.headings if heading in body)
    seconds = time.perf_counter() - started
    return Quality(label, noise_left / noise_total, headings_found / headings_total, seconds)


def _soup_document(path: Path) -> LoadedDocument:
    return make_document(path, {}, [(0, soup_text(path.read_bytes(), path))], "0" * 64)


def measure(folder: Path) -> list[Quality]:
    """Every path measured on files written into ``folder``."""
    pdf = make_jorf_pdf(folder / "jorf.pdf")
    return [
        pdf_quality(pdf, "PDF, pypdf plain (avant)", "plain", clean=False),
        pdf_quality(pdf, "PDF, pypdf layout", "layout", clean=False),
        pdf_quality(pdf, "PDF, pypdf layout + nettoyage", "layout", clean=True),
        pdf_quality(pdf, "PDF, pypdf plain + nettoyage (après)", "plain", clean=True),
        web_quality("HTML, règles BeautifulSoup (avant)", _soup_document, folder),
        web_quality("HTML, trafilatura (après)", load_document, folder),
    ]


def main() -> None:
    """Print the table of docs/documents.md."""
    with tempfile.TemporaryDirectory() as folder:
        rows = measure(Path(folder))
    lines = [
        "| chemin | lignes d'en-tête/pied/menu restantes | titres trouvés "
        "| articles sans en-tête ni pied | mots coupés restants | temps |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        clean = "—" if row.clean_articles is None else f"{row.clean_articles:.0%}"
        cut = "—" if row.cut_words is None else str(row.cut_words)
        lines.append(
            f"| {row.path} | {row.noise_left:.0%} | {row.headings_found:.0%} | {clean} | {cut} "
            f"| {row.seconds * 1000:.0f} ms |"
        )
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
