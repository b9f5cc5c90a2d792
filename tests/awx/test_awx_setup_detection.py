# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""playbooks/awx_setup.yml finds out what CONTROLLER_HOST is before it changes anything, and says what to set.

    ANSIBLE_COLLECTIONS_PATH=<built collection>:<awx.awx 24.6.1> python -m pytest tests/awx/test_awx_setup_detection.py

Each case runs the playbook with phonelock_awx_detect_only=true against a small server on 127.0.0.1 that answers only
GET /api/ and GET /api/controller/ and records every request (so a case also proves that nothing else was asked):
- AWX 24.6.1: /api/ is ApiRootView's body (ansible/awx 24.6.1, awx/api/views/root.py, default branding settings),
  /api/controller/ is Django's 404.
- An AAP 2.5/2.6 gateway: /api/controller/ is the controller's ApiRootView reached under the gateway's /api/controller/
  route (current_version /api/controller/v2/). The gateway's own /api/ body was NOT found in public sources: the one
  here, {"apis": {...}}, is an assumption, and one case gives the gateway an /api/ body that says nothing, so the
  detection rests on /api/controller/ alone. No live AAP was reachable: these bodies are not checked against one.
ansible.controller is not obtainable here (Automation Hub): a stand-in collection whose controller_meta answers as
ansible.controller 4.6 does proves that the collections order picks it first and that its /api/controller/ default is
judged as such.
"""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "awx_setup.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"

AWX_ROOT = {"description": "AWX REST API", "current_version": "/api/v2/", "available_versions": {"v2": "/api/v2/"},
            "oauth2": "/api/o/", "custom_logo": "", "custom_login_info": "", "login_redirect_override": ""}
GATEWAY_CONTROLLER_ROOT = {"description": "AWX REST API", "current_version": "/api/controller/v2/",
                           "available_versions": {"v2": "/api/controller/v2/"}, "oauth2": "/api/controller/o/",
                           "custom_logo": "", "custom_login_info": "", "login_redirect_override": ""}
GATEWAY_ROOT = {"apis": {"gateway": "/api/gateway/", "controller": "/api/controller/", "eda": "/api/eda/",
                         "galaxy": "/api/galaxy/"}}
NOT_FOUND = (404, {"detail": "Not found."})
ANSWERS = {
    "awx": {"/api/": (200, AWX_ROOT), "/api/controller/": NOT_FOUND},
    "gateway": {"/api/": (200, GATEWAY_ROOT), "/api/controller/": (200, GATEWAY_CONTROLLER_ROOT)},
    "gateway-quiet-root": {"/api/": (200, {}), "/api/controller/": (200, GATEWAY_CONTROLLER_ROOT)},
    "nothing": {},
}
STANDIN_META = '''#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.exit_json(changed=False, prefix="ansible.controller", name="controller", namespace="ansible", version="4.6.0")


if __name__ == "__main__":
    main()
'''


@pytest.fixture(name="server")
def fixture_server():
    """The API roots on 127.0.0.1; server["kind"] picks the answers; server["log"] records (method, path)."""
    state = {"kind": "awx", "log": []}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # pylint: disable=arguments-differ
            pass

        def _answer(self):
            state["log"].append((self.command, self.path))
            status, body = ANSWERS[state["kind"]].get(self.path, NOT_FOUND) if self.command == "GET" else NOT_FOUND
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _answer  # noqa: N815

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.timeout = 5
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    state["url"] = "http://127.0.0.1:%d" % httpd.server_address[1]
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(name="standin_controller", scope="module")
def fixture_standin_controller(tmp_path_factory):
    path = tmp_path_factory.mktemp("ansible-controller")
    modules = path / "ansible_collections" / "ansible" / "controller" / "plugins" / "modules"
    modules.mkdir(parents=True)
    (modules / "controller_meta.py").write_text(STANDIN_META, encoding="utf-8")
    return path


def detect(server, tmp_path, kind, environment, collections_first=None):
    """Run awx_setup.yml with phonelock_awx_detect_only=true: (rc, output)."""
    server["kind"] = kind
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CONTROLLER_", "TOWER_"))}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", HOME=str(tmp_path), ANSIBLE_HOME=str(tmp_path / "home"),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    if collections_first is not None:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_first) + os.pathsep + env.get("ANSIBLE_COLLECTIONS_PATH", "")
    env.update({key: value.replace("URL", server["url"]) for key, value in environment.items()})
    done = subprocess.run([str(ANSIBLE_PLAYBOOK), str(PLAYBOOK), "-e", "phonelock_awx_detect_only=true"], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    return done.returncode, " ".join((done.stdout + done.stderr).split())


def only_roots_read(server):
    return set(server["log"]) <= {("GET", "/api/"), ("GET", "/api/controller/")}


TOKEN = {"CONTROLLER_HOST": "URL", "CONTROLLER_OAUTH_TOKEN": "t0ken"}
BASIC = {"CONTROLLER_HOST": "URL", "CONTROLLER_USERNAME": "admin", "CONTROLLER_PASSWORD": "secret"}
PREFIX = {"CONTROLLER_OPTIONAL_API_URLPATTERN_PREFIX": "/api/controller/"}


def test_awx_with_awx_awx_passes(server, tmp_path):
    rc, output = detect(server, tmp_path, "awx", TOKEN)
    assert rc == 0, output
    assert ("CONTROLLER_HOST=%s is AWX / automation controller: awx.awx 24.6.1 calls %s/api/v2/ and logs in with "
            "CONTROLLER_OAUTH_TOKEN." % (server["url"], server["url"])) in output
    assert server["log"] == [("GET", "/api/"), ("GET", "/api/controller/")]


@pytest.mark.parametrize("kind", ["gateway", "gateway-quiet-root"])
def test_gateway_with_awx_awx_and_no_prefix_says_what_to_set(server, tmp_path, kind):
    rc, output = detect(server, tmp_path, kind, TOKEN)
    assert rc != 0
    assert ("CONTROLLER_HOST=%s is an Ansible Automation Platform gateway, whose controller API is at /api/controller/v2/, "
            "but awx.awx 24.6.1 would call /api/v2/. Set CONTROLLER_OPTIONAL_API_URLPATTERN_PREFIX=/api/controller/ "
            "(both slashes) and CONTROLLER_OAUTH_TOKEN to a gateway token, or run with ansible.controller from the "
            "platform (its execution environments carry it)." % server["url"]) in output
    assert only_roots_read(server)


def test_gateway_prefix_without_final_slash_is_named(server, tmp_path):
    rc, output = detect(server, tmp_path, "gateway", dict(TOKEN, CONTROLLER_OPTIONAL_API_URLPATTERN_PREFIX="/api/controller"))
    assert rc != 0
    assert ("but awx.awx 24.6.1 would call /api/controllerv2/ (CONTROLLER_OPTIONAL_API_URLPATTERN_PREFIX=/api/controller). "
            "Set CONTROLLER_OPTIONAL_API_URLPATTERN_PREFIX=/api/controller/ (both slashes)") in output
    assert only_roots_read(server)


def test_gateway_with_awx_awx_and_a_password_says_use_a_token(server, tmp_path):
    rc, output = detect(server, tmp_path, "gateway", dict(BASIC, **PREFIX))
    assert rc != 0
    assert ("CONTROLLER_HOST=%s is an Ansible Automation Platform gateway, and awx.awx 24.6.1 logs in with "
            "CONTROLLER_USERNAME and CONTROLLER_PASSWORD by asking the controller for an OAuth token "
            "(POST /api/controller/v2/tokens/), which a gateway does not hand out. Set CONTROLLER_OAUTH_TOKEN to a gateway "
            "token, or run with ansible.controller from the platform, which logs in through the gateway with basic auth."
            % server["url"]) in output
    assert only_roots_read(server)


def test_gateway_with_awx_awx_prefix_and_token_passes(server, tmp_path):
    rc, output = detect(server, tmp_path, "gateway", dict(TOKEN, **PREFIX))
    assert rc == 0, output
    assert ("is an Ansible Automation Platform gateway: awx.awx 24.6.1 calls %s/api/controller/v2/ and logs in with "
            "CONTROLLER_OAUTH_TOKEN." % server["url"]) in output


def test_awx_with_the_gateway_prefix_says_what_to_set(server, tmp_path):
    rc, output = detect(server, tmp_path, "awx", dict(TOKEN, **PREFIX))
    assert rc != 0
    assert ("CONTROLLER_HOST=%s is an AWX / automation controller API at /api/v2/, but awx.awx 24.6.1 would call "
            "/api/controller/v2/ (CONTROLLER_OPTIONAL_API_URLPATTERN_PREFIX=/api/controller/). Set "
            "CONTROLLER_OPTIONAL_API_URLPATTERN_PREFIX=/api/ (or, with awx.awx, leave it unset)." % server["url"]) in output


def test_ansible_controller_comes_first_and_its_default_fails_on_awx(server, tmp_path, standin_controller):
    rc, output = detect(server, tmp_path, "awx", TOKEN, collections_first=standin_controller)
    assert rc != 0
    assert ("is an AWX / automation controller API at /api/v2/, but ansible.controller 4.6.0 would call /api/controller/v2/. "
            "Set CONTROLLER_OPTIONAL_API_URLPATTERN_PREFIX=/api/") in output


def test_ansible_controller_through_a_gateway_with_basic_auth_passes(server, tmp_path, standin_controller):
    rc, output = detect(server, tmp_path, "gateway", BASIC, collections_first=standin_controller)
    assert rc == 0, output
    assert ("is an Ansible Automation Platform gateway: ansible.controller 4.6.0 calls %s/api/controller/v2/ and logs in "
            "with CONTROLLER_USERNAME and CONTROLLER_PASSWORD." % server["url"]) in output


def test_no_controller_host(server, tmp_path):
    rc, output = detect(server, tmp_path, "awx", {})
    assert rc != 0
    assert ("CONTROLLER_HOST is not set: set it to the address of AWX (https://awx.example.com) or, on Ansible Automation "
            "Platform 2.5/2.6, of the platform gateway (https://aap.example.com)") in output
    assert server["log"] == []


def test_something_else_at_controller_host(server, tmp_path):
    rc, output = detect(server, tmp_path, "nothing", TOKEN)
    assert rc != 0
    assert ("CONTROLLER_HOST=%s: GET %s/api/ answered 404 and GET %s/api/controller/ answered 404: neither is the API root of "
            "AWX / automation controller (/api/v2/) or of an Ansible Automation Platform gateway (/api/controller/v2/)."
            % (server["url"], server["url"], server["url"])) in output


def test_no_login(server, tmp_path):
    rc, output = detect(server, tmp_path, "awx", {"CONTROLLER_HOST": "URL"})
    assert rc != 0
    assert ("CONTROLLER_HOST=%s: no login is set. Set CONTROLLER_OAUTH_TOKEN, or CONTROLLER_USERNAME and CONTROLLER_PASSWORD."
            % server["url"]) in output
