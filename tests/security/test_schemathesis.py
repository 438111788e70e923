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
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

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
