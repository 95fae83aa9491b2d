"""``coop corpus add/remove/list``: the user's own documents beside the official catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

import cli
from assistant.config import Settings
from assistant.errors import CorpusError
from assistant.hierarchy import authority_of, origin_label
from assistant.schema import Chunk
from ingest.fetch.local import add_document, guess_kind, remove_document, slug
from ingest.fetch.sources import load_catalogue, local_catalogue_path
from ingest.indexing import version_hash
from tests.helpers import CODE, make_source
from tests.realistic_docs import PROTOCOL_TITLE, add_and_index, cites, make_protocol_docx

runner = CliRunner()

LOCAL_TEXT = (
    "# Procédure régionale de déclaration des protocoles locaux\n\n"
    "Article 1\n\nLa cellule régionale des coopérations répond aux équipes dans un délai de "
    "vingt et un jours ouvrés après le dépôt du dossier complet.\n"
)


def write_note(folder: Path, name: str = "procedure.md", text: str = LOCAL_TEXT) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_add_records_the_document_apart_from_the_official_list(
    settings: Settings, tmp_path: Path
) -> None:
    official_before = settings.corpus_file.read_text(encoding="utf-8")
    source = add_document(write_note(tmp_path), settings.corpus_file, settings.corpus_dir)
    assert source.doc_id == "procedure-regionale-de-declaration-des-protocoles-locaux"
    assert (source.title, source.kind, source.origin) == (
        "Procédure régionale de déclaration des protocoles locaux",
        "page",
        "local",
    )
    assert settings.corpus_file.read_text(encoding="utf-8") == official_before
    local = yaml.safe_load(local_catalogue_path(settings.corpus_file).read_text(encoding="utf-8"))
    assert local["sources"][0]["filename"] == f"{source.doc_id}.md"
    assert local["sources"][0]["sha256"] == source.sha256
    assert (settings.corpus_dir / f"{source.doc_id}.md").read_text(encoding="utf-8") == LOCAL_TEXT
    catalogue = load_catalogue(settings.corpus_file)
    assert [s.origin for s in catalogue].count("local") == 1
    assert catalogue[-1] == source


def test_given_fields_win_over_what_the_file_says(settings: Settings, tmp_path: Path) -> None:
    source = add_document(
        write_note(tmp_path),
        settings.corpus_file,
        settings.corpus_dir,
        title="Ma procédure",
        kind="instruction",
        date="2024-05-02",
        url="https://www.ars.sante.fr/procedure",
        status="en vigueur",
        doc_id="ma-procedure",
    )
    assert load_catalogue(settings.corpus_file)[-1] == source
    assert (source.doc_id, source.title, source.kind, source.date) == (
        "ma-procedure",
        "Ma procédure",
        "instruction",
        "2024-05-02",
    )


def test_bad_files_are_refused_and_nothing_is_written(settings: Settings, tmp_path: Path) -> None:
    empty = write_note(tmp_path, "vide.pdf", "")
    with pytest.raises(CorpusError, match="vide.pdf : fichier vide"):
        add_document(empty, settings.corpus_file, settings.corpus_dir)
    with pytest.raises(CorpusError, match="format « .odt » non pris en charge"):
        add_document(write_note(tmp_path, "x.odt"), settings.corpus_file, settings.corpus_dir)
    with pytest.raises(CorpusError, match="format attendu AAAA-MM-JJ"):
        add_document(
            write_note(tmp_path), settings.corpus_file, settings.corpus_dir, date="02/05/2024"
        )
    assert not local_catalogue_path(settings.corpus_file).exists()


def test_same_file_twice_and_official_ids_are_refused(settings: Settings, tmp_path: Path) -> None:
    note = write_note(tmp_path)
    first = add_document(note, settings.corpus_file, settings.corpus_dir)
    with pytest.raises(CorpusError, match=f"déjà dans le catalogue sous « {first.doc_id} »"):
        add_document(note, settings.corpus_file, settings.corpus_dir)
    other = write_note(tmp_path, "autre.md", LOCAL_TEXT + "\nAjout.\n")
    with pytest.raises(CorpusError, match=f"« {CODE.doc_id} » est déjà un identifiant"):
        add_document(other, settings.corpus_file, settings.corpus_dir, doc_id=CODE.doc_id)
    with pytest.raises(CorpusError, match="est une source officielle"):
        remove_document(CODE.doc_id, settings.corpus_file, settings.corpus_dir)


def test_a_local_entry_reusing_an_official_id_is_named(settings: Settings) -> None:
    local = local_catalogue_path(settings.corpus_file)
    entry = {"doc_id": CODE.doc_id, "title": "Copie", "kind": "page"}
    local.write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
    with pytest.raises(CorpusError, match=f"document local « {CODE.doc_id} »"):
        load_catalogue(settings.corpus_file)


def test_remove_deletes_entry_and_copy(settings: Settings, tmp_path: Path) -> None:
    source = add_document(write_note(tmp_path), settings.corpus_file, settings.corpus_dir)
    removed = remove_document(source.doc_id, settings.corpus_file, settings.corpus_dir)
    assert removed == source
    assert not (settings.corpus_dir / source.file_name).exists()
    assert all(s.origin == "official" for s in load_catalogue(settings.corpus_file))
    with pytest.raises(CorpusError, match="aucun document ajouté localement"):
        remove_document(source.doc_id, settings.corpus_file, settings.corpus_dir)


@pytest.mark.parametrize(
    ("title", "suffix", "kind"),
    [
        ("Décret n° 2021-1234 du 15 septembre 2021", ".pdf", "decret"),
        ("Arrêté du 31 décembre 2009 relatif …", ".pdf", "arrete"),
        ("Appel à manifestation d'intérêt 2024", ".docx", "ami"),
        ("Déclarer un protocole - ARS Occitanie", ".html", "page-ars"),
        ("Protocole local des Tilleuls", ".docx", "page"),
    ],
)
def test_guess_kind(title: str, suffix: str, kind: str) -> None:
    assert guess_kind(title, suffix) == kind


def test_slug() -> None:
    assert slug("Protocole local : « Lunettes » à l'orthoptiste") == (
        "protocole-local-lunettes-a-l-orthoptiste"
    )


def test_official_version_hash_ignores_origin_local_one_does_not(settings: Settings) -> None:
    official = make_source()
    local = official.model_copy(update={"origin": "local"})
    assert version_hash("a" * 64, official, settings) != version_hash("a" * 64, local, settings)
    # The identity official documents had before ``origin`` existed: no re-indexing.
    assert '"origin"' not in official.model_dump_json(exclude={"sha256", "origin"})


def test_origin_label_and_authority_by_kind() -> None:
    assert origin_label("local") == "document ajouté localement"
    assert origin_label("official") == ""
    assert authority_of("decret").level == 2  # a local décret ranks as a décret


def test_chunks_stored_before_origin_existed_read_as_official() -> None:
    chunk = Chunk.from_stored("id", "texte", {"doc_id": "d", "page": 3})
    assert (chunk.origin, chunk.page_end) == ("official", 0)


def test_add_a_docx_then_ask_at_once(tmp_path: Path) -> None:
    added = add_and_index(tmp_path, make_protocol_docx(tmp_path / "protocole.docx"))
    answer = added.assistant.ask("Quels patients sont exclus du protocole de renouvellement ?")
    assert cites(answer, added.source.doc_id)
    cited = next(c for c in answer.citations if c.doc_id == added.source.doc_id)
    assert (cited.origin, origin_label(cited.origin)) == ("local", "document ajouté localement")
    assert cited.title == PROTOCOL_TITLE


@pytest.mark.usefixtures("fake_embedder")
def test_cli_add_list_remove(env: Settings, tmp_path: Path) -> None:
    assert runner.invoke(cli.app, ["ingest"]).exit_code == 0
    note = write_note(tmp_path)
    added = runner.invoke(cli.app, ["corpus", "add", str(note), "--kind", "instruction"])
    assert added.exit_code == 0, added.output
    doc_id = "procedure-regionale-de-declaration-des-protocoles-locaux"
    assert f"Ajouté : {doc_id}" in added.output
    assert "passages indexés : vous pouvez poser vos questions" in added.output

    listed = runner.invoke(cli.app, ["corpus", "list"])
    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.output.splitlines() if doc_id in line)
    assert "instruction" in row and "local" in row and "jamais" not in row
    official = next(line for line in listed.output.splitlines() if CODE.doc_id in line)
    assert "officiel" in official
    assert "4 officiels, 1 locaux, 5 indexés." in listed.output

    rows = json.loads(runner.invoke(cli.app, ["corpus", "list", "--json"]).output)
    mine = next(r for r in rows if r["doc_id"] == doc_id)
    assert (mine["origin"], mine["kind"]) == ("local", "instruction")
    assert mine["passages"] >= 1 and mine["ingested_at"]

    asked = runner.invoke(cli.app, ["ask", "Quel délai de réponse de la cellule régionale ?"])
    assert asked.exit_code == 0, asked.output
    assert "vingt et un jours" in asked.output

    removed = runner.invoke(cli.app, ["corpus", "remove", doc_id])
    assert removed.exit_code == 0, removed.output
    assert "Retiré du catalogue local et de l'index" in removed.output
    listed = runner.invoke(cli.app, ["corpus", "list"])
    assert doc_id not in listed.output
    assert "4 officiels, 0 locaux, 4 indexés." in listed.output


@pytest.mark.usefixtures("fake_embedder")
def test_cli_add_bad_file_keeps_the_index(env: Settings, tmp_path: Path) -> None:
    assert runner.invoke(cli.app, ["ingest"]).exit_code == 0
    broken = tmp_path / "casse.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj\n")
    result = runner.invoke(cli.app, ["corpus", "add", str(broken)])
    assert result.exit_code == 1
    assert isinstance(result.exception, CorpusError)
    assert "casse.pdf : PDF tronqué ou corrompu" in result.exception.message
    listed = runner.invoke(cli.app, ["corpus", "list"])
    assert "4 officiels, 0 locaux, 4 indexés." in listed.output


@pytest.mark.usefixtures("fake_embedder")
def test_cli_list_in_a_narrow_terminal(
    env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "console", Console(width=80))
    assert runner.invoke(cli.app, ["corpus", "add", str(write_note(tmp_path))]).exit_code == 0
    listed = runner.invoke(cli.app, ["corpus", "list"])
    lines = listed.output.splitlines()
    doc_id = "procedure-regionale-de-declaration-des-protocoles-locaux"
    at = lines.index(doc_id)
    assert lines[at + 1].strip() == "Procédure régionale de déclaration des protocoles locaux"
    assert lines[at + 2].strip().startswith("local · page · — · — · 2 passages · indexé : ")
    assert "4 officiels, 1 locaux, 1 indexés." in listed.output


def test_an_unsafe_id_is_refused_in_french(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"champ « doc_id » invalide \(identifiant de document"):
        add_document(write_note(tmp_path), settings.corpus_file, settings.corpus_dir, doc_id="../x")
    assert not local_catalogue_path(settings.corpus_file).exists()
