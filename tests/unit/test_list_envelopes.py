"""Every list of every component answers one envelope with the same paging limits: the OpenAPI
document of each app is walked, so a new list that answers a bare array (or forgets a member of the
envelope, or pages with its own limits) fails here."""
from __future__ import annotations

import pytest

from caredesk.openapi import component_documents
from services.kit.schemas import DEFAULT_PER_PAGE, MAX_PER_PAGE

ENVELOPE = {"items", "total", "page", "per_page", "links"}


@pytest.fixture(scope="module")
def documents() -> dict[str, dict]:
    return component_documents()


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rpartition("/")[2]]
    return schema


def _lists(document: dict):
    """(path, 200 JSON schema resolved, the GET operation) of every GET that answers JSON."""
    for path, operations in document["paths"].items():
        get = operations.get("get")
        content = (get or {}).get("responses", {}).get("200", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is not None:
            yield path, _resolve(document, schema), get


def test_no_get_answers_a_bare_array_and_every_list_answers_the_whole_envelope(documents):
    wrong = []
    for component, document in documents.items():
        for path, schema, _get in _lists(document):
            if schema.get("type") == "array":
                wrong.append(f"{component} GET {path}: a bare array")
                continue
            properties = schema.get("properties", {})
            if "items" in properties and properties["items"].get("type") == "array":
                if missing := ENVELOPE - set(properties):
                    wrong.append(f"{component} GET {path}: no {sorted(missing)}")
                    continue
                links = _resolve(document, properties["links"])
                if set(links.get("properties", {})) != {"next", "previous"}:
                    wrong.append(f"{component} GET {path}: links without next and previous")
    assert not wrong, "\n".join(wrong)


def test_every_list_pages_with_the_same_parameters_and_limits(documents):
    wrong, lists = [], 0
    for component, document in documents.items():
        for path, schema, get in _lists(document):
            if "links" not in schema.get("properties", {}):
                continue
            lists += 1
            query = {parameter["name"]: parameter["schema"] for parameter in get.get("parameters", [])
                     if parameter.get("in") == "query"}
            if {"page", "per_page"} - set(query):
                wrong.append(f"{component} GET {path}: no page or per_page parameter")
                continue
            per_page, page = query["per_page"], query["page"]
            if (per_page.get("minimum"), per_page.get("maximum"), per_page.get("default")) != (1, MAX_PER_PAGE,
                                                                                               DEFAULT_PER_PAGE):
                wrong.append(f"{component} GET {path}: per_page {per_page}")
            if (page.get("minimum"), page.get("default")) != (1, 1):
                wrong.append(f"{component} GET {path}: page {page}")
    assert not wrong, "\n".join(wrong)
    assert lists >= 48  # every list of the four components (48 when this was written)
