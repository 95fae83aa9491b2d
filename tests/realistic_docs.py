"""Builders of the files users actually hold: a JORF-like PDF, a protocol .docx, web pages.

Every file is made by a real writer (reportlab for the PDF, python-docx for the Word file), never
by hand-written bytes. The texts paraphrase the Code de la santé publique; each builder also
returns what the extraction must keep (article references, pages) and what it must drop
(running headers and footers, menus, banners).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from assistant.answer.answering import Assistant
from assistant.config import Settings
from assistant.factory import build_assistant
from assistant.schema import Answer, Chunk
from ingest.fetch.local import add_document
from ingest.fetch.sources import Source
from ingest.indexing import Ingestor
from tests.fakes import HashingEmbedder
from tests.helpers import make_settings, open_store, write_corpus

JORF_HEADER = "JOURNAL OFFICIEL DE LA RÉPUBLIQUE FRANÇAISE"
JORF_DATE_LINE = "Texte 12 sur 150"
JORF_TITLE = (
    "Décret n° 2021-1234 du 15 septembre 2021 relatif aux protocoles de coopération "
    "entre professionnels de santé"
)

# The body as typeset: lines already broken, some words hyphenated at the line end. Page breaks
# are "\f". Article L. 4011-2 starts on page 1 and ends on page 2.
JORF_BODY = (
    JORF_TITLE.replace("de coopération ", "de coopération\n") + "\n"
    "Article L. 4011-1\n"
    "Par dérogation aux dispositions relatives aux compétences des profession-\n"
    "nels de santé, ceux-ci peuvent s'engager, à leur initiative, dans une démarche\n"
    "de coopération ayant pour objet d'opérer entre eux des transferts d'activi-\n"
    "tés ou d'actes de soins ou de réorganiser leurs modes d'intervention auprès\n"
    "du patient.\n"
    "Article L. 4011-2\n"
    "Les protocoles de coopération nationaux sont rédigés par des équipes de\n"
    "professionnels de santé sélectionnées après un appel à manifestation d'in-\n"
    "térêt. Le comité national des coopérations interprofessionnelles propose\n"
    "la liste des protocoles à élaborer et assure le suivi de leur déploiement.\n"
    "\f"
    "Les protocoles nationaux sont autorisés par arrêté des ministres chargés\n"
    "de la santé et de la sécurité sociale après avis de la Haute Autorité de\n"
    "santé. Leur financement peut déroger aux règles de facturation habi-\n"
    "tuelles.\n"
    "Article L. 4011-3\n"
    "Les professionnels de santé exerçant en équipe peuvent mettre en œuvre un\n"
    "protocole local de coopération. Ce protocole est déclaré au directeur géné-\n"
    "ral de l'agence régionale de santé, qui en informe le comité national.\n"
    "\f"
    "Article L. 4011-4\n"
    "Un décret en Conseil d'État fixe les conditions d'application du présent\n"
    "chapitre, notamment la composition du comité national des coopérations\n"
    "interprofessionnelles et les modalités d'évaluation des protocoles.\n"
)
JORF_ARTICLES = {"L4011-1": (1, 1), "L4011-2": (1, 2), "L4011-3": (2, 2), "L4011-4": (3, 3)}
"""Article reference → (first page, last page) in the JORF-like PDF."""


def jorf_footer(page: int, pages: int) -> str:
    """The footer line of one page of the JORF-like PDF."""
    return f"{page}/{pages}"


def make_jorf_pdf(path: Path) -> Path:
    """A JORF-like PDF: running header, « Texte 12 sur 150 », page numbers, hyphenated lines."""
    pages = JORF_BODY.split("\f")
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle(JORF_TITLE)
    pdf.setAuthor("Direction de l'information légale et administrative")
    pdf.setCreator("reportlab")
    width, height = A4
    for number, text in enumerate(pages, start=1):
        pdf.setFont("Helvetica", 8)
        pdf.drawCentredString(width / 2, height - 36, JORF_HEADER)
        pdf.drawString(50, height - 48, "16 septembre 2021")
        pdf.drawRightString(width - 50, height - 48, JORF_DATE_LINE)
        pdf.setFont("Helvetica", 11)
        y = height - 90
        for line in text.strip("\n").split("\n"):
            bold = line.startswith("Article ")
            pdf.setFont("Helvetica-Bold" if bold else "Helvetica", 11)
            if bold:
                y -= 8
            pdf.drawString(60, y, line)
            y -= 15
        pdf.setFont("Helvetica", 8)
        pdf.drawCentredString(width / 2, 30, jorf_footer(number, len(pages)))
        pdf.showPage()
    pdf.save()
    return path


PROTOCOL_TITLE = "Protocole local de coopération : renouvellement des lunettes par l'orthoptiste"
PROTOCOL_STEPS = (
    "L'ophtalmologiste délégant valide la liste des patients éligibles.",
    "L'orthoptiste délégué réalise le bilan visuel et la réfraction.",
    "Le délégant relit le dossier dans les sept jours et signe l'ordonnance.",
)
PROTOCOL_TABLE = (
    ("Acte", "Professionnel", "Délai"),
    ("Bilan visuel", "Orthoptiste", "48 heures"),
    ("Relecture du dossier", "Ophtalmologiste", "7 jours"),
    ("Signature de l'ordonnance", "Ophtalmologiste", "7 jours"),
)


def make_protocol_docx(path: Path) -> Path:
    """A protocol as teams write it: headings, a numbered list, a table, an annex."""
    document = docx.Document()
    document.core_properties.title = ""
    document.add_heading(PROTOCOL_TITLE, level=1)
    document.add_paragraph(
        "Le présent protocole, adopté le 3 mars 2024, organise la coopération entre "
        "ophtalmologistes et orthoptistes de la maison de santé des Tilleuls."
    )
    document.add_heading("Article 1 - Objet", level=2)
    document.add_paragraph(
        "Le protocole permet à l'orthoptiste de renouveler les lunettes des patients de "
        "16 à 42 ans sans consultation préalable de l'ophtalmologiste."
    )
    document.add_heading("Article 2 - Déroulement de la prise en charge", level=2)
    document.add_paragraph("La prise en charge suit trois étapes :")
    for step in PROTOCOL_STEPS:
        document.add_paragraph(step, style="List Number")
    document.add_heading("Article 3 - Répartition des actes", level=2)
    table = document.add_table(rows=0, cols=3)
    for row in PROTOCOL_TABLE:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = value
    document.add_heading("Annexe 1 - Critères d'exclusion", level=2)
    document.add_paragraph("Sont exclus les patients diabétiques et les patients glaucomateux.")
    document.save(str(path))
    return path


MENU_LINES = (
    "Accueil",
    "Mon espace",
    "Rechercher dans les textes",
    "Nous utilisons des cookies pour améliorer votre expérience",
    "Accepter tous les cookies",
    "Plan du site",
    "Mentions légales",
    "Accessibilité : partiellement conforme",
)
"""Navigation, banner and footer text that must never reach a chunk."""


def _page(title: str, main: str, site: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title} - {site}</title>
<meta name="description" content="{title}"><meta name="date" content="2024-02-01"></head>
<body>
<div id="cookie-banner" class="cookie-consent"><p>{MENU_LINES[3]}.</p>
<button>{MENU_LINES[4]}</button><a href="#">Personnaliser</a></div>
<header class="site-header"><div class="logo">{site}</div>
<nav class="main-menu"><ul><li><a href="/">{MENU_LINES[0]}</a></li>
<li><a href="/espace">{MENU_LINES[1]}</a></li><li><a href="/recherche">{MENU_LINES[2]}</a></li>
</ul></nav></header>
<div class="breadcrumb"><a href="/">Accueil</a> &gt; <a href="/codes">Codes</a></div>
{main}
<footer class="site-footer"><ul><li><a href="/plan">{MENU_LINES[5]}</a></li>
<li><a href="/mentions">{MENU_LINES[6]}</a></li><li>{MENU_LINES[7]}</li></ul>
<p>© {site} 2024</p></footer>
</body></html>"""


LEGIFRANCE_ARTICLES = ("L4011-1", "L4011-2", "L4011-3")

LEGIFRANCE_HTML = _page(
    "Chapitre unique : Protocoles de coopération",
    """<main id="main" role="main"><article>
<h1>Code de la santé publique</h1>
<h2>Chapitre unique : Protocoles de coopération (Articles L4011-1 à L4011-3)</h2>
<div class="article-block"><h3 class="name-article">Article L4011-1</h3>
<p class="version">Version en vigueur depuis le 26 juillet 2019</p>
<div class="content"><p>Par dérogation aux dispositions relatives aux compétences des
professionnels de santé, ceux-ci peuvent s'engager, à leur initiative, dans une démarche de
coopération ayant pour objet d'opérer entre eux des transferts d'activités ou d'actes de
soins.</p></div></div>
<div class="article-block"><h3 class="name-article">Article L4011-2</h3>
<div class="content"><p>Les protocoles nationaux sont autorisés par arrêté des ministres
chargés de la santé et de la sécurité sociale, après avis de la Haute Autorité de santé.</p>
<ul><li>le comité national propose la liste des protocoles à élaborer ;</li>
<li>il assure le suivi de leur déploiement.</li></ul></div></div>
<div class="article-block"><h3 class="name-article">Article L4011-3</h3>
<div class="content"><p>Les professionnels de santé exerçant en équipe peuvent mettre en
œuvre un protocole local de coopération, déclaré au directeur général de l'agence régionale
de santé.</p></div></div>
</article></main>""",
    "Légifrance",
)

ARS_HTML = _page(
    "Déclarer un protocole local de coopération",
    """<main><article class="page-content">
<h1>Déclarer un protocole local de coopération</h1>
<p class="date">Publié le 1er février 2024</p>
<p>Les équipes des maisons de santé pluriprofessionnelles et des centres de santé peuvent
déclarer un protocole local de coopération auprès de l'ARS Occitanie.</p>
<h2>Les pièces à fournir</h2>
<ul><li>le texte du protocole signé par les délégants et les délégués ;</li>
<li>la liste des professionnels qui y adhèrent ;</li>
<li>l'attestation de formation des délégués.</li></ul>
<h2>Les délais d'instruction</h2>
<table><thead><tr><th>Étape</th><th>Délai</th></tr></thead>
<tbody><tr><td>Accusé de réception</td><td>15 jours</td></tr>
<tr><td>Décision du directeur général</td><td>2 mois</td></tr></tbody></table>
<p>Le directeur général informe le comité national des coopérations interprofessionnelles
de chaque protocole déclaré.</p>
</article></main>""",
    "ARS Occitanie",
)


@dataclass(frozen=True, slots=True)
class WebPage:
    """A saved web page and the headings its extraction must keep."""

    name: str
    html: str
    headings: tuple[str, ...]


WEB_PAGES = (
    WebPage(
        "legifrance.html",
        LEGIFRANCE_HTML,
        tuple(f"Article {ref}" for ref in LEGIFRANCE_ARTICLES),
    ),
    WebPage(
        "ars.html",
        ARS_HTML,
        ("Déclarer un protocole local de coopération", "Les pièces à fournir", "Les délais"),
    ),
)


@dataclass(frozen=True, slots=True)
class AddedDocument:
    """A user's document added to a synthetic corpus, indexed, and the assistant over it."""

    source: Source
    chunks: list[Chunk]
    assistant: Assistant
    settings: Settings


def add_and_index(root: Path, file: Path, **given: Any) -> AddedDocument:
    """Add ``file`` with ``coop corpus add``'s code to the synthetic corpus, then ingest."""
    settings = make_settings(root)
    write_corpus(settings.corpus_file, settings.corpus_dir)
    source = add_document(file, settings.corpus_file, settings.corpus_dir, **given)
    store = open_store(settings.index_dir, settings.collection)
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert report.complete, [outcome.reason for outcome in report.failures]
    chunks = sorted(
        (chunk for chunk in store.iter_chunks() if chunk.doc_id == source.doc_id),
        key=lambda chunk: chunk.chunk_index,
    )
    assistant = build_assistant(settings, embedder=HashingEmbedder(), store=store)
    return AddedDocument(source, chunks, assistant, settings)


def cites(answer: Answer, doc_id: str) -> bool:
    """True when the answer is not a refusal and one of its citations is ``doc_id``."""
    return not answer.refused and any(c.doc_id == doc_id for c in answer.citations)
