"""Saved web pages: main content only (trafilatura), structure kept, menus and banners gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.read.loading import load_document
from tests.realistic_docs import (
    LEGIFRANCE_ARTICLES,
    MENU_LINES,
    WEB_PAGES,
    WebPage,
    add_and_index,
    cites,
)

LEGIFRANCE, ARS = WEB_PAGES


@pytest.mark.parametrize("page", WEB_PAGES, ids=lambda page: page.name)
def test_page_keeps_its_headings_and_drops_menus_banner_footer(
    tmp_path: Path, page: WebPage
) -> None:
    path = tmp_path / page.name
    path.write_text(page.html, encoding="utf-8")
    body = load_document(path).body
    for menu in MENU_LINES:
        assert menu not in body
    for heading in page.headings:
        assert heading in body


def test_legifrance_page_articles_survive(tmp_path: Path) -> None:
    path = tmp_path / LEGIFRANCE.name
    path.write_text(LEGIFRANCE.html, encoding="utf-8")
    added = add_and_index(tmp_path, path, kind="code")
    articles = [chunk.article for chunk in added.chunks if chunk.article]
    assert articles == list(LEGIFRANCE_ARTICLES)
    lists = next(chunk for chunk in added.chunks if chunk.article == "L4011-2")
    assert "- il assure le suivi de leur déploiement." in lists.text
    text = "\n".join(chunk.text for chunk in added.chunks)
    assert not any(menu in text for menu in MENU_LINES)
    answer = added.assistant.ask("Qui autorise les protocoles nationaux ?")
    assert cites(answer, added.source.doc_id)


def test_ars_page_table_rows_and_answer(tmp_path: Path) -> None:
    path = tmp_path / ARS.name
    path.write_text(ARS.html, encoding="utf-8")
    added = add_and_index(tmp_path, path)
    assert added.source.kind == "page-ars"
    assert added.source.date == "2024-02-01"
    text = "\n".join(chunk.text for chunk in added.chunks)
    assert "Étape : Décision du directeur général — Délai : 2 mois" in text
    assert not any(menu in text for menu in MENU_LINES)
    answer = added.assistant.ask(
        "Quel est le délai de décision du directeur général pour un protocole local déclaré ?"
    )
    assert cites(answer, added.source.doc_id)


def test_page_without_main_content_falls_back_to_its_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "court.html"
    path.write_text("<html><body><p>Bonjour.</p></body></html>", encoding="utf-8")
    assert load_document(path).body == "Bonjour.\n"
