"""Phones to E.164 with the customer's country, accent folding, tax keys and ICCID checksums."""
from __future__ import annotations

import phonenumbers
import pytest

from services.customers import normalisation
from services.customers.normalisation import (
    PhoneError, fold, iccid_error, luhn_valid, name_tokens, normalise_phone, phone_candidates, phone_terms,
    read_phone, search_name, tax_key,
)

LOCAL_AND_INTERNATIONAL = [
    # Colombia: mobile and Bogotá landline
    ("CO", "300 123 4567", "+573001234567"),
    ("CO", "(300) 123-4567", "+573001234567"),
    ("CO", "+57 300 123 4567", "+573001234567"),
    ("CO", "601 234 5678", "+576012345678"),
    # Mexico: 10 digits; the dropped mobile prefixes 044/045 and +52 1 are still accepted
    ("MX", "55 1234 5678", "+525512345678"),
    ("MX", "+52 55 1234 5678", "+525512345678"),
    ("MX", "044 55 1234 5678", "+525512345678"),
    ("MX", "+52 1 55 1234 5678", "+525512345678"),
    # Costa Rica: 8 digits
    ("CR", "8888-8888", "+50688888888"),
    ("CR", "2222 3333", "+50622223333"),
    ("CR", "+506 8888 8888", "+50688888888"),
    # Vietnam: trunk prefix 0
    ("VN", "0912 345 678", "+84912345678"),
    ("VN", "091.234.5678", "+84912345678"),
    ("VN", "+84 912 345 678", "+84912345678"),
    ("VN", "028 3822 1234", "+842838221234"),
    # Russia: trunk prefix 8
    ("RU", "8 (912) 345-67-89", "+79123456789"),
    ("RU", "+7 912 345-67-89", "+79123456789"),
    ("RU", "8 495 123-45-67", "+74951234567"),
]


@pytest.mark.parametrize("country,typed,e164", LOCAL_AND_INTERNATIONAL)
def test_phones_are_normalised_to_e164_with_the_customers_country(country, typed, e164):
    assert normalise_phone(typed, country=country) == e164


def test_an_international_number_needs_no_country_and_keeps_its_own():
    assert normalise_phone("+7 912 345 67 89", country="CO") == "+79123456789"
    assert normalise_phone("+573001234567", country=None) == "+573001234567"


@pytest.mark.parametrize("typed,country,message", [
    ("300 ABC 4567", "CO", "letters"),
    ("1-800-FLOWERS", "CO", "letters"),
    ("300 123 4567 ext 12", "CO", "letters"),
    ("300 123 4567, 310 765 4321", "CO", "One number per field"),
    ("300 123 4567 / 310 765 4321", "CO", "One number per field"),
    ("300 123 4567 y 310 765 4321", "CO", "One number per field"),
    ("300 123 4567 310 765 4321", "CO", "One number per field"),
    ("0912345678 0987654321", "VN", "One number per field"),
    ("8888 8888 2222 3333", "CR", "One number per field"),
    ("123", "CO", "cannot exist"),
    ("999 999 9999", "CO", "cannot exist"),
    ("+57 999", None, "cannot exist"),
    ("8 (012) 345-67-89", "RU", "cannot exist"),
    ("300*123*4567", "CO", "Only digits"),
    ("3001234567", None, "country"),
    ("   ", "CO", "Type a phone"),
])
def test_letters_two_numbers_and_impossible_numbers_are_refused(typed, country, message):
    with pytest.raises(PhoneError, match=message):
        normalise_phone(typed, country=country)


@pytest.mark.parametrize("typed,stored", [
    ("300 123 4567", "+573001234567"),          # local, no country code
    ("+57 300-123-4567", "+573001234567"),
    ("573001234567", "+573001234567"),          # country code without +
    ("0057 300 123 4567", "+573001234567"),     # international prefix 00
    ("0912 345 678", "+84912345678"),           # Vietnamese trunk 0
    ("8 (912) 345-67-89", "+79123456789"),      # Russian trunk 8
    ("55 1234 5678", "+525512345678"),
    ("8888-8888", "+50688888888"),
])
def test_a_phone_typed_in_any_format_meets_the_stored_number(typed, stored):
    assert set(phone_candidates(typed)) & set(phone_terms(stored))


@pytest.mark.parametrize("country,typed,_e164", LOCAL_AND_INTERNATIONAL + [
    ("RU", "810 57 300 123 4567", None), ("MX", "045 (55) 1234-5678", None), ("CO", "(+57) 300.123.4567", None),
    ("VN", " 0912-345-678 ", None), ("CR", "(2222) 3333", None), ("CO", "0057-300-123-4567", None),
    ("RU", "8 (012) 345-67-89", None), ("CO", "999 999 9999", None), ("MX", "1(2", None)])
def test_a_phone_is_read_from_its_digits_as_from_the_whole_text(country, typed, _e164):
    """The search reads one text in each region from its digits alone (cheaper): the same number,
    or none, as reading the text as typed (the separators are phonenumbers' to drop), in every region."""
    text = typed.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    for region in (country, "CO", "MX", "CR", "VN", "RU"):
        if "+" in text or digits.startswith("00"):
            expected = normalisation._parse("+" + (digits if "+" in text else digits[2:]), None)
        else:
            expected = normalisation._parse(text, region)
        expected = expected if expected is not None and phonenumbers.is_valid_number(expected) else None
        assert read_phone(typed, region) == expected, region


def test_text_that_is_not_a_phone_gives_no_phone_keys():
    assert phone_candidates("José") == []
    assert phone_candidates("123") == []


@pytest.mark.parametrize("name,folded", [
    ("Nguyễn Văn Đức", "nguyen van duc"),
    ("JOSÉ PÉREZ-GÓMEZ", "jose perez gomez"),
    ("María Fernanda López", "maria fernanda lopez"),
    ("Ёлкин Дмитрий", "елкин дмитрий"),
    ("Йошкин Ей", "йошкин ей"),          # й is a letter of its own, as PostgreSQL's unaccent keeps it
    ("Distribuidora Andina S.A.S.", "distribuidora andina sas"),
    ("O'Neil Ltda.", "oneil ltda"),
    ("Trần  Thị\tLinh", "tran thi linh"),
])
def test_names_fold_case_accents_and_punctuation(name, folded):
    assert fold(name) == folded


def test_the_stored_search_name_is_padded_so_word_starts_can_be_matched():
    assert search_name("Lê Văn An") == " le van an "
    assert name_tokens("  NGUYEN  van ") == ["nguyen", "van"]


def test_tax_numbers_compare_without_punctuation_or_case():
    assert tax_key("900.123.456-7") == tax_key("9001234567") == "9001234567"
    assert tax_key("xaxx-010101 000") == "XAXX010101000"


def test_luhn_and_iccid():
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert iccid_error("8984012345678901234") is None
    assert iccid_error("8957123456789012340") is None
    assert "check digit" in iccid_error("8957123456789012344")
    assert "digits only" in iccid_error("8957ABC")
    assert "19 or 20" in iccid_error("8957")
    assert "starts with 89" in iccid_error("1234567890123456782")
