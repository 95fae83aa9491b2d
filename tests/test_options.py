"""The checks of user-typed search options (shared by the CLI and the chat)."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.errors import CoopError, OptionError
from assistant.options import K_MAX, check_doc, check_k, check_kind, parse_since


@pytest.mark.parametrize("k", [1, 5, K_MAX])
def test_k_within_bounds_is_kept(k: int) -> None:
    assert check_k(k) == k


@pytest.mark.parametrize("k", [0, -1, K_MAX + 1, 100_000])
def test_k_out_of_bounds_is_refused_in_french(k: int) -> None:
    with pytest.raises(OptionError, match=f"= {k} : choisissez un nombre entier entre 1 et 50"):
        check_k(k)


def test_option_errors_are_coop_errors() -> None:
    assert issubclass(OptionError, CoopError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2024-02-01", date(2024, 2, 1)), (" 2020-12-31 ", date(2020, 12, 31))],
)
def test_iso_dates_are_parsed(text: str, expected: date) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["01/02/2024", "hier", "2024-2-1", "20240201", "2024-02-01T00:00"])
def test_other_date_formats_are_refused(text: str) -> None:
    with pytest.raises(OptionError, match="format attendu AAAA-MM-JJ") as caught:
        parse_since(text)
    assert f"« {text} »" in caught.value.message


@pytest.mark.parametrize("text", ["2099-99-99", "2023-02-30", "2024-00-10"])
def test_impossible_dates_are_refused(text: str) -> None:
    with pytest.raises(OptionError, match="ce jour n'existe pas"):
        parse_since(text)


def test_known_doc_and_kind_are_kept() -> None:
    assert check_doc("code", {"code": 1, "ami": 2}) == "code"
    assert check_kind("ami", ["ami", "code"]) == "ami"


def test_unknown_doc_lists_the_indexed_documents() -> None:
    with pytest.raises(OptionError) as caught:
        check_doc("inexistant", ["b-doc", "a-doc", "b-doc"])
    assert caught.value.message == (
        "Document inconnu : « inexistant ». Documents indexés : a-doc, b-doc."
    )


def test_unknown_kind_lists_the_indexed_types() -> None:
    with pytest.raises(OptionError) as caught:
        check_kind("circulaire", ["loi", "ami"])
    assert caught.value.message == "Type inconnu : « circulaire ». Types indexés : ami, loi."


def test_unknown_doc_on_an_empty_index_says_to_ingest() -> None:
    with pytest.raises(OptionError, match="aucun"):
        check_doc("code", [])


def test_non_ascii_digits_are_a_format_error() -> None:
    with pytest.raises(OptionError, match="format attendu AAAA-MM-JJ"):
        parse_since("١٩٩٩-٠١-٠١")
