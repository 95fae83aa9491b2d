"""Hierarchy of norms: the authority of each kind of source, and its French badge.

Highest first: the law (code, loi), décrets, arrêtés, ministry doctrine (instruction, FAQ, calls
for proposals), information pages (ARS, presentations, other sites), press releases, narratives
about past experiments (kind ``historique``), then non-official press (kind ``presse``): it may
report a text right or wrong and never outranks the text it reports. Articles R. and D. of a
code were issued by décret: they rank as décrets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "LOCAL_LABEL",
    "LOWEST_LEVEL",
    "OFFICIAL_LEVEL",
    "Authority",
    "authority_of",
    "origin_label",
]

# (level, French tier label) per document kind; 1 is the highest authority.
_LEVELS: dict[str, tuple[int, str]] = {
    "code": (1, "loi ou code"),
    "loi": (1, "loi ou code"),
    "decret": (2, "décret"),
    "arrete": (3, "arrêté"),
    "instruction": (4, "document du ministère"),
    "faq": (4, "document du ministère"),
    "ami": (4, "document du ministère"),
    "page-ars": (5, "information (ARS, présentation)"),
    "presentation": (5, "information (ARS, présentation)"),
    "page": (5, "information (ARS, présentation)"),
    "communique": (6, "communiqué"),
    "historique": (7, "document historique"),
    "presse": (8, "presse, source non officielle"),
}
LOWEST_LEVEL = 8
_REGULATORY_ARTICLE = re.compile(r"\b(?:Article|Art\.?)\s+[RD]\.?\s*\d", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Authority:
    """Where a source sits in the hierarchy of norms."""

    level: int
    tier: str

    @property
    def badge(self) -> str:
        """Short French badge shown next to a citation ("niveau 1 · loi ou code")."""
        return f"niveau {self.level} · {self.tier}"


def authority_of(kind: str, section: str = "") -> Authority:
    """Authority of a source from its kind (and, for codes, the article it cites).

    An unknown kind ranks just above historical narratives (level 6): it is never trusted more
    than an official page.
    """
    if kind == "code" and _REGULATORY_ARTICLE.search(section):
        return Authority(2, "code, partie réglementaire")
    level, tier = _LEVELS.get(kind, (6, "source non classée"))
    return Authority(level, tier)


OFFICIAL_LEVEL = 4
"""Levels 1 to 4 are official texts and doctrine; above are secondary sources."""


LOCAL_LABEL = "document ajouté localement"


def origin_label(origin: str) -> str:
    """French label for a source's origin: « document ajouté localement », or "" if official.

    A local document ranks by its kind like any other; the label only tells the reader that it
    comes from the user's own catalogue, not from the official one.
    """
    return LOCAL_LABEL if origin == "local" else ""
