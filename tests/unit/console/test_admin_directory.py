"""Administration of the directory through Flask's test client against the gateway's own directory API
(the services look down): branches, departments and users made and changed in the browser, each change
with the version the form was read at, and the API's refusals shown at their fields."""
from __future__ import annotations

import html
import re

import pytest

from tests.unit.console.test_console import csrf_of, sign_in


@pytest.fixture
def admin(console):
    sign_in(console, lang="en")
    return console


def post(client, path, data, *, form_page=None):
    return client.post(path, data={"csrf_token": csrf_of(client, form_page or path), **data})


def branch(client, code="medellin", name="Medellín") -> str:
    post(client, "/admin/units/branches", {"code": code, "name": name}, form_page="/admin/units")
    return re.search(r'<option value="([0-9a-f-]{36})"[^>]*>' + re.escape(name), client.get("/admin/users/new")
                     .get_data(as_text=True)).group(1)


def make_user(client, branch_id, **overrides) -> str:
    data = {"username": "ana.gomez", "password": "a long pass phrase", "full_name": "Ana Gómez", "level": "3",
            "branch_id": branch_id, "permissions": ["edit_customers"], **overrides}
    answer = post(client, "/admin/users/new", data)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer.headers["Location"].rsplit("/", 1)[1]


def etag_on(page: str) -> str:
    return html.unescape(re.search(r'name="etag" value="([^"]+)"', page).group(1))


def test_the_administration_is_in_the_navigation_only_for_those_who_manage_users(admin):
    assert 'href="/admin"' in admin.get("/desk").get_data(as_text=True)
    with admin.session_transaction() as session:
        session["user"] = dict(session["user"], permissions=[])
    assert 'href="/admin"' not in admin.get("/desk").get_data(as_text=True)
    page = admin.get("/admin/users")
    assert page.status_code == 403 and "needs a permission your account does not have" in page.get_data(as_text=True)


def test_a_branch_and_a_department_are_added_and_listed(admin):
    answer = post(admin, "/admin/units/branches", {"code": "medellin", "name": "Medellín"}, form_page="/admin/units")
    assert answer.status_code == 302
    post(admin, "/admin/units/departments", {"code": "billing", "name": "Facturación"}, form_page="/admin/units")
    page = admin.get("/admin/units").get_data(as_text=True)
    assert "Medellín" in page and "Facturación" in page and "The department Facturación is added." in page


def test_a_bad_or_taken_code_is_shown_at_the_code_field_of_its_own_form(admin):
    post(admin, "/admin/units/branches", {"code": "medellin", "name": "Medellín"}, form_page="/admin/units")
    page = post(admin, "/admin/units/branches", {"code": "medellin", "name": "Otra"}, form_page="/admin/units")
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'id="branches-code" name="code" type="text" value="medellin" aria-invalid="true"' in text
    assert "exists" in text and 'id="departments-code" name="code" type="text" value="" aria-invalid' not in text
    page = post(admin, "/admin/units/departments", {"code": "Not A Code", "name": ""}, form_page="/admin/units")
    text = page.get_data(as_text=True)
    assert 'id="departments-code" name="code" type="text" value="Not A Code" aria-invalid="true"' in text
    assert 'id="departments-name" name="name" type="text" value="" aria-invalid="true"' in text


def test_a_new_user_is_made_with_level_branch_and_permissions(admin):
    user_id = make_user(admin, branch(admin))
    page = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert "Ana Gómez" in page and 'value="edit_customers" checked' in page
    assert re.search(r'<option value="3"\s+selected>', page)
    assert "ana.gomez" in admin.get("/admin/users").get_data(as_text=True)


def test_the_apis_refusals_of_a_new_user_are_shown_at_their_fields(admin):
    branch_id = branch(admin)
    page = post(admin, "/admin/users/new", {"username": "A", "password": "short", "full_name": "Ana", "level": "3",
                                            "branch_id": branch_id})
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'id="f-username" name="username" type="text" value="A" aria-invalid="true"' in text
    assert 'id="f-password" name="password" type="password" value="" aria-invalid="true"' in text
    make_user(admin, branch_id)
    text = post(admin, "/admin/users/new", {"username": "ana.gomez", "password": "a long pass phrase",
                                            "full_name": "Ana", "level": "3", "branch_id": branch_id}).get_data(as_text=True)
    assert re.search(r'id="e-f-username">The username .+?ana.gomez.+? is taken', text)


def test_a_change_is_sent_with_the_version_read_and_a_stale_one_changes_nothing(admin):
    user_id = make_user(admin, branch(admin))
    form = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    version = etag_on(form)
    fields = {"etag": version, "full_name": "Ana María Gómez", "level": "3", "branch_id": re.search(
        r'name="branch_id"[^>]*>.*?<option value="([0-9a-f-]{36})"\s+selected', form, re.S).group(1),
        "permissions": ["edit_customers"], "is_active": "1"}
    assert post(admin, f"/admin/users/{user_id}", fields, form_page=f"/admin/users/{user_id}").status_code == 302
    assert "Ana María Gómez" in admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    stale = post(admin, f"/admin/users/{user_id}", fields | {"full_name": "Someone Else"},
                 form_page=f"/admin/users/{user_id}")
    text = stale.get_data(as_text=True)
    assert stale.status_code == 412 and "Someone changed this record after you opened it" in text
    assert "Someone Else" not in admin.get(f"/admin/users/{user_id}").get_data(as_text=True)


def test_disabling_a_user_and_giving_a_new_password(admin):
    branch_id = branch(admin)
    user_id = make_user(admin, branch_id)
    form = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    answer = post(admin, f"/admin/users/{user_id}/password", {"etag": etag_on(form), "password": "another long one",
                                                              "password_again": "another long one"},
                  form_page=f"/admin/users/{user_id}")
    assert answer.status_code == 302
    form = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert "has a new password" in form
    answer = post(admin, f"/admin/users/{user_id}", {"etag": etag_on(form), "full_name": "Ana Gómez", "level": "3",
                                                     "branch_id": branch_id, "permissions": ["edit_customers"]},
                  form_page=f"/admin/users/{user_id}")
    assert answer.status_code == 302
    assert "ana.gomez" in admin.get("/admin/users?show=disabled").get_data(as_text=True)
    assert "ana.gomez" not in admin.get("/admin/users").get_data(as_text=True)


def test_two_different_passwords_are_refused_at_the_second_one(admin):
    user_id = make_user(admin, branch(admin))
    form = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    page = post(admin, f"/admin/users/{user_id}/password", {"etag": etag_on(form), "password": "another long one",
                                                            "password_again": "another long two"},
                form_page=f"/admin/users/{user_id}")
    assert page.status_code == 422 and 'id="e-p-password_again">The two passwords differ.' in page.get_data(as_text=True)


def test_while_the_cases_service_is_down_a_users_queues_are_kept_not_taken_away(admin):
    user_id = make_user(admin, branch(admin), queues=["billing"])
    page = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert "The list of queues is not available just now" in page
    assert '<input type="hidden" name="queues" value="billing">' in page
