"""Articles of a named law, decree or order: "l'article 1er de la loi du 26 avril 2021".

Code articles ("L. 4011-3") have their own references; the article of one text is named by its
number and the text it belongs to, identified by its number ("n° 2021-502"), its date ("du 26
avril 2021") or its year ("de 2019"). The passages of that article in the matching texts are
what the question asks for, as surely as a named code article.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.schema import Chunk
from assistant.text.dates import FOLDED_MONTHS_PATTERN
from assistant.text.normalize import fold_for_matching

__all__ = ["TextArticle", "find_text_articles", "passages_of"]

_KINDS = {"loi": "loi", "decret": "decret", "arrete": "arrete"}
_ARTICLE_OF_TEXT = re.compile(
    r"\barticle (?P<number>\d+|1er|premier)(?:er)?\s+(?:de la |du |de l')"
    r"(?P<kind>loi|decret|arrete)\b(?P<rest>[^?;]{0,60})"
)
_IDENTIFIER = re.compile(
    rf"(?P<text_number>(?:19|20)\d{{2}}-\d{{2,5}})"
    rf"|(?P<date>\d{{1,2}}(?:er)? (?:{FOLDED_MONTHS_PATTERN}) (?:19|20)\d{{2}})"
    rf"|(?P<year>\b(?:19|20)\d{{2}}\b)"
)


@dataclass(frozen=True, slots=True)
class TextArticle:
    """Article ``number`` of a text of ``kind`` identified by ``identifier`` (folded)."""

    number: str
    kind: str
    identifier: str


def find_text_articles(question: str) -> list[TextArticle]:
    """The articles of identified laws, decrees or orders a question names, in order."""
    found: list[TextArticle] = []
    for match in _ARTICLE_OF_TEXT.finditer(fold_for_matching(question)):
        identifier = _IDENTIFIER.search(match.group("rest"))
        if identifier is None:
            continue
        number = match.group("number")
        number = "1" if number in {"1er", "premier"} else number
        found.append(TextArticle(number, _KINDS[match.group("kind")], identifier.group()))
    return list(dict.fromkeys(found))


def passages_of(reference: TextArticle, chunks: Sequence[Chunk]) -> list[Chunk]:
    """Passages of that article in the texts of that kind named by the identifier (title, id)."""
    return [
        chunk
        for chunk in chunks
        if chunk.article == reference.number
        and chunk.kind == reference.kind
        and (
            reference.identifier in fold_for_matching(chunk.title)
            or reference.identifier in chunk.doc_id
        )
    ]
