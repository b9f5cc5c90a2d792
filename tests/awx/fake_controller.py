# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A fake AWX 24.6.1 controller API: just what playbooks/awx_setup.yml calls through awx.awx 24.6.1, in memory.

    python tests/awx/fake_controller.py [--seconds 600]     # serve on 127.0.0.1, print the URL and the token

tests/awx/awx_setup_test.py imports it and reads FakeController.objects directly. What it implements, as AWX does
(awx.awx's module_utils/controller_api.py and lookup/controller_api.py are the clients):

- GET /api/ answers AWX 24.6.1's API root without a login, GET /api/controller/ a 404 (only a gateway has it).
- One user (FakeController.username / .password) and its OAuth2 tokens. Every other request needs "Authorization:
  Bearer TOKEN" with a live token, or Basic auth as that user (AWX's AUTH_BASIC_ENABLED default); 401 otherwise. The
  token given to the constructor (CONTROLLER_OAUTH_TOKEN, .token) is the first token. POST /api/v2/tokens/ creates a
  personal token of the user who asked (201, the only answer with its value: how awx.awx logs in with a username and
  password), GET lists them (value hidden, as AWX does), DELETE /api/v2/tokens/ID/ deletes one (204).
  FakeController.tokens() lists the live ones, so a test can count what a run left behind, and .issued holds every
  value handed out. The log records how each request logged in ("basic", "token ID") and the id of what a POST made.
  Every answer carries the
  X-API-Product-Name and X-API-Product-Version headers that awx.awx compares with its own version.
- GET /api/v2/ENDPOINT/ lists, paginated as AWX paginates: {count, next, previous, results}, next and previous
  relative URLs with ?page=N (page_size default 25, at most 200: max_page_size, which a test may lower); filters FIELD=VALUE, FIELD__startswith=VALUE and
  or__FIELD=VALUE (the or__ filters OR-ed together, AND-ed with the others, as awx.awx's get_one by name or id uses
  them). An unknown filter field is a 400, as in AWX.
- GET, PATCH and DELETE /api/v2/ENDPOINT/ID/; POST /api/v2/ENDPOINT/ creates (201). DELETE (schedules, job templates,
  credentials) answers 204; deleting a job template deletes its schedules (AWX's on_delete=CASCADE).
- credential_types: custom kinds cloud and net only; injectors stored exactly as given (AWX renders them per job).
- credentials: inputs checked against the type's fields (unknown, missing required, non-boolean boolean); secret
  inputs are stored apart (FakeController.secrets) and answered as $encrypted$, and $encrypted$ sent back in a PATCH
  keeps the stored secret, as AWX does.
- job_templates: the project and inventory must exist and the playbook must be one the project's last sync found
  ("Playbook not found for project."); execution_environment an id or null; answered with summary_fields.credentials
  (in lists too), as AWX's JobTemplateSerializer does. GET/POST .../credentials/ lists, associates and disassociates
  (204), and so do .../notification_templates_error/, _success/ and _started/ (FakeController.jt_notifications) and
  .../instance_groups/ (FakeController.jt_instance_groups), each listed in the order of association.
- instance_groups and execution_environments (an organization, or null for a global one): seeded with add(), read.
- notification_templates: email, slack and webhook (AWX 24's init_parameters of those backends: their fields, the
  defaults filled in for fields not given, required fields and their types checked); name unique per organization; a
  non-empty password field is stored apart (FakeController.notification_secrets) and
  answered as $encrypted$, and $encrypted$ sent back in a PATCH keeps the stored one, as AWX's serializer does.
  DELETE (204) detaches it from every job template.
- unified_job_templates: the projects and job templates (they share one id sequence, as AWX's do).
- schedules: the rrule needs DTSTART; extra_data needs a template that prompts for variables.

Status codes and answer shapes are AWX's; error messages follow AWX's where they are known, so a test should assert
on status codes and state rather than on their wording.

- FakeController.calls() and .paths() count the requests (since a log position) by method, and by method and path with
  the ids as N: what the tests and tests/awx/fleet_measure.py report.
- FakeController.forbidden: (method, endpoint) pairs answered 403, as for a user without that permission, so a test
  can make a run fail half-way.

Not modelled (nothing in awx_setup.yml calls them): jobs, launching, next_run and other computed fields, roles and
permissions, session (cookie) login, token expiry, applications, named URLs, ordering (lists are in id order), any other
endpoint. Anything it does not implement is answered 501 and recorded in FakeController.unsupported, so a test can
insist that awx.awx never needed it.
"""

import argparse
import base64
import binascii
import copy
import itertools
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

PRODUCT = "AWX"
VERSION = "24.6.1"
ENCRYPTED = "$encrypted$"
API = "/api/v2/"
PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
ENDPOINTS = ("organizations", "inventories", "projects", "credential_types", "credentials", "job_templates", "schedules",
             "notification_templates", "instance_groups", "execution_environments")
TYPES = {"organizations": "organization", "inventories": "inventory", "projects": "project",
         "credential_types": "credential_type", "credentials": "credential", "job_templates": "job_template",
         "schedules": "schedule", "notification_templates": "notification_template", "instance_groups": "instance_group",
         "execution_environments": "execution_environment"}
# The job template's notification lists, one per event.
NOTIFICATION_EVENTS = ("notification_templates_error", "notification_templates_success", "notification_templates_started")
# The configuration fields of the notification types the tests use, after the init_parameters of AWX 24's backends
# (awx/main/notifications/email_backend.py, slack_backend.py, webhook_backend.py): type, and the default AWX fills in
# when the field is not given (no default: required).
NOTIFICATION_FIELDS = {
    "email": {"host": ("string",), "port": ("int",), "username": ("string",), "password": ("password",),
              "use_tls": ("bool",), "use_ssl": ("bool",), "sender": ("string",), "recipients": ("list",),
              "timeout": ("int", 30)},
    "slack": {"token": ("password",), "channels": ("list",)},
    "webhook": {"url": ("string",), "http_method": ("string", "POST"), "disable_ssl_verification": ("bool", False),
                "username": ("string", ""), "password": ("password", ""), "headers": ("object",)},
}
FIELD_TYPES = {"string": (str,), "password": (str,), "int": (int,), "bool": (bool,), "list": (list,), "object": (dict,)}
# Fields a client may set, with AWX's defaults for those it leaves out.
WRITABLE = {
    "organizations": {"name": None, "description": ""},
    "inventories": {"name": None, "description": "", "organization": None},
    "projects": {"name": None, "description": "", "organization": None, "scm_type": "git", "scm_url": ""},
    "credential_types": {"name": None, "description": "", "kind": None, "inputs": {}, "injectors": {}},
    "credentials": {"name": None, "description": "", "organization": None, "credential_type": None, "inputs": {}},
    "job_templates": {"name": None, "description": "", "job_type": "run", "organization": None, "inventory": None, "limit": "",
                      "project": None, "playbook": "", "ask_variables_on_launch": False, "allow_simultaneous": False,
                      "extra_vars": "", "survey_enabled": False, "execution_environment": None},
    "schedules": {"name": None, "description": "", "unified_job_template": None, "rrule": None, "enabled": True,
                  "extra_data": {}},
    "notification_templates": {"name": None, "description": "", "organization": None, "notification_type": None,
                               "notification_configuration": {},
                               "messages": {"started": None, "success": None, "error": None, "workflow_approval": None}},
    # Only seeded by tests (add()): the playbook reads them and never changes them.
    "instance_groups": {"name": None, "is_container_group": False},
    "execution_environments": {"name": None, "description": "", "organization": None, "image": "", "pull": ""},
}
# GET /api/ as AWX 24.6.1 answers it (awx/api/views/root.py, ApiRootView, with the default empty branding settings),
# and /api/controller/, which only a platform gateway routes (AWX answers Django's 404).
AWX_API_ROOT = {"description": "AWX REST API", "current_version": "/api/v2/", "available_versions": {"v2": "/api/v2/"},
                "oauth2": "/api/o/", "custom_logo": "", "custom_login_info": "", "login_redirect_override": ""}
UNAUTHENTICATED = {"/api/": (200, AWX_API_ROOT), "/api/controller/": (404, {"detail": "Not found."})}
# Related objects: field -> endpoint.
FOREIGN = {"organization": "organizations", "inventory": "inventories", "project": "projects",
           "credential_type": "credential_types", "execution_environment": "execution_environments"}
# The job template's association lists (GET lists, POST {"id": N} associates, {"id": N, "disassociate": true}
# disassociates): endpoint of what they hold. Each keeps the order of association, as AWX's ordered instance groups do.
ASSOCIATIONS = dict({"credentials": "credentials", "instance_groups": "instance_groups"},
                    **{event: "notification_templates" for event in NOTIFICATION_EVENTS})


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(status, body)
        self.status = status
        self.body = body


class FakeController:
    """In-memory state and the request handling; serve() puts it on 127.0.0.1."""

    def __init__(self, token=None, page_size=PAGE_SIZE, username="admin", password=None, max_page_size=MAX_PAGE_SIZE):
        self.token = token or secrets.token_hex(16)
        self.username = username
        self.password = password or secrets.token_hex(12)
        self.page_size = page_size
        # AWX's MAX_PAGE_SIZE: a larger page_size asked for is cut to it (a test lowers it to see several pages).
        self.max_page_size = max_page_size
        self.lock = threading.Lock()
        # OAuth2 tokens: id -> the object, its value under "token" (AWX answers it only when it creates one).
        self._token_ids = itertools.count(1)
        self.token_objects = {}
        # Every token value ever handed out, deleted ones too: a test can look for them in the output.
        self.issued = []
        self._new_token("the token given to the fake controller", value=self.token)
        self.forbidden = set()
        self.objects = {endpoint: {} for endpoint in ENDPOINTS}
        # Secret credential inputs, never part of an answer.
        self.secrets = {}
        # job template id -> ordered credential ids; project id -> playbooks its last sync found.
        self.jt_credentials = {}
        # Notification template id -> its secret configuration fields, never part of an answer.
        self.notification_secrets = {}
        # job template id -> {"notification_templates_error": [ids], ...}, the ids in the order they were attached.
        self.jt_notifications = {}
        # job template id -> its instance group ids, in order (the first is tried first).
        self.jt_instance_groups = {}
        self.playbooks = {}
        self._ids = {endpoint: itertools.count(1) for endpoint in ENDPOINTS}
        # Projects and job templates are both unified job templates: one id sequence, as in AWX.
        self._ids["projects"] = self._ids["job_templates"] = itertools.count(1)
        self.log = []
        self.unsupported = []
        self.server = None

    # --- seeding and reading, for tests ------------------------------------------------------------------------------
    def add(self, endpoint, **fields):
        """Create an object directly (what already exists on the controller). Returns its id."""
        with self.lock:
            return self._create(endpoint, fields)["id"]

    def add_project(self, name, organization, playbooks):
        project_id = self.add("projects", name=name, organization=organization)
        self.playbooks[project_id] = list(playbooks)
        return project_id

    def snapshot(self):
        """Everything, as plain data: the objects, the stored secrets, the credential associations and the tokens."""
        with self.lock:
            return copy.deepcopy({"objects": self.objects, "secrets": self.secrets, "notification_secrets": self.notification_secrets,
                                  "jt_credentials": self.jt_credentials, "jt_notifications": self.jt_notifications,
                                  "jt_instance_groups": self.jt_instance_groups, "tokens": self.token_objects})

    def tokens(self):
        """The live tokens, in id order (values included)."""
        with self.lock:
            return [copy.deepcopy(self.token_objects[key]) for key in sorted(self.token_objects)]

    def named(self, endpoint):
        with self.lock:
            return {obj["name"]: copy.deepcopy(obj) for obj in self.objects[endpoint].values()}

    def calls(self, start=0):
        """The requests since log entry start, counted by method: {"GET": n, "POST": n, ...}."""
        with self.lock:
            counts = {}
            for entry in self.log[start:]:
                counts[entry["method"]] = counts.get(entry["method"], 0) + 1
            return counts

    def paths(self, start=0):
        """The requests since log entry start, counted by method and path with the ids as N: {"GET /api/v2/x/N/": n}."""
        with self.lock:
            counts = {}
            for entry in self.log[start:]:
                key = "%s %s" % (entry["method"], re.sub(r"/[0-9]+/", "/N/", entry["path"]))
                counts[key] = counts.get(key, 0) + 1
            return counts

    # --- the HTTP side -----------------------------------------------------------------------------------------------
    def serve(self):
        controller = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

            def _answer(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body = controller.handle(method, self.path, self.headers.get("Authorization", ""), raw)
                data = b"" if body is None else json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("X-API-Product-Name", PRODUCT)
                self.send_header("X-API-Product-Version", VERSION)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # pylint: disable=invalid-name
                self._answer("GET")

            def do_POST(self):  # pylint: disable=invalid-name
                self._answer("POST")

            def do_PATCH(self):  # pylint: disable=invalid-name
                self._answer("PATCH")

            def do_PUT(self):  # pylint: disable=invalid-name
                self._answer("PUT")

            def do_DELETE(self):  # pylint: disable=invalid-name
                self._answer("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="fake-controller", daemon=True).start()
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def handle(self, method, target, authorization, raw):
        """One request: (status, JSON body or None)."""
        url = urlsplit(target)
        query = parse_qsl(url.query, keep_blank_values=True)
        auth = None
        with self.lock:
            try:
                if method == "GET" and url.path in UNAUTHENTICATED:
                    # The API root needs no login (AWX's ApiRootView is AllowAny); any other unknown path is a 404.
                    status, answer = UNAUTHENTICATED[url.path]
                    self.log.append({"method": method, "path": url.path, "query": query, "status": status, "auth": None})
                    return status, answer
                auth = self._authenticate(authorization)
                body = json.loads(raw) if raw else {}
                if url.path.startswith(API + "tokens/"):
                    status, answer = self._tokens(method, url.path, query, body)
                else:
                    status, answer = self._route(method, url.path, query, body)
            except ApiError as error:
                status, answer = error.status, error.body
            except ValueError:
                status, answer = 400, {"detail": "JSON parse error - request body is not valid JSON"}
            entry = {"method": method, "path": url.path, "query": query, "status": status, "auth": auth}
            if status == 201:
                entry["id"] = answer["id"]
            self.log.append(entry)
            return status, answer

    def _authenticate(self, authorization):
        """How a request logged in, for the log: "basic", or "token N" (N the token's id). 401 when it did not."""
        kind, dummy, value = authorization.partition(" ")
        if kind == "Bearer":
            for obj in self.token_objects.values():
                if secrets.compare_digest(obj["token"], value):
                    return "token %d" % obj["id"]
            raise ApiError(401, {"detail": "Authentication credentials were not provided. To establish a login session, "
                                           "visit /api/login/."})
        if kind == "Basic":
            try:
                username, dummy, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                username = password = None
            if username == self.username and password == self.password:
                return "basic"
            raise ApiError(401, {"detail": "Invalid username/password."})
        raise ApiError(401, {"detail": "Authentication credentials were not provided. To establish a login session, "
                                       "visit /api/login/."})

    # --- tokens ------------------------------------------------------------------------------------------------------
    def _new_token(self, description, scope="write", value=None):
        token_id = next(self._token_ids)
        # A personal token (no application): no refresh token, and AWX's default expiry, 1000 years.
        obj = {"id": token_id, "type": "o_auth2_access_token", "url": "%stokens/%d/" % (API, token_id),
               "related": {"user": "%susers/1/" % API}, "user": 1, "token": value or secrets.token_urlsafe(24),
               "refresh_token": None, "application": None, "expires": "3025-01-01T00:00:00Z", "scope": scope,
               "description": description, "_endpoint": "tokens"}
        self.token_objects[token_id] = obj
        self.issued.append(obj["token"])
        return obj

    def _tokens(self, method, path, query, body):
        match = re.fullmatch(r"/api/v2/tokens/(?:([0-9]+)/)?", path)
        if not match:
            self._unsupported(method, path, "no such route")
        if (method, "tokens") in self.forbidden:
            raise ApiError(403, {"detail": "You do not have permission to perform this action."})
        hidden = "************"
        if match.group(1) is None:
            if method == "GET":
                return 200, self._list(path, [dict(obj, token=hidden) for obj in self.token_objects.values()], query)
            if method == "POST":
                if body.get("application") is not None or body.get("scope", "write") not in ("read", "write"):
                    self._unsupported(method, path, "tokens of an application, or a scope other than read or write")
                return 201, self._public("tokens", self._new_token(body.get("description", ""), body.get("scope", "write")))
            self._unsupported(method, path, "method on a list")
        obj = self.token_objects.get(int(match.group(1)))
        if obj is None:
            raise ApiError(404, {"detail": "Not found."})
        if method == "GET":
            return 200, self._public("tokens", dict(obj, token=hidden))
        if method == "DELETE":
            del self.token_objects[obj["id"]]
            return 204, None
        return self._unsupported(method, path, "method on a token")

    def _unsupported(self, method, path, why):
        self.unsupported.append("%s %s: %s" % (method, path, why))
        raise ApiError(501, {"detail": "not implemented by the fake controller: %s" % why})

    def _route(self, method, path, query, body):
        match = re.fullmatch(r"/api/v2/([a-z_]+)/(?:([0-9]+)/(?:([a-z_]+)/)?)?", path)
        if not match:
            self._unsupported(method, path, "no such route")
        endpoint, item_id, sub = match.group(1), match.group(2), match.group(3)
        if endpoint == "unified_job_templates" and not item_id and method == "GET":
            return 200, self._list(path, self._unified(), query)
        if endpoint not in ENDPOINTS:
            self._unsupported(method, path, "endpoint %s" % endpoint)
        if (method, endpoint) in self.forbidden:
            raise ApiError(403, {"detail": "You do not have permission to perform this action."})
        if item_id is None:
            if method == "GET":
                return 200, self._list(path, list(self.objects[endpoint].values()), query)
            if method == "POST":
                return 201, self._public(endpoint, self._create(endpoint, body))
            self._unsupported(method, path, "method on a list")
        obj = self.objects[endpoint].get(int(item_id))
        if obj is None:
            raise ApiError(404, {"detail": "Not found."})
        if sub is not None:
            if endpoint == "job_templates" and sub in ASSOCIATIONS and method in ("GET", "POST"):
                return self._jt_association(method, path, obj, sub, query, body)
            self._unsupported(method, path, "related endpoint %s" % sub)
        if method == "GET":
            return 200, self._public(endpoint, obj)
        if method == "PATCH" and endpoint not in ("instance_groups", "execution_environments"):
            return 200, self._public(endpoint, self._update(endpoint, obj, body))
        if method == "DELETE" and endpoint in ("schedules", "job_templates", "credentials", "notification_templates"):
            self._delete(endpoint, obj)
            return 204, None
        return self._unsupported(method, path, "method on an object")

    # --- lists -------------------------------------------------------------------------------------------------------
    def _list(self, path, objects, query, order="id"):
        page, page_size, filters = 1, self.page_size, []
        for key, value in query:
            if key == "page":
                page = int(value) if value.isdigit() else 0
            elif key == "page_size":
                page_size = min(int(value), self.max_page_size) if value.isdigit() and int(value) > 0 else self.page_size
            else:
                filters.append((key, value))
        chosen = [obj for obj in sorted(objects, key=lambda o: o[order]) if self._matches(obj, filters)]
        pages = max(1, -(-len(chosen) // page_size))
        if not 1 <= page <= pages:
            raise ApiError(404, {"detail": "Invalid page."})
        kept = [(key, value) for key, value in query if key != "page"]

        def link(number):
            return path + "?" + urlencode(kept + [("page", str(number))])

        endpoint = path.strip("/").split("/")[-1]
        return {"count": len(chosen),
                "next": link(page + 1) if page < pages else None,
                "previous": link(page - 1) if page > 1 else None,
                "results": [self._public(obj["_endpoint"] if obj.get("_endpoint") else endpoint, obj)
                            for obj in chosen[(page - 1) * page_size:page * page_size]]}

    @staticmethod
    def _matches(obj, filters):
        ored = []
        for key, value in filters:
            alternative = key.startswith("or__")
            field, dummy, lookup = key[4:].partition("__") if alternative else key.partition("__")
            if field not in obj or field.startswith("_") or lookup not in ("", "startswith"):
                raise ApiError(400, {"detail": "Invalid field name: %s" % key})
            actual = obj[field]
            actual = "" if actual is None else (str(actual).lower() if isinstance(actual, bool) else str(actual))
            hit = actual.startswith(value) if lookup == "startswith" else actual == value
            if alternative:
                ored.append(hit)
            elif not hit:
                return False
        return not ored or any(ored)

    def _unified(self):
        return list(self.objects["projects"].values()) + list(self.objects["job_templates"].values())

    # --- create, update, delete --------------------------------------------------------------------------------------
    def _create(self, endpoint, body):
        fields = {key: copy.deepcopy(default) for key, default in WRITABLE[endpoint].items()}
        fields.update({key: value for key, value in body.items() if key in fields})
        if not fields["name"]:
            raise ApiError(400, {"name": ["This field is required."]})
        self._validate(endpoint, fields, None)
        obj_id = next(self._ids[endpoint])
        obj = {"id": obj_id, "type": TYPES[endpoint], "url": "%s%s/%d/" % (API, endpoint, obj_id), "related": {},
               "_endpoint": endpoint}
        obj.update(fields)
        if endpoint == "credential_types":
            obj.update({"managed": False, "namespace": None})
        if endpoint == "credentials":
            obj["managed"] = False
            self._store_inputs(obj, fields["inputs"])
        if endpoint == "job_templates":
            self.jt_credentials[obj_id] = []
            self.jt_notifications[obj_id] = {event: [] for event in NOTIFICATION_EVENTS}
            self.jt_instance_groups[obj_id] = []
            obj["related"].update({name: obj["url"] + name + "/" for name in ASSOCIATIONS})
        if endpoint == "notification_templates":
            self._store_notification(obj, fields["notification_configuration"])
        self.objects[endpoint][obj_id] = obj
        return obj

    def _update(self, endpoint, obj, body):
        fields = {key: obj[key] for key in WRITABLE[endpoint]}
        fields.update({key: value for key, value in body.items() if key in fields})
        if endpoint == "credentials" and "inputs" in body:
            # $encrypted$ sent back means "keep the stored secret".
            fields["inputs"] = {key: (self.secrets[obj["id"]].get(key) if value == ENCRYPTED else value)
                                for key, value in body["inputs"].items()}
        if endpoint == "notification_templates":
            # What is stored, secrets included; $encrypted$ sent back in a PATCH keeps the stored secret.
            stored = self.notification_secrets.get(obj["id"], {})
            sent = body.get("notification_configuration", obj["notification_configuration"])
            if isinstance(sent, dict):
                fields["notification_configuration"] = {key: (stored.get(key, value) if value == ENCRYPTED else value)
                                                        for key, value in sent.items()}
        self._validate(endpoint, fields, obj["id"])
        obj.update(fields)
        if endpoint == "credentials":
            self._store_inputs(obj, fields["inputs"])
        if endpoint == "notification_templates":
            self._store_notification(obj, fields["notification_configuration"])
        return obj

    def _delete(self, endpoint, obj):
        del self.objects[endpoint][obj["id"]]
        if endpoint == "credentials":
            # AWX drops a deleted credential from the job templates that used it.
            self.secrets.pop(obj["id"], None)
            for linked in self.jt_credentials.values():
                if obj["id"] in linked:
                    linked.remove(obj["id"])
        if endpoint == "notification_templates":
            self.notification_secrets.pop(obj["id"], None)
            for events in self.jt_notifications.values():
                for linked in events.values():
                    if obj["id"] in linked:
                        linked.remove(obj["id"])
        if endpoint == "job_templates":
            self.jt_credentials.pop(obj["id"], None)
            self.jt_notifications.pop(obj["id"], None)
            self.jt_instance_groups.pop(obj["id"], None)
            for schedule in list(self.objects["schedules"].values()):
                if schedule["unified_job_template"] == obj["id"]:
                    del self.objects["schedules"][schedule["id"]]

    def _store_inputs(self, obj, inputs):
        kind = self.objects["credential_types"][obj["credential_type"]]
        secret = {field["id"] for field in kind["inputs"].get("fields", []) if field.get("secret")}
        self.secrets[obj["id"]] = {key: value for key, value in inputs.items() if key in secret}
        obj["inputs"] = {key: (ENCRYPTED if key in secret else value) for key, value in inputs.items()}

    def _store_notification(self, obj, configuration):
        fields = NOTIFICATION_FIELDS[obj["notification_type"]]
        secret = {key for key, spec in fields.items() if spec[0] == "password"}
        self.notification_secrets[obj["id"]] = {key: value for key, value in configuration.items()
                                                if key in secret and value}
        obj["notification_configuration"] = {key: (ENCRYPTED if key in secret and value else value)
                                             for key, value in configuration.items()}

    def _pk(self, endpoint, field, value, required=False):
        if value is None:
            if required:
                raise ApiError(400, {field: ["This field may not be null."]})
            return
        if not isinstance(value, int) or value not in self.objects[endpoint]:
            raise ApiError(400, {field: ['Invalid pk "%s" - object does not exist.' % value]})

    def _validate(self, endpoint, fields, own_id):
        for field, target in FOREIGN.items():
            if field in fields:
                self._pk(target, field, fields[field], required=(endpoint, field) in (
                    ("credentials", "credential_type"), ("inventories", "organization")))
        if endpoint == "credential_types":
            if fields["kind"] not in ("cloud", "net"):
                raise ApiError(400, {"kind": ["Must be 'cloud' or 'net', not %s" % fields["kind"]]})
            self._unique(endpoint, own_id, fields, ("name",), "Credential type with this Name already exists.")
        elif endpoint == "credentials":
            self._validate_inputs(fields)
        elif endpoint == "job_templates":
            self._validate_job_template(fields, own_id)
        elif endpoint == "schedules":
            self._validate_schedule(fields)
        elif endpoint == "notification_templates":
            self._validate_notification(fields, own_id)

    def _unique(self, endpoint, own_id, fields, keys, message):
        for other in self.objects[endpoint].values():
            if other["id"] != own_id and all(other[key] == fields[key] for key in keys):
                raise ApiError(400, {"__all__": [message]})

    def _validate_inputs(self, fields):
        kind = self.objects["credential_types"][fields["credential_type"]]
        declared = {field["id"]: field for field in kind["inputs"].get("fields", [])}
        errors = {}
        for key, value in fields["inputs"].items():
            if key not in declared:
                errors[key] = ["'%s' is not a valid input for %s" % (key, kind["name"])]
            elif declared[key].get("type") == "boolean" and not isinstance(value, bool):
                errors[key] = ["%r is not of type 'boolean'" % (value,)]
        for key in kind["inputs"].get("required", []):
            if fields["inputs"].get(key) in (None, ""):
                errors[key] = ["required for %s" % kind["name"]]
        if errors:
            raise ApiError(400, {"inputs": errors})

    def _validate_job_template(self, fields, own_id):
        if fields["project"] is None:
            raise ApiError(400, {"project": ["Job Templates must have a project assigned."]})
        if fields["inventory"] is None:
            raise ApiError(400, {"inventory": ["Job Template must provide 'inventory' or allow prompting for it."]})
        if fields["playbook"] not in self.playbooks.get(fields["project"], []):
            raise ApiError(400, {"playbook": ["Playbook not found for project."]})
        self._unique("job_templates", own_id, fields, ("name", "organization"),
                     "Job template with this Name and Organization already exists.")

    def _validate_notification(self, fields, own_id):
        self._pk("organizations", "organization", fields["organization"], required=True)
        kind = fields["notification_type"]
        if kind not in NOTIFICATION_FIELDS:
            raise ApiError(400, {"notification_type": ['"%s" is not a valid choice.' % kind]})
        configuration = fields["notification_configuration"]
        if not isinstance(configuration, dict):
            raise ApiError(400, {"notification_configuration": ["Must be a valid JSON dictionary."]})
        configuration = dict(configuration)
        missing, errors = [], []
        for field, spec in NOTIFICATION_FIELDS[kind].items():
            if field not in configuration:
                if len(spec) == 1:
                    missing.append(field)
                    continue
                configuration[field] = copy.deepcopy(spec[1])
            value = configuration[field]
            if type(value) not in FIELD_TYPES[spec[0]]:  # pylint: disable=unidiomatic-typecheck
                errors.append("Configuration field '%s' incorrect type, expected %s." % (field, spec[0]))
            elif spec[0] == "list" and not value:
                errors.append("No values specified for field '%s'" % field)
        if missing:
            errors.insert(0, "Missing required fields for Notification Configuration: %s." % missing)
        if errors:
            raise ApiError(400, {"non_field_errors": errors})
        fields["notification_configuration"] = configuration
        self._unique("notification_templates", own_id, fields, ("organization", "name"),
                     "Notification template with this Organization and Name already exists.")

    def _validate_schedule(self, fields):
        template = next((obj for obj in self._unified() if obj["id"] == fields["unified_job_template"]), None)
        if template is None:
            raise ApiError(400, {"unified_job_template": ['Invalid pk "%s" - object does not exist.'
                                                          % fields["unified_job_template"]]})
        rrule = fields["rrule"]
        if not isinstance(rrule, str) or not rrule.startswith("DTSTART") or "RRULE:" not in rrule:
            raise ApiError(400, {"rrule": ["DTSTART required in rrule. Value should start with: DTSTART:YYYYMMDDTHHMMSSZ"]})
        if not isinstance(fields["extra_data"], dict):
            raise ApiError(400, {"extra_data": ["Must be a valid JSON or YAML dictionary."]})
        if fields["extra_data"] and not (template.get("ask_variables_on_launch") or template.get("survey_enabled")):
            raise ApiError(400, {"extra_data": ["Variables %s provided, but this template cannot accept variables."
                                                % ", ".join(sorted(fields["extra_data"]))]})

    def _linked(self, template_id, name):
        """The id list of one association of a job template (the list itself, to change in place)."""
        if name == "credentials":
            return self.jt_credentials[template_id]
        if name == "instance_groups":
            return self.jt_instance_groups[template_id]
        return self.jt_notifications[template_id][name]

    def _jt_association(self, method, path, template, name, query, body):
        linked = self._linked(template["id"], name)
        target = ASSOCIATIONS[name]
        if method == "GET":
            # In association order, not id order: AWX lists ordered instance groups by their position.
            objects = [dict(self.objects[target][oid], _order=index) for index, oid in enumerate(linked)]
            return 200, self._list(path, objects, query, order="_order")
        linked_id = body.get("id")
        self._pk(target, "id", linked_id, required=True)
        if body.get("disassociate"):
            if linked_id in linked:
                linked.remove(linked_id)
        elif linked_id not in linked:
            linked.append(linked_id)
        return 204, None

    def _public(self, endpoint, obj):
        answer = {key: copy.deepcopy(value) for key, value in obj.items() if not key.startswith("_")}
        answer["type"] = TYPES[endpoint] if endpoint in TYPES else obj["type"]
        if endpoint == "job_templates":
            # As AWX's JobTemplateSerializer summarizes them, in lists too.
            answer["summary_fields"] = {"credentials": [
                {"id": cid, "name": self.objects["credentials"][cid]["name"],
                 "description": self.objects["credentials"][cid]["description"], "kind": "cloud", "cloud": True}
                for cid in self.jt_credentials[obj["id"]]]}
        return answer


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=600, help="stop after this long (default 600)")
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE)
    args = parser.parse_args()
    controller = FakeController(page_size=args.page_size)
    organization = controller.add("organizations", name="Default")
    controller.add("inventories", name="Phone Lock", organization=organization)
    controller.add_project("Phone Lock", organization,
                           ["playbooks/nightly_lock.yml", "playbooks/morning_unlock.yml", "playbooks/reconcile.yml"])
    url = controller.serve()
    print("CONTROLLER_HOST=%s CONTROLLER_OAUTH_TOKEN=%s (stops after %g s)" % (url, controller.token, args.seconds),
          flush=True)
    print("or CONTROLLER_USERNAME=%s CONTROLLER_PASSWORD=%s" % (controller.username, controller.password), flush=True)
    stopped = threading.Event()
    try:
        stopped.wait(args.seconds)
    except KeyboardInterrupt:
        pass
    controller.stop()


if __name__ == "__main__":
    main()
