"""Phone fields and phone search share one parser (customers.normalisation.read_phone): whatever
the search understands a phone field stores, and whatever a field refuses the search refuses.
Checked as a property over generated writings of real numbers (international with "+", "(+57)",
"00", national with and without the trunk prefix, odd separators) and junk, then end to end on
PostgreSQL: each stored number is found by the very text it was typed as."""
from __future__ import annotations

import uuid

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from services.customers.normalisation import (
    DEFAULT_PHONE_REGIONS, PhoneError, normalise_phone, phone_candidates, phone_terms,
)
from tests.conftest import make_principal

NUMBERS = ["+573001234567", "+576013456789", "+525512345678", "+50688888888", "+50622223333",
           "+84912345678", "+842838221234", "+79123456789", "+74951234567"]
SEPARATORS = ["", " ", "-", ".", "  ", " - "]
TRIED: dict[str, int] = {"stored": 0, "refused": 0}


@st.composite
def writings(draw) -> str:
    """A real number as people write it, or something that only looks like one."""
    e164 = draw(st.sampled_from(NUMBERS))
    number = phonenumbers.parse(e164)
    national = str(number.national_number)
    style = draw(st.sampled_from(["plus", "bracket", "00", "cc digits", "national", "trunk", "junk", "cut"]))
    groups = [national[i:i + 3] for i in range(0, len(national), 3)]
    body = draw(st.sampled_from(SEPARATORS)).join(groups)
    code = str(number.country_code)
    if style == "plus":
        return f"+{code} {body}"
    if style == "bracket":
        return f"(+{code}) {body}"
    if style == "00":
        return f"00{code} {body}"
    if style == "cc digits":
        return code + national
    if style == "national":
        return body
    if style == "trunk":
        prefix = {"RU": "8", "VN": "0", "CO": "0"}.get(phonenumbers.region_code_for_number(number), "0")
        return f"{prefix} {body}"
    if style == "cut":
        return body[: draw(st.integers(min_value=1, max_value=max(1, len(body) - 2)))]
    return draw(st.text(alphabet="0123456789 +()-./,xX", min_size=1, max_size=24))


def _field(typed: str, region: str) -> str | None:
    try:
        return normalise_phone(typed, country=region)
    except PhoneError:
        return None


@settings(max_examples=600, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(typed=writings(), region=st.sampled_from(DEFAULT_PHONE_REGIONS))
def test_search_understands_exactly_what_a_field_stores(typed, region):
    stored = _field(typed, region)
    understood = phone_candidates(typed, regions=(region,))
    if stored is None:
        assert understood == [], (typed, region, understood)
        TRIED["refused"] += 1
    else:
        assert understood == sorted(phone_terms(stored)), (typed, region, stored, understood)
        TRIED["stored"] += 1


def test_print_phone_figures():
    """Runs after the property (same module): its figures."""
    total = TRIED["stored"] + TRIED["refused"]
    assert total > 0
    print(f"\nphone writings: {total} generated, {TRIED['stored']} stored by the field and understood alike by "
          f"search, {TRIED['refused']} refused by both")


@pytest.mark.integration
def test_a_number_is_found_by_the_text_it_was_typed_as(make_app, client_of):
    api = client_of(make_app("customers"))
    admin = make_principal(level=1, permissions=frozenset({"edit_customers"}))
    typed_forms = [("CO", "(+57) 300 123 4567"), ("CO", "0057 601 345 6789"), ("MX", "044 55 1234 5678"),
                   ("VN", "0912.345.678"), ("RU", "8 (912) 345-67-89"), ("CO", "+57 300 123"),
                   ("CO", "300 123 4567 310 765 4321")]
    found = refused = 0
    for country, typed in typed_forms:
        created = api.post("/api/v1/customers", as_=admin, json={
            "code": f"P-{uuid.uuid4().hex[:8]}", "kind": "person", "name": "Phone Owner", "country": country,
            "phone2": typed})
        hits = api.get("/api/v1/customers/search", as_=admin, query_string={"q": typed, "by": "phone"})
        assert hits.status_code == 200
        if created.status_code == 201:
            assert created.get_json()["code"] in {hit["code"] for hit in hits.get_json()["items"]}, typed
            found += 1
        else:
            assert created.status_code == 422 and "phone2" in created.get_json()["errors"]
            assert hits.get_json()["items"] == [], typed
            refused += 1
    print(f"\nphones on PostgreSQL: {found} stored and found by the text typed, {refused} refused by both")
