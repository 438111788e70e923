"""Schemathesis over each component's OpenAPI document, in process through its WSGI app, on the
real PostgreSQL: every operation gets a bounded number of generated requests (fixed seed) from
an administrator of level 1 holding every permission, and each answer is checked: no 5xx, the
status code documented (the catch-all ``default`` answer is taken out first, so each status must be
listed), the body conforming to the documented schema. Operations, cases and
failures are printed per component; CI's budget: well under three minutes for all four.

The merged document (/api/v1/openapi.json) gets the same checks through the gateway, which forwards
each call to the services' apps in process.

Logout is left out of the gateway's run (it would end the run's own token); login is run (its
throttle answers 429 once the generated usernames fail too often, which is documented).

The stateful phase follows the OpenAPI links each document carries from a creation to the
operations on what it created (services/kit/openapi.py:link_created_resources): sequences such as
create a customer, add a line, change it, read it back; create a case, save it, dispatch it. Besides
the checks above, a record created must be readable by the links (ensure_resource_availability) and a
deleted one gone (use_after_free). Bounded scenarios and steps, derandomized (a fixed seed).
"""
from __future__ import annotations

import time
from datetime import timedelta

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability, response_schema_conformance, status_code_conformance, use_after_free,
)

from gateway.models import PERMISSIONS
from tests.conftest import make_principal
from tests.security.conftest import register_users
from tests.wsgi_transport import mount_services

pytestmark = pytest.mark.integration

# per operation and kind of data: about 125 operations x (4 valid + 2 invalid) cases within the budget
EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 2}
# the merged document repeats every operation through the gateway: fewer cases each, same checks
MERGED_EXAMPLES = {GenerationMode.POSITIVE: 2, GenerationMode.NEGATIVE: 1}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
STATEFUL_CHECKS = CHECKS + [ensure_resource_availability, use_after_free]
# stateful phase: scenarios per component, steps per scenario (each step one call), a fixed seed. The
# gateway's creations need ids of its own records (branches, users) that generated data rarely hits, and
# its rate limits answer 429 soon: a few scenarios there keep the whole run within CI's minutes.
SCENARIOS = {"customers": 300, "cases": 300, "notifications": 100, "gateway": 30}
STEPS, SEED = 10, 20261201
# The composed card calls the services, which are not running here: tests/integration/gateway serves them.
LEFT_OUT = {("POST", "/api/v1/auth/logout"), ("GET", "/api/v1/customer-cards/{customer_id}"),
            ("GET", "/api/v1/customer-cards")}
# through the gateway the services answer (in process), so the card is composed and checked too
MERGED_LEFT_OUT = {("POST", "/api/v1/auth/logout")}


@pytest.mark.parametrize("component", ["customers", "cases", "notifications", "gateway"])
def test_every_operation_answers_as_documented(component, make_app, token_issuer):
    app = make_app(component)
    admin = make_principal(username="schemathesis", level=1, permissions=frozenset(PERMISSIONS))
    if component != "gateway":
        register_users(app, admin)
    token, _ = token_issuer.issue(admin, lifetime=timedelta(hours=1))
    schema = strict_schema(app, "/openapi.json")
    run_and_report(component, schema, headers={"Authorization": f"Bearer {token}"}, examples=EXAMPLES,
                   left_out=LEFT_OUT)


def test_merged_document_answers_as_documented_through_the_gateway(make_app, token_issuer):
    """The public document at /api/v1/openapi.json, every operation called through the gateway,
    which forwards to the services' real apps (in process, each on its own PostgreSQL database)."""
    gateway = make_app("gateway")
    admin = make_principal(username="schemathesis", level=1, permissions=frozenset(PERMISSIONS))
    services = {name: make_app(name) for name in ("customers", "cases", "notifications")}
    for app in services.values():
        register_users(app, admin)
    mount_services(gateway, services)
    token, _ = token_issuer.issue(admin, lifetime=timedelta(hours=1))
    schema = strict_schema(gateway, "/api/v1/openapi.json")
    run_and_report("merged", schema, headers={"Authorization": f"Bearer {token}"}, examples=MERGED_EXAMPLES,
                   left_out=MERGED_LEFT_OUT)


@pytest.mark.parametrize("component", ["customers", "cases", "notifications", "gateway"])
def test_sequences_along_the_links_answer_as_documented(component, make_app, token_issuer):
    """The stateful phase, run by Schemathesis' own engine (it replays a failing sequence against a
    server whose state has moved on): scenarios that follow the document's links from each creation
    to its record's reads, changes, actions and sub-resources."""
    app = make_app(component)
    admin = make_principal(username="schemathesis", level=1, permissions=frozenset(PERMISSIONS))
    if component != "gateway":
        register_users(app, admin)
    token, _ = token_issuer.issue(admin, lifetime=timedelta(hours=1))
    document = strict_schema(app, "/openapi.json").raw_schema
    for path, method in ((path, method) for method, path in LEFT_OUT if path in document["paths"]):
        document["paths"][path].pop(method.lower(), None)
    config = SchemathesisConfig.from_dict({
        "seed": SEED, "headers": {"Authorization": f"Bearer {token}"}, "cache": {"enabled": False},
        "generation": {"max-examples": SCENARIOS[component], "mode": "positive"},
        "checks": {"enabled": False, **{check.__name__: {"enabled": True} for check in STATEFUL_CHECKS}},
        "phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}, "fuzzing": {"enabled": False},
                   "stateful": {"enabled": True, "max-steps": STEPS, "inference": {"algorithms": []}}}})
    schema = schemathesis.openapi.from_dict(without_unproduced_references(document, config), config=config)
    schema.app, schema.location = app, "/openapi.json"
    links = sum(len(answer.get("links", {})) for item in document["paths"].values() for operation in item.values()
                if isinstance(operation, dict) for answer in operation.get("responses", {}).values())
    started = time.perf_counter()
    calls = linked = 0
    operations: set[str] = set()
    statuses: dict[int, int] = {}
    failures: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"error: {getattr(event, 'info', None) or event.exception}")
        if not isinstance(event, events.ScenarioFinished):
            continue
        recorder = event.recorder
        for case_id, node in recorder.cases.items():
            interaction = recorder.interactions.get(case_id)
            if interaction is None or interaction.response is None:
                continue
            calls += 1
            linked += node.transition is not None and node.is_transition_applied
            operations.add(node.value.operation.label)
            statuses[interaction.response.status_code] = statuses.get(interaction.response.status_code, 0) + 1
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.failure_info is not None:
                    case = recorder.cases[case_id].value
                    failures.append(f"{check.name} {case.operation.label}: {check.failure_info.failure.title}\n"
                                    f"{check.failure_info.code_sample}")
    print(f"\nschemathesis stateful {component}: {links} links, {calls} calls ({linked} along a link) over "
          f"{len(operations)} operations, {len(failures)} failing, {time.perf_counter() - started:.1f} s; "
          f"statuses {dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(sorted(set(failures)))[:20_000]


def without_unproduced_references(document: dict, config) -> dict:
    """The document less the optional body fields Schemathesis' dependency analysis takes for
    references to a resource no operation of the document creates (a new customer's
    ``preferred_sales_agent_id``: sales agents come from the directory). With one such field an
    operation never starts a scenario, so POST /customers, the head of the customers' chains, would
    not run; generated data leaves optional fields out anyway."""
    graph = schemathesis.openapi.from_dict(document, config=config).analysis.dependency_graph
    produced = {output.resource.name for node in graph.operations.values() for output in node.outputs}
    schemas = document.get("components", {}).get("schemas", {})
    for label, node in graph.operations.items():
        method, path = label.split(" ", 1)
        body = document["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
        schema = body.get("application/json", {}).get("schema", {})
        schema = schemas.get(schema.get("$ref", "").rpartition("/")[2], schema)
        for slot in node.inputs:
            field = slot.resource_field
            if field and slot.resource.name not in produced and field not in schema.get("required", []):
                schema.get("properties", {}).pop(field, None)
    return document


def describe(error: BaseException) -> str:
    """What failed and how to reproduce it, from Schemathesis' failure group (whose own message is
    only a count)."""
    if isinstance(error, BaseExceptionGroup):
        parts = [str(error).strip()] + [f"{type(e).__name__}: {str(e).strip()}" for e in error.exceptions]
        notes = getattr(error, "__notes__", [])
        return "\n".join(parts + notes)[:2500]
    return str(error).strip()[:1500]


def strict_schema(app, path: str):
    """The served document less its catch-all ``default`` answers: every status an operation gives
    must be one it lists, so status-code conformance can fail."""
    document = app.test_client().get(path).get_json()
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].pop("default", None)
    schema = schemathesis.openapi.from_dict(document)
    schema.app, schema.location = app, path
    return schema


def run_and_report(name: str, schema, *, headers: dict, examples: dict, left_out: set) -> None:
    started = time.perf_counter()
    operations = 0
    cases = dict.fromkeys(examples, 0)
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in left_out:
            continue
        operations += 1
        for mode, count in examples.items():
            tried = []

            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis.settings(max_examples=count, derandomize=True, deadline=None, database=None,
                                 phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def run(case):
                tried.append(case)
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                continue  # nothing in this operation can be made invalid (no parameters, no body)
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - gathered, reported below
                failures.append(f"{mode.value} {operation.method.upper()} {operation.path}: {describe(error)}")
            cases[mode] += len(tried)
    seconds = time.perf_counter() - started
    print(f"\nschemathesis {name}: {operations} operations, {cases[GenerationMode.POSITIVE]} valid and "
          f"{cases[GenerationMode.NEGATIVE]} invalid cases, {len(failures)} failing, "
          f"{seconds:.1f} s; statuses {dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(failures)
