"""Pure rules on the values of a card: phones to E.164, accent folding for search, tax keys, ICCID.

Nothing here touches the database; models, schemas, queries and the benchmark share these functions,
so the stored search keys and the keys computed from what an agent types always agree.
"""
from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from services.kit.text import fold  # re-exported: models, queries, migrations and the benchmark use it from here

# Seed countries: Colombia (000), Mexico (001), Costa Rica (002), Vietnam (003), Russia (004).
DEFAULT_PHONE_REGIONS = ("CO", "MX", "CR", "VN", "RU")
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)
E164_MAX_DIGITS = 15

# digits and separators, with + at the start or inside a first bracket: "+57 …", "(+57) …"
_ALLOWED_PHONE_CHARS = re.compile(r"^\(?\+?[0-9 ().\-]+$")
# What normalise_phone enforces, as the OpenAPI documents say it on every phone field (the text is
# stripped first, hence the leading spaces).
PHONE_RULE = {"pattern": r"^ *\(?\+?[0-9 ().\-]+$", "description": (
    "One phone number: digits, spaces and + - ( ) . only, no letters and no second number. Written with its "
    "country code (+57 …, (+57) …, 0057 …) or else read in the customer's country; it must be a number that can "
    "exist there. Stored and answered as E.164 (+576044441234).")}
_SEVERAL_NUMBERS = re.compile(r"[,;/|&\n\r\t]|\s(?:y|o|and|or|и|или|và|hoặc)\s", re.IGNORECASE)
_DIGITS = re.compile(r"\D+")


class PhoneError(ValueError):
    """Why a text is not exactly one possible phone number; the message is shown on the field."""


# -- phones -----------------------------------------------------------------------------------
def read_phone(typed: str, region: str | None):
    """The one reading of a typed phone, shared by the phone fields and the phone search: an
    international number written "+57 …", "(+57) …" or "0057 …", otherwise a national number of
    ``region`` (its trunk prefix and its own international prefix understood). None unless it is
    exactly one valid number."""
    shape = _phone_shape(typed)
    return _read_phone(*shape, region) if shape is not None else None


def _phone_shape(typed: str) -> tuple[str, bool] | None:
    """(its digits, whether it is written internationally) of a text that may be one phone number;
    None for one that cannot (a character no phone has, no digit, too many digits)."""
    text = typed.strip()
    if not _ALLOWED_PHONE_CHARS.match(text):
        return None
    digits = _DIGITS.sub("", text)
    if not digits or len(digits) > E164_MAX_DIGITS + 3:
        return None
    if "+" in text:
        return digits, True
    if digits.startswith("00"):
        return digits[2:], True
    return digits, False


def _read_phone(digits: str, international: bool, region: str | None):
    """:func:`read_phone` of a text already reduced to its digits by :func:`_phone_shape`. What it
    holds besides digits (spaces, brackets, dots, dashes and a leading +) phonenumbers drops as it
    reads a number, so the digits read alone are the same number, and cheaper to read: the search
    reads one text in every region it tries."""
    if international:
        number = _parse("+" + digits, None)
    elif region:
        number = _parse(digits, region)
    else:
        return None
    return number if number is not None and phonenumbers.is_valid_number(number) else None


def is_international(typed: str) -> bool:
    text = typed.strip()
    return "+" in text or _DIGITS.sub("", text).startswith("00")


def normalise_phone(raw: str, *, country: str | None) -> str:
    """One phone number as E.164 (``+573001234567``), read in ``country`` unless written
    internationally (see :func:`read_phone`, which the search uses too).

    Seed 000: each phone field holds exactly one number and only digits: letters, a second number
    or a number that cannot exist are refused (PhoneError), never stored as typed.
    """
    text = raw.strip()
    if not text:
        raise PhoneError("Type a phone number.")
    if any(ch.isalpha() for ch in text) and not _SEVERAL_NUMBERS.search(text):
        raise PhoneError("Only digits: letters are not allowed in a phone number.")
    digits = _DIGITS.sub("", text)
    if _SEVERAL_NUMBERS.search(text) or len(digits) > E164_MAX_DIGITS + 3:
        raise PhoneError("One number per field: put further numbers under other phones.")
    if not _ALLOWED_PHONE_CHARS.match(text):
        raise PhoneError("Only digits, spaces and + - ( ) . are allowed in a phone number.")
    if not is_international(text) and not country:
        raise PhoneError("Type the number with its country code (+…) or set the customer's country first.")
    number = read_phone(text, country)
    if number is None:
        if _two_numbers(text, country):
            raise PhoneError("One number per field: put further numbers under other phones.")
        where = f" in {country}" if country and not is_international(text) else ""
        raise PhoneError(f"This number cannot exist{where}: check the digits.")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _two_numbers(text: str, country: str | None) -> bool:
    """True when the text splits, at a space or dash between digit groups, into two valid numbers."""
    for match in re.finditer(r"[ \-.]+", text):
        left, right = text[:match.start()], text[match.end():]
        parsed = [_parse(part, country) for part in (left, right)]
        if all(n is not None and phonenumbers.is_valid_number(n) for n in parsed):
            return True
    return False


def _parse(text: str, region: str | None):
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    if number.country_code == 52 and not phonenumbers.is_valid_number(number):
        number = _legacy_mexican_mobile(number) or number
    return number


def _legacy_mexican_mobile(number):
    """Mexico dropped the mobile prefixes 044/045 and +52 1 in 2020, but people still type them."""
    national = phonenumbers.national_significant_number(number).lstrip("0")
    for prefix in ("44", "45", "1"):
        rest = national[len(prefix):]
        if national.startswith(prefix) and len(rest) == 10:
            candidate = phonenumbers.parse("+52" + rest)
            if phonenumbers.is_valid_number(candidate):
                return candidate
    return None


def first_mobile(numbers) -> str | None:
    """The first E.164 number of ``numbers`` that is a mobile (or may be one), else None."""
    return next((number for number in numbers if number and _may_be_mobile(number)), None)


# Parsing a number and telling its type are pure and cost tens of microseconds each; every change of
# a card asks them again of the same stored numbers (search keys, addresses event): remembered.
@lru_cache(maxsize=100_000)
def _may_be_mobile(e164: str) -> bool:
    try:
        kind = phonenumbers.number_type(phonenumbers.parse(e164, None))
    except NumberParseException:
        return False
    return kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


@lru_cache(maxsize=100_000)
def phone_terms(e164: str) -> tuple[str, ...]:
    """Search keys of a stored number: its E.164 digits and its national significant number, so a
    number typed with or without country code (and without the trunk prefix) finds it."""
    number = phonenumbers.parse(e164)
    return (e164.lstrip("+"), phonenumbers.national_significant_number(number))


def phone_candidates(typed: str, *, regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS) -> list[str]:
    """Search keys a typed phone may stand for: the stored keys (:func:`phone_terms`) of every
    number :func:`read_phone` reads in it, internationally or in one of ``regions``. What no phone
    field would store, the search does not look for either."""
    if any(ch.isalpha() for ch in typed):
        return []
    shape = _phone_shape(typed)
    if shape is None:
        return []
    digits, international = shape
    numbers = (_read_phone(digits, international, region) for region in ((None,) if international else regions))
    return sorted({key for number in numbers if number is not None
                   for key in phone_terms(phonenumbers.format_number(number, PhoneNumberFormat.E164))})


def looks_like_phone(typed: str) -> bool:
    text = typed.strip()
    return bool(text) and bool(_ALLOWED_PHONE_CHARS.match(text)) and len(_DIGITS.sub("", text)) >= 5


# -- names ------------------------------------------------------------------------------------
# The folding itself (``fold``) lives in services.kit.text, shared with every other search.


def search_name(name: str) -> str:
    """The stored search form of a name, padded with spaces so " tok" marks the start of a word."""
    return f" {fold(name)} "


def name_tokens(typed: str) -> list[str]:
    return fold(typed).split()


# -- identifiers ------------------------------------------------------------------------------
def tax_key(tax_number: str) -> str:
    """Tax/identity numbers compare without punctuation or case: "900.123.456-7" == "9001234567"."""
    return re.sub(r"[^0-9A-Za-z]", "", tax_number).upper()


def code_key(code: str) -> str:
    """Customer codes compare without regard to case (seed 003's search pitfall)."""
    return code.strip().upper()


def email_key(email: str) -> str:
    return email.strip().lower()


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) checksum that ends every ICCID (ITU-T E.118)."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iccid_error(iccid: str) -> str | None:
    """Why ``iccid`` is not a SIM serial, or None: 19-20 digits starting 89 with a valid Luhn digit."""
    if not iccid.isdigit():
        return "A SIM serial (ICCID) has digits only."
    if not 19 <= len(iccid) <= 20:
        return "A SIM serial (ICCID) has 19 or 20 digits."
    if not iccid.startswith("89"):
        return "A SIM serial (ICCID) starts with 89."
    if not luhn_valid(iccid):
        return "The check digit of this SIM serial (ICCID) is wrong: check the digits."
    return None
