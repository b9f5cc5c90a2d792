"""Connections as IIS handles them: kept alive (HTTP/1.1, Content-Length on every reply), Connection: close honoured,
an idle timeout, TLS; GET /_standin/connections counts them; faults that drop a connection still drop it."""

import base64
import http.client
import json
import socket
import ssl
import threading
import time

import pytest
import requests

from standin_client import ADMIN, API, running_standin

TOKEN = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode("utf-8")).decode("ascii")
ROMA = "customField1=Roma"
CALLS = 20


def raw_request(method="PUT", target=API + "Lock?" + ROMA, version="HTTP/1.1", headers=(), body=b"", auth=True):
    """The bytes of one request, exactly as given (Host, Authorization unless auth is false, then headers)."""
    lines = [f"{method} {target} {version}", "Host: standin.test"]
    lines += [f"Authorization: Basic {TOKEN}"] if auth else []
    lines += list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def read_reply(reader):
    """One reply from a buffered reader of the socket: (status, {lowercased header: value}, body), or None at EOF.

    The body is exactly Content-Length bytes, so replies that follow on the same connection stay in the reader.
    """
    status_line = reader.readline()
    if not status_line:
        return None
    headers = {}
    while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
        name, dummy, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    status = int(status_line.split()[1])
    body = reader.read(int(headers["content-length"])) if "content-length" in headers else b""
    return status, headers, body


def closed_within(sock, seconds):
    """Whether the server closes the (otherwise silent) connection within seconds; nothing else may arrive."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except (ConnectionResetError, ssl.SSLEOFError):  # TLS: the server closes without a close_notify
        return True


def wait_for(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# ---- keep-alive ----------------------------------------------------------------------------------------------------

def test_a_session_sends_every_request_over_one_connection(standin):
    with standin.session() as session:
        replies = [session.put(standin.api_url("Lock", ROMA), timeout=10) for dummy in range(CALLS)]
    assert [reply.status_code for reply in replies] == [200] * CALLS
    assert not [reply.headers["Connection"] for reply in replies if "Connection" in reply.headers]
    counts = standin.connections()
    # One connection for the session's CALLS requests, and the one this GET came on; the reset before the test came
    # on a connection accepted before the reset, so it is not counted.
    assert (counts["api_connections"], counts["accepted"]) == (1, 2)
    log = standin.log()
    assert len(log) == CALLS
    assert len({entry["connection"] for entry in log}) == 1


def test_http_client_keeps_its_socket(standin):
    connection = http.client.HTTPConnection(*standin.address, timeout=10)
    try:
        connection.connect()
        first = connection.sock
        for dummy in range(5):
            connection.request("PUT", API + "Lock?" + ROMA, headers={"Authorization": f"Basic {TOKEN}"})
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200
            assert response.getheader("Content-Length") == str(len(body))
            assert response.getheader("Transfer-Encoding") is None
            assert not response.will_close
            assert connection.sock is first  # http.client closes and reopens when the server says Connection: close
    finally:
        connection.close()
    assert standin.connections()["api_connections"] == 1


def test_every_kind_of_reply_has_content_length_and_keeps_the_connection(standin):
    cases = [  # (fault queued just before, request, expected status)
        (None, raw_request(), 200),
        (None, raw_request(auth=False), 401),
        (None, raw_request(target=API + "Lock?site=Roma"), 400),
        (None, raw_request(target="/nowhere"), 404),
        (None, raw_request(method="GET"), 405),
        ({"kind": "status", "status": 503, "retry_after": "1", "body": "busy"}, raw_request(), 503),
        ({"kind": "redirect", "location": "http://elsewhere.test/"}, raw_request(), 307),
        ({"kind": "delay", "delay": 0.1, "status": 500}, raw_request(), 500),
        (None, raw_request(method="GET", target="/_standin/health", auth=False), 200),
        (None, raw_request(method="DELETE", target="/_standin/nothing", auth=False), 404),
    ]
    with socket.create_connection(standin.address, timeout=10) as sock, sock.makefile("rb") as reader:
        for fault, request, expected in cases:
            if fault:
                standin.fault(**fault)
            sock.sendall(request)
            status, headers, body = read_reply(reader)
            assert status == expected, request
            assert headers["content-length"] == str(len(body)), (request, headers)
            assert "transfer-encoding" not in headers and "connection" not in headers, (request, headers)
    assert len({entry["connection"] for entry in standin.log()}) == 1


def test_back_to_back_requests_with_bodies_on_one_connection(standin):
    # Sent in one go: the server must read exactly each request's body (by length, chunked) to find the next one.
    requests_ = (raw_request(headers=["Content-Length: 11"], body=b'{"x": "y"}\n')
                 + raw_request(target=API + "Unlock?" + ROMA, headers=["Transfer-Encoding: chunked"],
                               body=b"4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n")
                 + raw_request(method="POST", target="/_standin/faults", auth=False,
                               headers=["Content-Type: application/json", "Content-Length: 36"],
                               body=b'{"kind": "status", "status": 502}   ')
                 + raw_request()
                 + raw_request(headers=["Connection: close"]))
    with socket.create_connection(standin.address, timeout=10) as sock, sock.makefile("rb") as reader:
        sock.sendall(requests_)
        replies = []
        while (reply := read_reply(reader)) is not None:
            replies.append(reply)
    assert [status for status, dummy, dummy in replies] == [200, 200, 200, 502, 200]
    assert [json.loads(body)["action"] for status, dummy, body in replies if status == 200 and b"action" in body] == \
        ["Lock", "Unlock", "Lock"]
    assert replies[-1][1]["connection"] == "close"


def test_connection_close_is_honoured(standin):
    with socket.create_connection(standin.address, timeout=10) as sock, sock.makefile("rb") as reader:
        sock.sendall(raw_request(headers=["Connection: close"]))
        status, headers, dummy = read_reply(reader)
        assert (status, headers["connection"]) == (200, "close")
        assert reader.read() == b""  # and then the server closed it


def test_http_10_closes_unless_asked_to_keep_alive(standin):
    with socket.create_connection(standin.address, timeout=10) as sock, sock.makefile("rb") as reader:
        sock.sendall(raw_request(version="HTTP/1.0"))
        status, headers, dummy = read_reply(reader)
        assert (status, headers["connection"]) == (200, "close")
        assert reader.read() == b""
    with socket.create_connection(standin.address, timeout=10) as sock, sock.makefile("rb") as reader:
        for dummy in range(2):
            sock.sendall(raw_request(version="HTTP/1.0", headers=["Connection: keep-alive"]))
            status, headers, dummy = read_reply(reader)
            assert (status, headers["connection"]) == (200, "keep-alive")


def test_a_bad_request_closes_the_connection(standin):
    for request in (raw_request(target="/a b"), raw_request(headers=["Content-Length: ten"])):
        with socket.create_connection(standin.address, timeout=10) as sock, sock.makefile("rb") as reader:
            sock.sendall(request)
            status, headers, dummy = read_reply(reader)
            assert (status, headers["connection"]) == (400, "close")
            assert reader.read() == b""
    assert standin.log() == []


def test_an_interim_status_as_the_final_answer_closes_the_connection(standin):
    standin.fault(kind="status", status=102)
    with socket.create_connection(standin.address, timeout=10) as sock, sock.makefile("rb") as reader:
        sock.sendall(raw_request())
        assert reader.readline().startswith(b"HTTP/1.1 102 ")
        assert reader.read().endswith(b"Connection: close\r\n\r\n")


# ---- faults --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["reset", "empty"])
def test_a_dropping_fault_closes_the_connection_and_the_client_reconnects(standin, kind):
    url = standin.api_url("Lock", ROMA)
    with standin.session() as session:
        assert session.put(url, timeout=10).status_code == 200
        standin.fault(kind=kind)
        with pytest.raises(requests.exceptions.ConnectionError):
            session.put(url, timeout=10)
        assert session.put(url, timeout=10).status_code == 200
    log = standin.log()
    assert [(entry["fault"], entry["status"]) for entry in log] == [(None, 200), (kind, None), (None, 200)]
    # The fault came on the kept-alive connection, which it closed: the third request needed a new one.
    assert log[0]["connection"] == log[1]["connection"] != log[2]["connection"]
    counts = standin.connections()
    assert (counts["api_connections"], counts["closed_by_fault"]) == (2, 1)


def test_a_status_fault_keeps_the_connection(standin):
    standin.fault(kind="status", status=503, retry_after="1")
    with standin.session() as session:
        statuses = [session.put(standin.api_url("Lock", ROMA), timeout=10).status_code for dummy in range(2)]
    assert statuses == [503, 200]
    assert len({entry["connection"] for entry in standin.log()}) == 1
    assert standin.connections()["closed_by_fault"] == 0


# ---- counts --------------------------------------------------------------------------------------------------------

def test_reset_clears_the_counts_but_not_the_open_connections(standin):
    url = standin.api_url("Lock", ROMA)
    with standin.session() as session:
        session.put(url, timeout=10)
        counts = standin.connections()
        assert (counts["accepted"], counts["api_connections"]) == (2, 1)
        assert counts["open"] >= 2  # the session's and this request's
        standin.reset()
        counts = standin.connections()
        assert counts.pop("open") >= 2  # a gauge: the session's connection is still open
        assert counts == {"accepted": 1, "api_connections": 0, "tls_handshakes": 0, "tls_handshake_failures": 0,
                          "idle_timeouts": 0, "closed_by_fault": 0}
        # The kept-alive connection, accepted before the reset, counts again once it carries an API request.
        session.put(url, timeout=10)
        counts = standin.connections()
        assert (counts["accepted"], counts["api_connections"]) == (2, 1)
    assert standin.inspect("DELETE", "connections").json() == {"ok": True}
    assert standin.connections()["accepted"] == 1


def test_open_counts_the_connections_open_now(standin):
    sessions = [standin.session() for dummy in range(3)]
    for session in sessions:
        session.put(standin.api_url("Lock", ROMA), timeout=10)
    assert standin.connections()["open"] >= 4
    for session in sessions:
        session.close()
    # Only the connection of the request that asks is left once the server has seen the others close.
    assert wait_for(lambda: standin.connections()["open"] == 1)


def test_latency_does_not_serialize_connections(tmp_path):
    with running_standin(tmp_path, "--latency", "0.5") as standin:
        start = threading.Barrier(4)
        statuses = []

        def client():
            with standin.session() as session:
                start.wait()
                statuses.extend(session.put(standin.api_url("Lock", ROMA), timeout=10).status_code for dummy in range(2))

        threads = [threading.Thread(target=client) for dummy in range(4)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        assert statuses == [200] * 8
        # Four connections, two requests each: 1 s when they run side by side, 4 s if the latency were serialised.
        assert 1.0 <= elapsed < 2.0
        assert standin.connections()["api_connections"] == 4


# ---- idle timeout --------------------------------------------------------------------------------------------------

@pytest.fixture(name="quick_timeout_standin", scope="module")
def quick_timeout_standin_fixture(tmp_path_factory):
    with running_standin(tmp_path_factory.mktemp("idle"), "--idle-timeout", "0.5") as standin:
        yield standin


def test_an_idle_kept_alive_connection_is_closed_after_the_timeout(quick_timeout_standin):
    standin = quick_timeout_standin
    standin.reset()
    with socket.create_connection(standin.address, timeout=10) as sock, sock.makefile("rb") as reader:
        sock.sendall(raw_request())
        assert read_reply(reader)[0] == 200
        started = time.monotonic()
        assert closed_within(sock, 5)
        assert 0.4 <= time.monotonic() - started < 3
    assert wait_for(lambda: standin.connections()["idle_timeouts"] == 1)
    assert "closed: nothing from the client for 0.5 s, waiting for a request" in standin.read_log_file()


def test_a_client_that_never_sends_or_stops_half_way_is_closed_too(quick_timeout_standin):
    standin = quick_timeout_standin
    standin.reset()
    with socket.create_connection(standin.address, timeout=10) as silent, \
            socket.create_connection(standin.address, timeout=10) as halfway:
        halfway.sendall(raw_request()[:-10])
        assert closed_within(silent, 5)
        assert closed_within(halfway, 5)
    assert wait_for(lambda: standin.connections()["idle_timeouts"] == 2)
    assert standin.log() == []


def test_a_session_reconnects_after_the_server_closed_an_idle_connection(quick_timeout_standin):
    standin = quick_timeout_standin
    standin.reset()
    with standin.session() as session:
        assert session.put(standin.api_url("Lock", ROMA), timeout=10).status_code == 200
        time.sleep(1)
        assert session.put(standin.api_url("Lock", ROMA), timeout=10).status_code == 200
    log = standin.log()
    assert log[0]["connection"] != log[1]["connection"]


# ---- TLS -----------------------------------------------------------------------------------------------------------

@pytest.fixture(name="tls_standin", scope="module")
def tls_standin_fixture(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("tls-keepalive")
    with running_standin(workdir, "--tls-dir", str(workdir / "tls"), "--idle-timeout", "1", scheme="https") as standin:
        standin.verify = str(workdir / "tls" / "ca.pem")
        yield standin


def test_tls_keeps_the_connection_and_counts_handshakes(tls_standin):
    tls_standin.reset()
    with tls_standin.session() as session:
        replies = [session.put(tls_standin.api_url("Lock", ROMA), timeout=10) for dummy in range(CALLS)]
    assert [reply.status_code for reply in replies] == [200] * CALLS
    counts = tls_standin.connections()
    # One handshake for the session's CALLS requests and one for this GET's connection.
    assert (counts["api_connections"], counts["accepted"], counts["tls_handshakes"]) == (1, 2, 2)
    assert len({entry["connection"] for entry in tls_standin.log()}) == 1


def test_tls_failed_handshakes_are_counted(tls_standin):
    tls_standin.reset()
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_standin.base_url + "/_standin/health", timeout=10)  # the system's CAs: untrusted
    with socket.create_connection(tls_standin.address, timeout=10) as silent:  # never starts a handshake
        assert closed_within(silent, 5)
    assert wait_for(lambda: tls_standin.connections()["tls_handshake_failures"] == 2)
    assert tls_standin.connections()["idle_timeouts"] == 1


def test_tls_idle_timeout_and_dropping_fault(tls_standin):
    tls_standin.reset()
    context = ssl.create_default_context(cafile=tls_standin.verify)
    with socket.create_connection(tls_standin.address, timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls, tls.makefile("rb") as reader:
        for dummy in range(3):
            tls.sendall(raw_request())
            assert read_reply(reader)[0] == 200
        assert closed_within(tls, 5)
    with tls_standin.session() as session:
        assert session.put(tls_standin.api_url("Lock", ROMA), timeout=10).status_code == 200
        tls_standin.fault(kind="reset")
        with pytest.raises(requests.exceptions.ConnectionError):
            session.put(tls_standin.api_url("Lock", ROMA), timeout=10)
        assert session.put(tls_standin.api_url("Lock", ROMA), timeout=10).status_code == 200
    connections = [entry["connection"] for entry in tls_standin.log()]
    assert connections[0] == connections[1] == connections[2] != connections[3] == connections[4] != connections[5]
    counts = tls_standin.connections()
    assert (counts["idle_timeouts"], counts["closed_by_fault"], counts["api_connections"]) == (1, 1, 3)
