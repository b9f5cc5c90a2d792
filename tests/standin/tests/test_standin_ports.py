"""server.py --ports N: N independent stand-ins in one process, as the fleet benchmark runs them."""

import json
import signal
import subprocess
import sys
import time

import requests

from standin_client import ADMIN, API, SERVER, utf8_auth

SMALL_DATA = {
    "accounts": [{"username": "a{n}", "password": "b", "permission": "admin"}],
    "users": [{"username": "u1", "name": "U One", "department": "IT", **{f"customField{n}": "" for n in range(1, 11)}, "locked": False}],
}


def _start(tmp_path, *extra):
    ports_file = tmp_path / "ports"
    process = subprocess.Popen([sys.executable, str(SERVER), "--ports", "2", "--ports-file", str(ports_file), *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for dummy in range(200):
        if ports_file.exists():
            return process, [int(line) for line in ports_file.read_text().split()]
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the stand-in did not start: %s" % process.stderr.read().decode())


def _stop(process, ports_file):
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0
    # As with --port-file: a stale ports file never looks like ready servers.
    assert not ports_file.exists()


def test_each_server_has_its_own_phones_log_and_files(tmp_path):
    for number in (1, 2):
        data = json.loads(json.dumps(SMALL_DATA).replace("{n}", str(number)))
        (tmp_path / f"data{number}.json").write_text(json.dumps(data), encoding="utf-8")
    process, ports = _start(tmp_path, "--data", str(tmp_path / "data{n}.json"), "--log-file", str(tmp_path / "log{n}"))
    try:
        assert len(ports) == 2 and ports[0] != ports[1]
        first, second = (f"http://127.0.0.1:{port}" for port in ports)
        # Each server knows only its own account, and a lock on one leaves the other's phones as they were.
        assert requests.put(f"{first}{API}Lock", auth=("a1", "b"), timeout=10).status_code == 200
        assert requests.put(f"{second}{API}Lock", auth=("a1", "b"), timeout=10).status_code == 401
        phones = [requests.get(f"{base}/_standin/phones", timeout=10).json()["phones"] for base in (first, second)]
        assert [[user["locked"] for user in listed] for listed in phones] == [[True], [False]]
        logs = [requests.get(f"{base}/_standin/requests", timeout=10).json()["requests"] for base in (first, second)]
        assert [[entry["status"] for entry in log] for log in logs] == [[200], [401]]
    finally:
        _stop(process, tmp_path / "ports")
    first_log, second_log = ((tmp_path / name).read_text() for name in ("log1", "log2"))
    assert "stand-in 1 of 2" in first_log and "stand-in 2 of 2" not in first_log
    assert 'a1 "PUT /fw/Apps/StoneLock/WebAPI/Phones/Lock HTTP/1.1" 200' in first_log
    assert '"PUT /fw/Apps/StoneLock/WebAPI/Phones/Lock HTTP/1.1" 401' in second_log and " 200\n" not in second_log.replace("inspection", "")


def test_the_bundled_data_serves_every_server(tmp_path):
    process, ports = _start(tmp_path)
    try:
        for port in ports:
            assert requests.put(f"http://127.0.0.1:{port}{API}Lock?department=IT", auth=utf8_auth(ADMIN), timeout=10).status_code == 200
    finally:
        _stop(process, tmp_path / "ports")


def test_bad_combinations_are_refused():
    for argv, message in ((["--ports-file", "x"], "--ports-file needs --ports N"),
                          (["--ports", "2", "--port", "8765"], "--ports picks N free ports and writes them to --ports-file")):
        done = subprocess.run([sys.executable, str(SERVER), *argv], capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode == 2
        assert message in done.stderr
