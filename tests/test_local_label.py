"""A locally added document is labelled as such in the CLI line, the export and the chat card."""

from __future__ import annotations

from dataclasses import replace

from assistant.hierarchy import LOCAL_LABEL
from assistant.present.chat import source_view
from assistant.present.rendering import citation_label
from assistant.schema import Citation


def _citation(origin: str) -> Citation:
    return Citation(
        n=1,
        doc_id="protocole-local-chu",
        title="Protocole local du CHU",
        section="2. Conditions",
        page=1,
        url="",
        quote="L'infirmier réalise l'acte.",
        kind="page",
        date="2026-11-02",
        status="en vigueur",
        origin=origin,
    )


def test_a_local_document_says_so_and_an_official_one_does_not() -> None:
    local, official = _citation("local"), _citation("official")
    assert citation_label(local).endswith(f"· {LOCAL_LABEL}")
    assert LOCAL_LABEL not in citation_label(official)
    assert f"**Origine :** {LOCAL_LABEL}" in source_view(local, []).facts
    assert "Origine" not in " ".join(source_view(replace(local, origin="official"), []).facts)
