"""The /_standin/ inspection API: health, phones, reset, the request log and injected faults."""

import base64
import json
import time

import pytest
import requests

from standin_client import ADMIN, NOBODY, USERS, count

FIELDS = ["username", "name", "department"] + [f"customField{n}" for n in range(1, 11)] + ["locked"]


def test_health(standin):
    response = standin.inspect("GET", "health")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_phones_follow_the_data_file(standin):
    phones = standin.phones()
    assert phones == USERS
    assert all(list(phone) == FIELDS for phone in phones)


def test_reset_restores_state_and_clears_log_and_faults(standin):
    standin.api("Lock")
    standin.fault(kind="status", status=500, count=3)
    assert standin.log()
    standin.reset()
    assert standin.phones() == USERS
    assert standin.log() == []
    assert standin.inspect("GET", "faults").json() == {"faults": []}


def test_inspection_requests_are_not_in_the_request_log_and_reject_other_methods(standin):
    standin.inspect("GET", "phones")
    standin.inspect("GET", "health")
    assert standin.log() == []
    response = standin.inspect("PUT", "requests")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "DELETE"}
    assert standin.inspect("GET", "nothing-here").status_code == 404


def test_request_log_records_what_was_sent(standin):
    standin.api("Lock", "department=R%26D&customField1=Milano")
    standin.api("Unlock", "customField6=%E7%94%B0%E4%B8%AD+%E7%94%B1%E7%B4%80", account=NOBODY)
    standin.api("Lock", account=None)
    standin.api("Lock", account=("api-admin", "wrong"))
    standin.api("Lock", method="GET")
    requests.put(standin.base_url + "/nowhere?x=1", timeout=10)
    log = standin.log()
    host = standin.base_url.split("//", 1)[1]
    rnd_milano = sum(user["department"].casefold() == "r&d" and user["customField1"] == "Milano" for user in USERS)
    assert log[0] == {
        "seq": 1, "method": "PUT", "path": "/fw/Apps/StoneLock/WebAPI/Phones/Lock",
        "query_string": "department=R%26D&customField1=Milano", "args": [["department", "R&D"], ["customField1", "Milano"]],
        "user": "api-admin", "authorization": True, "status": 200, "matched": rnd_milano,
        "changed": log[0]["changed"], "fault": None, "host": host, "received": log[0]["received"],
        "connection": log[0]["connection"],
    }
    # Each call above opened its own connection (requests.request: a new session each time), numbered in order.
    assert all(isinstance(entry["connection"], int) for entry in log)
    assert len({entry["connection"] for entry in log}) == 6
    assert log[1]["query_string"] == "customField6=%E7%94%B0%E4%B8%AD+%E7%94%B1%E7%B4%80"
    assert log[1]["args"] == [["customField6", "田中 由紀"]]
    assert (log[1]["user"], log[1]["status"], log[1]["matched"]) == ("api-nobody", 403, None)
    assert (log[2]["user"], log[2]["authorization"], log[2]["status"]) == (None, False, 401)
    assert (log[3]["user"], log[3]["authorization"], log[3]["status"]) == (None, True, 401)
    assert (log[4]["method"], log[4]["user"], log[4]["status"]) == ("GET", "api-admin", 405)
    assert (log[5]["path"], log[5]["args"], log[5]["status"]) == ("/nowhere", [["x", "1"]], 404)
    assert [entry["seq"] for entry in log] == [1, 2, 3, 4, 5, 6]


def test_access_log_has_every_request_and_marks_inspection_ones(standin):
    marker = f"m{time.time_ns()}"
    standin.inspect("GET", f"health?{marker}=1")
    standin.inspect("GET", f"nothing-here?{marker}=2")
    standin.api("Lock", f"customField1=Roma&{marker}=3")
    standin.inspect("GET", f"requests?{marker}=4")
    lines = [line for line in standin.read_log_file().splitlines() if marker in line]
    assert len(lines) == 4, lines
    health, missing, api, journal = lines
    assert health.endswith(f'- "GET /_standin/health?{marker}=1 HTTP/1.1" 200 inspection')
    assert missing.endswith(f'- "GET /_standin/nothing-here?{marker}=2 HTTP/1.1" 404 inspection')
    assert api.endswith(f'api-admin "PUT /fw/Apps/StoneLock/WebAPI/Phones/Lock?customField1=Roma&{marker}=3 HTTP/1.1" 400')
    assert journal.endswith(" 200 inspection")
    # The request log the tests inspect has the API request only.
    assert [entry["query_string"] for entry in standin.log()] == [f"customField1=Roma&{marker}=3"]


def test_no_credentials_are_stored_or_logged(standin):
    token = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    standin.api("Lock", "customField1=Roma")
    standin.api("Lock", account=("api-admin", "Wr0ng-Secret"))
    text = standin.inspect("GET", "requests").text + standin.read_log_file()
    for secret in (ADMIN[1], "Wr0ng-Secret", token, "Basic "):
        assert secret not in text
    assert "api-admin" in standin.read_log_file()


def test_delete_requests_clears_the_log(standin):
    standin.api("Lock")
    assert standin.inspect("DELETE", "requests").status_code == 200
    assert standin.log() == []
    standin.api("Unlock")
    assert [entry["seq"] for entry in standin.log()] == [1]


def test_status_fault_with_retry_after_changes_nothing(standin):
    standin.fault(kind="status", status=503, retry_after="2", body="busy")
    response = standin.api("Lock")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.text == "busy"
    assert standin.phones() == USERS
    entry = standin.log()[-1]
    assert (entry["fault"], entry["status"], entry["matched"], entry["user"]) == ("status", 503, None, "api-admin")


def test_faulted_request_skips_auth_but_logs_it(standin):
    standin.fault(status=500)
    response = standin.api("Lock", account=None)
    assert response.status_code == 500
    entry = standin.log()[-1]
    assert (entry["fault"], entry["authorization"], entry["user"]) == ("status", False, None)


def test_delay_fault_then_normal_processing(standin):
    standin.fault(kind="delay", delay=0.5)
    started = time.monotonic()
    response = standin.api("Lock", "customField1=Roma")
    assert time.monotonic() - started >= 0.5
    assert response.json()["matched"] == count(USERS, customField1="Roma")
    assert standin.log()[-1]["fault"] == "delay"


def test_delay_combined_with_status(standin):
    standin.fault(kind="status", status=504, delay=0.3)
    started = time.monotonic()
    assert standin.api("Lock").status_code == 504
    assert time.monotonic() - started >= 0.3
    assert standin.phones() == USERS


def test_reset_fault_is_a_connection_reset(standin):
    standin.fault(kind="reset")
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        standin.api("Lock")
    assert "reset" in str(caught.value).lower()
    assert standin.phones() == USERS
    entry = standin.log()[-1]
    assert (entry["fault"], entry["status"], entry["user"]) == ("reset", None, "api-admin")
    assert standin.api("Lock", "customField1=Roma").status_code == 200  # the server carries on


def test_empty_fault_closes_without_a_reply(standin):
    standin.fault(kind="empty")
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        standin.api("Lock")
    assert "without response" in str(caught.value) or "RemoteDisconnected" in str(caught.value)
    assert standin.phones() == USERS
    assert (standin.log()[-1]["fault"], standin.log()[-1]["status"]) == ("empty", None)
    assert standin.api("Unlock").status_code == 200


def test_redirect_fault(standin):
    standin.fault(kind="redirect", location="http://elsewhere.invalid/fw/")
    response = standin.api("Lock", allow_redirects=False)
    assert response.status_code == 307
    assert response.headers["Location"] == "http://elsewhere.invalid/fw/"
    assert standin.phones() == USERS


def test_count_faults_are_consumed_in_order_then_normal(standin):
    standin.fault(kind="status", status=503, count=2)
    standin.fault(kind="status", status=429, retry_after=7)
    assert len(standin.inspect("GET", "faults").json()["faults"]) == 3
    statuses = [standin.api("Lock", "customField1=Roma").status_code for dummy in range(4)]
    assert statuses == [503, 503, 429, 200]
    assert standin.inspect("GET", "faults").json() == {"faults": []}
    assert [entry["fault"] for entry in standin.log()] == ["status", "status", "status", None]


def test_any_non_inspection_request_consumes_a_fault(standin):
    standin.fault(status=502)
    standin.inspect("GET", "phones")  # inspection routes never take one
    assert requests.get(standin.base_url + "/nowhere", timeout=10).status_code == 502
    assert requests.get(standin.base_url + "/nowhere", timeout=10).status_code == 404


def test_received_is_the_arrival_time(standin):
    before = time.time()
    standin.fault(kind="delay", delay=0.5)
    standin.api("Lock", "customField1=Roma")
    standin.api("Lock", "customField1=Roma")
    first, second = standin.log()
    # Taken on arrival, not on completion: the first request arrived 0.5 s before it was answered.
    assert before - 0.01 <= first["received"] <= second["received"] - 0.5


def test_match_faults_only_the_requests_it_names(standin):
    standin.fault(kind="status", status=503, count=2, match={"department": "R&D"})
    standin.fault(kind="status", status=500)
    statuses = [standin.api("Lock", query).status_code for query in (
        "department=Sales", "customField1=Roma&department=R%26D", "department=r%26d", "department=Sales",
        "department=R%26D&customField1=X", "department=R%26D")]
    # Sales takes the unmatched 500 queued after the matched faults; only R&D (decoded, exact case) takes the 503s.
    assert statuses == [500, 503, 200, 200, 503, 200]
    assert standin.inspect("GET", "faults").json() == {"faults": []}


def test_match_fault_is_kept_until_a_request_matches(standin):
    standin.fault(kind="reset", match={"department": "IT"})
    assert standin.api("Lock", "department=Sales").status_code == 200
    assert [fault["match"] for fault in standin.inspect("GET", "faults").json()["faults"]] == [{"department": "IT"}]


def test_delete_faults_clears_the_queue(standin):
    standin.fault(status=500, count=5)
    assert standin.inspect("DELETE", "faults").status_code == 200
    assert standin.api("Lock", "customField1=Roma").status_code == 200


@pytest.mark.parametrize("spec", [
    {"kind": "explode"},
    {},
    {"status": 503, "colour": "red"},
    {"kind": "redirect"},
    {"kind": "delay"},
    {"kind": "status", "status": 99},
    {"kind": "status", "count": 0},
    {"kind": "reset", "status": 500},
    {"kind": "reset", "match": {}},
    {"kind": "reset", "match": "department=IT"},
    {"kind": "reset", "match": {"department": 1}},
    "not an object",
])
def test_bad_fault_specs_are_refused(standin, spec):
    response = standin.inspect("POST", "faults", data=json.dumps(spec))
    assert response.status_code == 400
    assert "error" in response.json()
    assert standin.inspect("GET", "faults").json() == {"faults": []}
