"""server.py's command line: readiness and PID files, shutdown, --data, --latency, --path-prefix and TLS."""

import json
import signal
import socket
import ssl
import subprocess
import sys
import time

import pytest
import requests

from standin_client import SERVER, USERS, running_standin

SMALL_DATA = {
    "accounts": [{"username": "a", "password": "b", "permission": "admin"}],
    "users": [{"username": "u1", "name": "U One", "department": "IT", **{f"customField{n}": "" for n in range(1, 11)}, "locked": True}],
}


def test_pid_file_and_clean_shutdown_on_sigterm(tmp_path):
    with running_standin(tmp_path) as standin:
        assert int((tmp_path / "pid").read_text()) == standin.process.pid
        standin.process.send_signal(signal.SIGTERM)
        assert standin.process.wait(10) == 0
        # Files are removed so that a stale port file never looks like a ready server.
        assert not (tmp_path / "port").exists()
        assert not (tmp_path / "pid").exists()


def test_sigint_also_stops_it(tmp_path):
    with running_standin(tmp_path) as standin:
        standin.process.send_signal(signal.SIGINT)
        assert standin.process.wait(10) == 0


def test_data_option(tmp_path):
    data = tmp_path / "small.json"
    data.write_text(json.dumps(SMALL_DATA), encoding="utf-8")
    with running_standin(tmp_path / "run", "--data", str(data)) as standin:
        assert [phone["username"] for phone in standin.phones()] == ["u1"]
        response = requests.put(standin.base_url + "/fw/Apps/StoneLock/WebAPI/Phones/Unlock", auth=("a", "b"), timeout=10)
        assert response.json() == {"action": "Unlock", "matched": 1, "changed": 1}


def test_bad_data_file_fails_fast(tmp_path):
    data = tmp_path / "bad.json"
    data.write_text(json.dumps({"users": [{"username": "x"}]}), encoding="utf-8")
    result = subprocess.run([sys.executable, str(SERVER), "--data", str(data), "--port-file", str(tmp_path / "port")],
                            capture_output=True, text=True, timeout=20, check=False)
    assert result.returncode == 2
    assert "users[0].name" in result.stderr
    assert not (tmp_path / "port").exists()


def test_latency_delays_api_requests_only(tmp_path):
    with running_standin(tmp_path, "--latency", "0.4") as standin:
        started = time.monotonic()
        assert standin.api("Lock", "customField1=Roma").status_code == 200
        assert time.monotonic() - started >= 0.4
        started = time.monotonic()
        assert requests.put(standin.base_url + "/nowhere", timeout=10).status_code == 404
        assert time.monotonic() - started >= 0.4
        started = time.monotonic()
        standin.phones()
        assert time.monotonic() - started < 0.3


def test_path_prefix_serves_both(tmp_path):
    with running_standin(tmp_path, "--path-prefix", "/ucx/") as standin:
        assert standin.api("Lock", "customField1=Roma", prefix="/ucx").status_code == 200
        assert standin.api("Unlock", "customField1=Roma", prefix="/UCX").status_code == 200
        assert standin.api("Lock", "customField1=Roma").status_code == 200
        assert standin.api("Lock", "customField1=Roma", prefix="/other").status_code == 404
        assert [entry["path"] for entry in standin.log()][:2] == ["/ucx/fw/Apps/StoneLock/WebAPI/Phones/Lock",
                                                                  "/UCX/fw/Apps/StoneLock/WebAPI/Phones/Unlock"]


@pytest.fixture(name="tls_standin", scope="module")
def tls_standin_fixture(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("tls")
    with running_standin(workdir, "--tls-dir", str(workdir / "tls"), "--tls-hostname", "phonelock.example.test",
                         scheme="https") as standin:
        standin.verify = str(workdir / "tls" / "ca.pem")
        yield standin


def test_tls_with_the_generated_ca(tls_standin):
    tls_standin.reset()
    response = tls_standin.api("Lock", "customField1=Sydney")
    assert response.status_code == 200
    assert response.json()["matched"] == sum(user["customField1"] == "Sydney" for user in USERS)
    localhost = tls_standin.base_url.replace("127.0.0.1", "localhost")
    assert requests.get(localhost + "/_standin/health", verify=tls_standin.verify, timeout=10).status_code == 200
    assert (tls_standin.workdir / "tls" / "server.pem").read_text().count("BEGIN CERTIFICATE") >= 1


def test_tls_extra_hostname_is_in_the_certificate(tls_standin):
    port = int(tls_standin.base_url.rsplit(":", 1)[1])
    context = ssl.create_default_context(cafile=tls_standin.verify)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="phonelock.example.test") as tls:
            assert ("DNS", "phonelock.example.test") in tls.getpeercert()["subjectAltName"]


def test_tls_default_trust_store_refuses_and_server_survives(tls_standin):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_standin.base_url + "/_standin/health", timeout=10)
    # A client that connects and never handshakes must not stall others (handshakes run per thread).
    with socket.create_connection(("127.0.0.1", int(tls_standin.base_url.rsplit(":", 1)[1])), timeout=10):
        assert tls_standin.inspect("GET", "health").status_code == 200


def test_tls_reset_and_empty_faults(tls_standin):
    tls_standin.reset()
    tls_standin.fault(kind="reset")
    tls_standin.fault(kind="empty")
    for dummy in range(2):
        with pytest.raises(requests.exceptions.ConnectionError):
            tls_standin.api("Lock")
    assert tls_standin.phones() == USERS
    assert tls_standin.api("Lock").status_code == 200
