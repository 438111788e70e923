"""Login protection at the gateway, on PostgreSQL: failed logins are limited per account and per
client address however many arrive at once, a lock backs off exponentially and answers 429 with
Retry-After, and an unknown user and a wrong password answer alike, in a similar time."""
from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from gateway.auth import throttle
from gateway.directory.bootstrap import ensure_first_admin
from gateway.settings import LoginLimits
from services.kit.db import utcnow
from tests.security.conftest import without_correlation

pytestmark = pytest.mark.integration

PASSWORD = "long-enough-1"
PARALLEL = 200


def _gateway(make_app, limits: LoginLimits):
    app = make_app("gateway", gateway={"login_limits": limits})
    ensure_first_admin(app.extensions["caredesk"].database, username="admin", password=PASSWORD)
    return app


def _storm(app, attempts: list[tuple[str, str]]) -> list:
    """Every (username, client address) at once, each with a wrong password."""
    start = threading.Barrier(len(attempts))

    def attempt(item):
        username, address = item
        client = app.test_client()
        start.wait()
        return client.post("/api/v1/auth/login", json={"username": username, "password": "wrong-password"},
                           environ_base={"REMOTE_ADDR": address})

    with ThreadPoolExecutor(len(attempts)) as pool:
        return list(pool.map(attempt, attempts))


def _check_refusals(responses) -> Counter:
    statuses = Counter(response.status_code for response in responses)
    assert set(statuses) <= {401, 429}, statuses
    for response in responses:
        assert response.content_type == "application/problem+json"
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1
    return statuses


def test_parallel_wrong_passwords_never_exceed_the_account_limit(make_app):
    limits = LoginLimits(account_failures=5, address_failures=1000)
    app = _gateway(make_app, limits)
    began = time.perf_counter()
    responses = _storm(app, [("admin", f"10.0.{i // 250}.{i % 250}") for i in range(PARALLEL)])
    elapsed = time.perf_counter() - began
    statuses = _check_refusals(responses)
    assert statuses[401] == limits.account_failures, statuses
    locked = app.test_client().post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
    assert locked.status_code == 429, "the right password waits out the lock too"
    print(f"\n{PARALLEL} parallel wrong passwords for one account from {PARALLEL} addresses: "
          f"{statuses[401]} checked (limit {limits.account_failures}), {statuses[429]} refused with 429, "
          f"{elapsed:.2f}s")


def test_parallel_wrong_passwords_never_exceed_the_address_limit(make_app):
    limits = LoginLimits(account_failures=1000, address_failures=20)
    app = _gateway(make_app, limits)
    responses = _storm(app, [(f"user{i}", "192.0.2.7") for i in range(PARALLEL)])
    statuses = _check_refusals(responses)
    assert statuses[401] == limits.address_failures, statuses
    elsewhere = app.test_client().post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD},
                                       environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert elsewhere.status_code == 200, "another address is not locked out"
    print(f"\n{PARALLEL} parallel wrong passwords for {PARALLEL} accounts from one address: "
          f"{statuses[401]} checked (limit {limits.address_failures}), {statuses[429]} refused with 429")


def test_the_lock_backs_off_and_a_success_starts_afresh(make_app, monkeypatch):
    # the throttle's clock stands still (a slow argon2 check on a busy machine cannot outlast a
    # lock) and is moved on by each Retry-After instead of sleeping through it
    now = [utcnow()]
    monkeypatch.setattr(throttle, "utcnow", lambda: now[0])
    limits = LoginLimits(account_failures=3, address_failures=1000, lockout_seconds=4)
    app = _gateway(make_app, limits)
    client = app.test_client()

    def login(password: str):
        return client.post("/api/v1/auth/login", json={"username": "admin", "password": password})

    assert [login("wrong-password").status_code for _ in range(3)] == [401, 401, 401]
    waits = []
    for _ in range(2):
        refused = login(PASSWORD)
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        now[0] += timedelta(seconds=waits[-1])
        assert login("wrong-password").status_code == 401  # one try after the lock, then a longer lock
    assert waits[1] > waits[0], waits
    now[0] += timedelta(seconds=int(login(PASSWORD).headers["Retry-After"]))
    assert login(PASSWORD).status_code == 200
    assert login("wrong-password").status_code == 401, "a success started the count afresh"
    print(f"\nlock backoff: Retry-After {waits} s, then a success resets the count")


def test_unknown_user_and_wrong_password_answer_alike(make_app):
    app = _gateway(make_app, LoginLimits(account_failures=1000, address_failures=1000))
    client = app.test_client()
    times: dict[str, list[float]] = {"wrong password": [], "unknown user": []}
    bodies = {}
    for _ in range(15):
        for label, username in (("wrong password", "admin"), ("unknown user", "nobody.here")):
            began = time.perf_counter()
            response = client.post("/api/v1/auth/login", json={"username": username, "password": "wrong-password"})
            times[label].append(time.perf_counter() - began)
            assert response.status_code == 401
            bodies[label] = without_correlation(response.get_json())
    assert bodies["wrong password"] == bodies["unknown user"]
    medians = {label: statistics.median(values) for label, values in times.items()}
    ratio = medians["unknown user"] / medians["wrong password"]
    assert 0.5 < ratio < 2, medians
    print("\nlogin refusals alike: same body; median " +
          ", ".join(f"{label} {value * 1000:.1f} ms" for label, value in medians.items()) + f", ratio {ratio:.2f}")
