"""Names typed by people (an agency, a locality, a ward) matched to the catalogue's, or the closest ones.

Two spellings are the same name when they differ only in case, spacing or Unicode normalisation
(NFC/NFD): "UBND  huyện Lục Ngạn" is "UBND huyện Lục Ngạn". Diacritics are never dropped for a
match — "Sở Tai chinh" is not "Sở Tài chính" (Vietnamese names differ by their marks) — but they are
for suggestions, so the message of an unknown name can offer the one that was meant.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import TypeVar

from rapidfuzz import fuzz, process

T = TypeVar("T")
SUGGESTIONS = 3
MIN_SCORE = 70.0  # rapidfuzz's 0–100 similarity below which a name is no suggestion
MARGIN = 8.0  # a suggestion is within this of the best one ("Sở Tài chính", not every "Sở …")


def name_key(text: str) -> str:
    """The form two names are compared in: NFC, case folded, single spaces."""
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return " ".join(folded.split())


def plain(text: str) -> str:
    """A name without its diacritics (đ as d), for ranking suggestions only."""
    decomposed = unicodedata.normalize("NFD", name_key(text)).replace("đ", "d")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Names(dict[str, T]):
    """The catalogue's names (and aliases) of a kind of thing, by their key."""

    def __init__(self, shown: Iterable[tuple[str, T]] = (), aliases: Iterable[tuple[str, T]] = ()) -> None:
        super().__init__()
        self.shown: dict[str, T] = {}  # the names offered as suggestions
        for name, value in shown:
            self.add(name, value)
        for name, value in aliases:
            self.add(name, value, alias=True)

    def add(self, name: str, value: T, *, alias: bool = False) -> None:
        key = name_key(name)
        if not key:
            return
        self.setdefault(key, value)
        if not alias:
            self.shown.setdefault(name, value)

    def find(self, typed: str) -> T | None:
        return self.get(name_key(typed))

    def closest(self, typed: str, within: Mapping[str, T] | None = None) -> list[str]:
        """The shown names nearest to what was typed, best first (at most SUGGESTIONS)."""
        return closest(typed, list(within if within is not None else self.shown))


def closest(typed: str, names: list[str], limit: int = SUGGESTIONS) -> list[str]:
    """The names nearest to what was typed, best first, ignoring case, spacing and diacritics."""
    if not names or not typed.strip():
        return []
    found = process.extract(
        plain(typed),
        [plain(n) for n in names],
        scorer=fuzz.token_set_ratio,
        limit=limit,
        score_cutoff=MIN_SCORE,
    )
    best = max((score for _choice, score, _index in found), default=0.0)
    return [names[index] for _choice, score, index in found if score >= best - MARGIN]
