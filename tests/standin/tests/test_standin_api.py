"""The Phone Lock API as the stand-in models it: filters, counts, visibility, auth and request errors."""

import base64
import http.client
import json
import socket
from urllib.parse import urlencode

import pytest
import requests

from standin_client import API, ADMIN, COMPLETE, NOBODY, RND_MANAGER, SALES_MANAGER, USERS, count, utf8_auth

INITIALLY_LOCKED = {user["username"] for user in USERS if user["locked"]}
RND = {user["username"] for user in USERS if user["department"].casefold() == "r&d"}


def test_lock_by_department_sent_as_r_26_d(standin):
    response = standin.api("Lock", "department=R%26D")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    # The data keeps two R&D users typed as "r&d": the match is case-insensitive.
    assert sum(user["department"] == "r&d" for user in USERS) == 2
    assert response.json() == {"action": "Lock", "matched": len(RND), "changed": len(RND - INITIALLY_LOCKED)}
    assert standin.locked() == INITIALLY_LOCKED | RND


def test_unlock_by_department_and_second_call_changes_nothing(standin):
    standin.api("Lock", "department=R%26D")
    first = standin.api("Unlock", "department=R%26D").json()
    assert first == {"action": "Unlock", "matched": len(RND), "changed": len(RND)}
    assert standin.locked() == INITIALLY_LOCKED - RND
    second = standin.api("Unlock", "department=R%26D").json()
    assert second == {"action": "Unlock", "matched": len(RND), "changed": 0}


@pytest.mark.parametrize("field, value", [
    ("customField6", "田中 由紀"),
    ("customField6", "Γιώργος Παπαδόπουλος"),
    ("department", "Relações Públicas"),
    ("customField5", "C++ Guild"),
    ("customField5", "Team #7"),
    ("customField5", "Rate=50%"),
    ("customField5", "A&B Merger"),
    ("customField2", "Building A / Floor 2"),
])
def test_unicode_and_reserved_characters_round_trip(standin, field, value):
    expected = {user["username"] for user in USERS if user[field] == value}
    assert expected, "the sample data should contain this value"
    response = standin.api("Lock", urlencode({field: value}))
    assert response.json()["matched"] == len(expected)
    assert standin.locked() == INITIALLY_LOCKED | expected
    assert standin.log()[-1]["args"] == [[field, value]]


def test_plus_is_a_space_and_percent_20_too(standin):
    expected = count(USERS, customField2="Building A / Floor 2")
    assert standin.api("Lock", "customField2=Building+A+%2F+Floor+2").json()["matched"] == expected
    assert standin.api("Lock", "customField2=Building%20A%20%2F%20Floor%202").json()["matched"] == expected


def test_two_filters_and_together(standin):
    response = standin.api("Lock", "department=Sales&customField1=Roma")
    expected = {user["username"] for user in USERS if user["department"] == "Sales" and user["customField1"] == "Roma"}
    assert 0 < len(expected) < count(USERS, department="Sales")
    assert response.json()["matched"] == len(expected)
    assert standin.locked() == INITIALLY_LOCKED | expected


def test_matching_is_case_insensitive_but_otherwise_exact(standin):
    assert standin.api("Lock", urlencode({"department": "QUALITÀ"})).json()["matched"] == count(USERS, department="Qualità")
    assert standin.api("Lock", "customField1=new%20york").json()["matched"] == count(USERS, customField1="New York")
    # No trimming and no accent folding.
    assert standin.api("Lock", "customField1=Milano%20").json()["matched"] == 0
    assert standin.api("Lock", "department=Qualita").json()["matched"] == 0


def test_no_filter_acts_on_everyone(standin):
    assert standin.api("Lock").json() == {"action": "Lock", "matched": len(USERS), "changed": len(USERS) - len(INITIALLY_LOCKED)}
    assert all(user["locked"] for user in standin.phones())
    assert standin.api("Unlock", account=COMPLETE).json() == {"action": "Unlock", "matched": len(USERS), "changed": len(USERS)}
    assert not standin.locked()


def test_department_manager_sees_only_own_department(standin):
    response = standin.api("Lock", account=RND_MANAGER)
    assert response.json() == {"action": "Lock", "matched": len(RND), "changed": len(RND - INITIALLY_LOCKED)}
    assert standin.locked() == INITIALLY_LOCKED | RND
    assert standin.api("Unlock", "department=Sales", account=RND_MANAGER).json() == {"action": "Unlock", "matched": 0, "changed": 0}
    milano_rnd = {user["username"] for user in USERS if user["username"] in RND and user["customField1"] == "Milano"}
    assert standin.api("Unlock", "customField1=Milano", account=RND_MANAGER).json()["matched"] == len(milano_rnd)
    assert standin.locked() == (INITIALLY_LOCKED | RND) - milano_rnd


def test_sales_manager_sees_only_sales(standin):
    sales = {user["username"] for user in USERS if user["department"] == "Sales"}
    assert standin.api("Lock", account=SALES_MANAGER).json()["matched"] == len(sales)
    assert standin.locked() == INITIALLY_LOCKED | sales
    assert standin.api("Lock", "department=R%26D", account=SALES_MANAGER).json()["matched"] == 0


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Basic " + base64.b64encode("api-admin:wrong".encode()).decode()},
    {"Authorization": "Basic " + base64.b64encode("nobody-here:x".encode()).decode()},
    {"Authorization": "Basic " + base64.b64encode(ADMIN[0].encode() + b":" + ADMIN[1].encode("latin-1", "replace")).decode()},
    {"Authorization": "Basic not*base64"},
    {"Authorization": "Basic " + base64.b64encode(b"api-admin").decode()},
    {"Authorization": "Bearer abc"},
])
def test_401_for_missing_or_bad_credentials(standin, headers):
    response = standin.api("Lock", account=None, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Imagicle UCX Suite"'
    assert standin.locked() == INITIALLY_LOCKED


def test_password_with_colon_and_euro_sign_is_utf8(standin):
    token = base64.b64encode("api-admin:Adm1n:Pässwörd€2020".encode("utf-8")).decode()
    response = standin.api("Lock", "customField1=Roma", account=None, headers={"Authorization": f"basic {token}"})
    assert response.status_code == 200


def test_403_without_phone_lock_permission(standin):
    response = standin.api("Lock", account=NOBODY)
    assert response.status_code == 403
    assert standin.locked() == INITIALLY_LOCKED


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "PATCH"])
def test_405_for_other_methods(standin, method):
    response = standin.api("Lock", method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "PUT"
    assert standin.locked() == INITIALLY_LOCKED


@pytest.mark.parametrize("query, parameter", [
    ("Department=R%26D", "Department"),
    ("department=R&D", "D"),
    ("site=Milano", "site"),
    ("customField11=x", "customField11"),
    ("department=Sales&department=IT", "department"),
    ("department=", "department"),
    ("customField1", "customField1"),
    ("customField1=%FF%FE", "customField1"),
])
def test_400_for_anything_that_could_widen_the_action(standin, query, parameter):
    response = standin.api("Lock", query)
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter
    assert standin.locked() == INITIALLY_LOCKED


def test_400_for_a_malformed_percent_escape(standin):
    # requests would re-quote a bare '%' to '%25', so send the request line exactly as written.
    host, port = standin.base_url.rsplit("/", 1)[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("PUT", API + "Lock?customField1=50%", headers={"Authorization": "Basic " + base64.b64encode(
            "api-admin:Adm1n:Pässwörd€2020".encode()).decode()})
        response = connection.getresponse()
        assert response.status == 400
        assert json.loads(response.read())["parameter"] == "customField1"
    finally:
        connection.close()
    assert standin.log()[-1]["query_string"] == "customField1=50%"


def test_raw_utf8_bytes_in_the_query_are_taken_as_sent(standin):
    # Not percent-encoded at all: some clients send UTF-8 as is; the stand-in decodes it like %XX escapes.
    host, port = standin.base_url.rsplit("/", 1)[1].split(":")
    token = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    # Connection: close, so that the reply ends with the connection (the stand-in keeps it alive otherwise).
    request = (f"PUT {API}Lock?customField6=田中+由紀 HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {token}\r\n"
               "Connection: close\r\n\r\n")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request.encode("utf-8"))
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200")
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1]) == {"action": "Lock", "matched": 1, "changed": 1}
    entry = standin.log()[-1]
    assert (entry["query_string"], entry["args"]) == ("customField6=田中+由紀", [["customField6", "田中 由紀"]])


@pytest.mark.parametrize("path", [
    "/fw/Apps/StoneLock/WebAPI/Phones",
    "/fw/Apps/StoneLock/WebAPI/Phones/Lock/",
    "//fw/Apps/StoneLock/WebAPI/Phones/Lock",
    "/ucx/fw/Apps/StoneLock/WebAPI/Phones/Lock",
    "/",
])
def test_404_for_unknown_paths(standin, path):
    response = requests.put(standin.base_url + path, auth=utf8_auth(ADMIN), timeout=10)
    assert response.status_code == 404
    assert standin.locked() == INITIALLY_LOCKED


def test_paths_match_case_insensitively(standin):
    url = standin.base_url + "/FW/apps/STONELOCK/webapi/phones/lock?customField1=Sydney"
    response = requests.put(url, auth=utf8_auth(ADMIN), timeout=10)
    sydney = {user["username"] for user in USERS if user["customField1"] == "Sydney"}
    assert response.json() == {"action": "Lock", "matched": len(sydney), "changed": len(sydney - INITIALLY_LOCKED)}


def test_request_body_is_ignored(standin):
    response = standin.api("Unlock", "customField1=Roma", data=b'{"department": "Sales"}', headers={"Content-Type": "application/json"})
    assert response.json()["matched"] == count(USERS, customField1="Roma")
