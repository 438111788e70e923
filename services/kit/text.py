"""The one text folding of every search: what is stored in a search column and what an agent types
are folded alike (lower case, accents off, punctuation to spaces), so "jose perez" finds "José Pérez",
"елка" finds "ЁЛКА" and "nguyen" finds "Nguyễn", the same on SQLite and PostgreSQL.

Search columns hold the folded text padded with spaces (" jose perez "), so " tok" marks the start of
a word; :func:`matches` turns what was typed into the LIKE conditions the customer search uses: a word
of three letters or more anywhere (PostgreSQL answers it from a pg_trgm GIN index), a word of one or
two letters at the start of a word.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

from sqlalchemy import and_, true
from sqlalchemy.sql.elements import ColumnElement

# Letters that Unicode does not decompose into a base letter plus accent (Vietnamese đ above all).
_SPECIAL_LETTERS = {"đ": "d", "ð": "d", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ı": "i",
                    "ħ": "h", "þ": "th"}
# Russian й is its own letter, not an accented и (PostgreSQL's unaccent keeps it too); ё folds to е.
_KEEP = {"й"}
_JOINERS = {".", "'", "’", "ʼ"}


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFC", word.casefold()):
        if ch in _KEEP:
            out.append(ch)
        elif ch in _SPECIAL_LETTERS:
            out.append(_SPECIAL_LETTERS[ch])
        else:
            out.extend(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return "".join(ch if ch.isalnum() else "" if ch in _JOINERS else " " for ch in out)


def fold(text: str | None) -> str:
    """Lower case, accents off, dots and apostrophes dropped, other punctuation to spaces:
    "JOSÉ Pérez-Gómez" -> "jose perez gomez", "Andina S.A.S." -> "andina sas", "O'Neil" -> "oneil"."""
    return " ".join(" ".join(_fold_word(word) for word in (text or "").split()).split())


def search_text(*parts: object) -> str:
    """The stored search form of some texts: folded, joined, padded with spaces (" jose perez ").
    Parts that are not text (numbers, None, lists of choices) are taken by their text, None skipped."""
    texts = []
    for part in parts:
        if part is None or isinstance(part, bool):
            continue
        if isinstance(part, (list, tuple)):
            texts.extend(str(item) for item in part if item is not None)
        else:
            texts.append(str(part))
    folded = fold(" ".join(texts))
    return f" {folded} " if folded else " "


def words(typed: str | None) -> list[str]:
    """The folded words of what was typed (only letters and digits: nothing a LIKE reads specially)."""
    return fold(typed).split()


def word_pattern(word: str) -> str:
    """The LIKE pattern of one folded word: anywhere from three letters, else at the start of a word."""
    return f"%{word}%" if len(word) >= 3 else f"% {word}%"


def matches(column, typed: str | None) -> ColumnElement[bool]:
    """Every word typed is in ``column`` (a padded search column), accents and case ignored."""
    found = [column.like(word_pattern(word)) for word in words(typed)]
    return and_(*found) if found else true()
