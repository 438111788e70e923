"""services.kit.text: the one folding every search shares, and the LIKE conditions built from what
an agent types, run on SQLite (the PostgreSQL side: tests/integration/test_text_search_on_postgres.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, insert, select

from services.kit.text import fold, matches, search_text, word_pattern, words


@pytest.mark.parametrize("typed, folded", [
    ("JOSÉ Pérez-Gómez", "jose perez gomez"),
    ("Andina S.A.S.", "andina sas"),
    ("O'Neil", "oneil"),
    ("ЁЛКА", "елка"),
    ("ёлка", "елка"),
    ("Nguyễn Văn Đức", "nguyen van duc"),
    ("Йошкар-Ола", "йошкар ола"),  # й is a letter of its own, not an accented и
    ("Straße", "strasse"),
    ("  spaced\tout  ", "spaced out"),
    ("%_ 50%", "50"),  # nothing LIKE reads specially survives
    ("", ""),
])
def test_fold(typed, folded):
    assert fold(typed) == folded


def test_fold_takes_none():
    assert fold(None) == "" and words(None) == []


def test_search_text_is_padded_and_skips_what_is_not_text():
    assert search_text("José Pérez", None, True, 3, ["Básico", None]) == " jose perez 3 basico "
    assert search_text() == " " and search_text("", None) == " "


def test_short_words_start_a_word_longer_ones_are_found_anywhere():
    assert word_pattern("pere") == "%pere%" and word_pattern("pe") == "% pe%"


@pytest.fixture
def names():
    engine = create_engine("sqlite://")
    table = Table("names", MetaData(), Column("id", Integer, primary_key=True), Column("name", Text),
                  Column("search_text", Text))
    table.create(engine)
    rows = ["José Pérez", "ёлка", "Nguyễn Văn An", "Tepelé", "Ana María"]
    with engine.begin() as connection:
        connection.execute(insert(table), [{"id": n, "name": name, "search_text": search_text(name)}
                                           for n, name in enumerate(rows)])

    def find(typed: str) -> list[str]:
        with engine.connect() as connection:
            return list(connection.scalars(select(table.c.name).where(matches(table.c.search_text, typed))
                                           .order_by(table.c.id)))
    return find


@pytest.mark.parametrize("typed, found", [
    ("jose perez", ["José Pérez"]),
    ("JOSÉ", ["José Pérez"]),
    ("pere", ["José Pérez"]),
    ("perez jose", ["José Pérez"]),
    ("ЁЛКА", ["ёлка"]),
    ("елка", ["ёлка"]),
    ("nguyen", ["Nguyễn Văn An"]),
    ("pe", ["José Pérez"]),  # two letters start a word: not Tepelé
    ("an", ["Nguyễn Văn An", "Ana María"]),
    ("jose lopez", []),
    ("", ["José Pérez", "ёлка", "Nguyễn Văn An", "Tepelé", "Ana María"]),
])
def test_matches(names, typed, found):
    assert names(typed) == found
