# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the reliability suites share: the stand-in server, the secrets to look for, and running Ansible as users do.

Every suite is a script that writes its figures to .build/reliability/<suite>.json and exits non-zero when a
check fails; tests/reliability/run.py runs them and prints the figures table.
"""

import base64
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / ".build" / "reliability"
STANDIN_DIR = ROOT / "tests" / "standin"
sys.path.insert(0, str(STANDIN_DIR))
import launch  # noqa: E402  pylint: disable=wrong-import-position

API_PATH = "/fw/Apps/StoneLock/WebAPI/Phones/"
USERNAME = "api-admin"
# The stand-in's admin password: a colon (only the username may not hold one) and characters outside Latin-1.
PASSWORD = "Adm1n:Pässwörd€2020"


# A fragment this long of the password (of the Basic credential) is a leak too: a message cut at the wrong place, or a
# server that echoes part of a header, gives away enough to guess the rest.
PASSWORD_FRAGMENT = 8
TOKEN_FRAGMENT = 12


def basic_credential():
    return base64.b64encode(f"{USERNAME}:{PASSWORD}".encode("utf-8")).decode("ascii")


def secret_forms():
    """Every spelling in which the credentials could leak into output: a search for the plain text alone would miss
    the JSON-escaped password that Ansible's callbacks print, or the header value a debug log would show."""
    return {
        "password": PASSWORD,
        "password, JSON-escaped": json.dumps(PASSWORD)[1:-1],
        "password, Python-escaped": PASSWORD.encode("unicode_escape").decode("ascii"),
        "password, URL-encoded": quote(PASSWORD, safe=""),
        "password, base64": base64.b64encode(PASSWORD.encode("utf-8")).decode("ascii"),
        # What http.client makes of UTF-8 in a status line or header (it reads them as Latin-1).
        "password, UTF-8 read as Latin-1": PASSWORD.encode("utf-8").decode("latin-1"),
        "Basic credential (base64 of user:password)": basic_credential(),
    }


def fragment_forms():
    """{name: fragment} of every PASSWORD_FRAGMENT-character piece of the password and TOKEN_FRAGMENT piece of the
    Basic credential, so a partial leak is found as surely as a whole one."""
    pieces = {}
    for name, secret, size in (("password", PASSWORD, PASSWORD_FRAGMENT), ("Basic credential", basic_credential(), TOKEN_FRAGMENT)):
        for start in range(len(secret) - size + 1):
            pieces[f"{name} fragment [{start}:{start + size}]"] = secret[start:start + size]
    return pieces


def find_secrets(texts, secrets=None):
    """{(source name, form): occurrences} over {source name: text}; empty when nothing leaked.

    By default it looks for every spelling of the credentials and every fragment of them; ``secrets`` ({name: text})
    looks for those instead.
    """
    forms = secrets if secrets is not None else dict(secret_forms(), **fragment_forms())
    found = {}
    for source, text in texts.items():
        for form, secret in forms.items():
            hits = text.count(secret)
            if hits:
                found[(source, form)] = hits
    return found


def redact(text, *more):
    """text with every spelling of the credentials (and the more secrets given) blanked out, to print or keep a run's
    output for a look."""
    for secret in (*secret_forms().values(), *more):
        text = text.replace(secret, "<redacted>")
    return text


# The status and metrics files of a role run (office_hours_status_path, office_hours_metrics_path): monitoring users read
# them, so the suites that run the role end to end scan them like the run's output.
def monitoring_paths(folder, name):
    """(status path, metrics path) for one run (or one series of runs sharing the files) in folder."""
    return Path(folder) / f"{name}.status.json", Path(folder) / f"{name}.prom"


def monitoring_files(status, metrics, label=""):
    """{source name: text} of the status and metrics files (bytes decoded leniently); a file that is missing is left out,
    and named in the second item, the problems."""
    texts, problems = {}, []
    for kind, path in (("status file", status), ("metrics file", metrics)):
        if Path(path).is_file():
            texts[f"{label}{kind} {Path(path).name}"] = Path(path).read_bytes().decode("utf-8", "replace")
        else:
            problems.append(f"{label}the role wrote no {kind} ({path})")
    return texts, problems


def metrics_parser():
    """prometheus_client's text-format parser, or None when the package is not installed in this Python."""
    try:
        from prometheus_client.parser import text_string_to_metric_families  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return text_string_to_metric_families


def metrics_problems(text, source, prefix="imagicle_phonelock_"):
    """(problems, families parsed) of a metrics file read with prometheus_client's parser: it must parse, hold samples,
    and name every metric under the prefix. Call only when metrics_parser() is not None."""
    try:
        families = list(metrics_parser()(text))
    except Exception as exc:  # pylint: disable=broad-exception-caught
        return [f"{source}: prometheus_client cannot parse it: {type(exc).__name__}: {exc}"], 0
    problems = [f"{source}: metric {family.name} is not under {prefix}" for family in families if not family.name.startswith(prefix)]
    if not any(family.samples for family in families):
        problems.append(f"{source}: no samples")
    return problems, len(families)


def monitoring_scan_self_check(folder):
    """Problems if the scan would miss a leak through these files. Fake status files (the password in a site's reason,
    in UTF-8 and with non-ASCII escaped, the two ways a JSON writer may spell it) and a fake metrics file (the password in
    a label value), read the way the suites read the real ones, must each be flagged by find_secrets; the same files
    without it must not."""
    problems = []
    for leaked in (True, False):
        secret = PASSWORD if leaked else "<masked>"
        document = {"format": 1, "sites": [{"name": "milano", "reason": f"login {USERNAME}:{secret} refused"}]}
        for ascii_only in (False, True):
            status, metrics = monitoring_paths(folder, f"self-check-{'leak' if leaked else 'clean'}-{'ascii' if ascii_only else 'utf8'}")
            status.write_text(json.dumps(document, indent=2, ensure_ascii=ascii_only) + "\n", encoding="utf-8")
            metrics.write_text(f'imagicle_phonelock_last_run_success{{server="ucx",site="{secret}"}} 0\n', encoding="utf-8")
            texts, missing = monitoring_files(status, metrics)
            problems += missing
            if len(texts) != 2:
                problems.append(f"self-check: read {sorted(texts)} of the fake {status.name} and {metrics.name}")
            for source, text in texts.items():
                flagged = bool(find_secrets({source: text}))
                if flagged != leaked:
                    problems.append(f"self-check: a fake {source} {'with' if leaked else 'without'} the password was "
                                    f"{'flagged' if flagged else 'not flagged'}")
    return problems


def read_tree(folder):
    """{relative path: text} of every file under folder (bytes decoded leniently, so nothing is skipped)."""
    return {str(path.relative_to(folder)): path.read_bytes().decode("utf-8", "replace")
            for path in sorted(Path(folder).rglob("*")) if path.is_file()}


class StandIn:
    """The stand-in server as a context manager, with its inspection API (tests/standin/README.md)."""

    def __init__(self, workdir, *options, host="127.0.0.1"):
        self.workdir = Path(workdir)
        self.options = ["--host", host, *options]
        self.host = host
        self.tls = "--tls-dir" in options
        self.process = None
        self.port = None

    def __enter__(self):
        self.process, self.port = launch.start(self.workdir, *self.options)
        return self

    def __exit__(self, *exc):
        launch.stop(self.process)

    @property
    def url(self):
        """The base URL users configure (scheme, host, port; the module appends the API path)."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def ca_path(self):
        return str(self.workdir / "ca.pem") if self.tls else None

    def inspect(self, method, name, payload=None):
        reply = requests.request(method, f"{self.url}/_standin/{name}", json=payload, timeout=30,
                                 verify=self.ca_path if self.tls else True)
        reply.raise_for_status()
        return reply.json()

    def reset(self):
        self.inspect("POST", "reset")

    def log(self):
        return self.inspect("GET", "requests")["requests"]

    def phones(self):
        return self.inspect("GET", "phones")["phones"]

    def fault(self, **spec):
        return self.inspect("POST", "faults", spec)


def ansible_env(**extra):
    """The environment for ansible-playbook: the built collection (make install) and Ansible's state inside the
    project, as the Makefile sets them, so a suite also works when run by hand."""
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".build" / "collections"))
    env.setdefault("ANSIBLE_HOME", str(ROOT / ".cache" / "ansible-home"))
    env.setdefault("ANSIBLE_LOCAL_TEMP", str(ROOT / ".cache" / "ansible-tmp"))
    env.setdefault("ANSIBLE_REMOTE_TEMP", str(ROOT / ".cache" / "ansible-tmp"))
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def credentials_env(standin):
    """The credential as an AWX credential type injects it: environment variables the module falls back on."""
    env = {"IMAGICLE_URL": standin.url, "IMAGICLE_USERNAME": USERNAME, "IMAGICLE_PASSWORD": PASSWORD}
    if standin.tls:
        env["IMAGICLE_VALIDATE_CERTS"] = "true"
    return env


# localhost runs the modules with this interpreter: interpreter discovery would find a pyenv shim that fails.
INVENTORY = f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"


def run_playbook(playbook, *args, env=None, timeout=900):
    """ansible-playbook on localhost; returns the CompletedProcess with text stdout and stderr."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    inventory = OUTPUT / "inventory"
    # Concurrent runs (the load test) share this file: replace it atomically, and only when it differs.
    if not inventory.exists() or inventory.read_text(encoding="utf-8") != INVENTORY:
        partial = OUTPUT / f"inventory.{os.getpid()}.{threading.get_ident()}"
        partial.write_text(INVENTORY, encoding="utf-8")
        partial.replace(inventory)
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(playbook), *args]
    return subprocess.run(command, env=ansible_env(**(env or {})), capture_output=True, text=True,
                          errors="replace", timeout=timeout, check=False)


def run_with_runner(playbook, workdir, extravars=None, envvars=None, timeout=900):
    """Run a playbook as AWX runs a job: ansible-runner with a private data dir (env/envvars holding the credential's
    injected variables, env/extravars, inventory/, project/). Returns (rc, {artifact path: text}).

    --omit-env-files as AWX does (its AWX_RUNNER_OMIT_ENV_FILES setting, on by default): without it the runner
    copies the whole job environment, injected password included, into artifacts/<ident>/command.
    """
    private = Path(workdir)
    for folder in ("env", "inventory", "project"):
        (private / folder).mkdir(parents=True, exist_ok=True)
    (private / "project" / Path(playbook).name).write_text(Path(playbook).read_text(encoding="utf-8"), encoding="utf-8")
    (private / "inventory" / "hosts").write_text(INVENTORY, encoding="utf-8")
    env = {key: value for key, value in ansible_env().items() if key.startswith("ANSIBLE_")}
    env.update(envvars or {})
    (private / "env" / "envvars").write_text(yaml.safe_dump(env, allow_unicode=True), encoding="utf-8")
    (private / "env" / "extravars").write_text(yaml.safe_dump(extravars or {}, allow_unicode=True), encoding="utf-8")
    command = [str(Path(sys.executable).parent / "ansible-runner"), "run", str(private), "-p", Path(playbook).name,
               "--ident", "job", "--omit-env-files"]
    done = subprocess.run(command, env=ansible_env(), capture_output=True, text=True, errors="replace",
                          timeout=timeout, check=False)
    texts = read_tree(private / "artifacts")
    # artifacts/<ident>/command is the runner's record of the job's inputs: the command line and the environment it
    # was given, so the injected password is in it exactly as in env/envvars. AWX deletes the private data dir after
    # the job and never shows this file; job output is stdout and the job events. Check that it stays private (0600)
    # and leave it out of the scan, like env/envvars.
    command = private / "artifacts" / "job" / "command"
    if command.exists():
        mode = command.stat().st_mode & 0o777
        if mode != 0o600:
            raise AssertionError(f"{command} holds the job environment but has mode {mode:o}, not 600")
        texts.pop("job/command", None)
    texts["runner stdout"] = done.stdout
    texts["runner stderr"] = done.stderr
    return done.returncode, texts


# How every playbook of the suites is run for the secrets check (its tasks carry no_log: false themselves).
# --diff in the first mode: every diff (one per selection, with the server's text when a request failed) is scanned too.
MODES = ("-vvvv --diff", "ANSIBLE_DEBUG=1", "ansible-runner")


def run_modes(playbook, workdir, extravars, envvars, timeout=900):
    """Run playbook once per mode in MODES with the same extra vars and credential environment.

    Each run also gets the extra var ``reliability_results``, its own file for the playbook to write what it registered
    to, as JSON. Returns [{"mode", "rc", "texts": {source: text}, "registered": parsed file or None}]: texts are stdout
    and stderr, or the runner's artifacts. Extra vars go in a JSON file (-e @file) for ansible-playbook and in
    env/extravars for the runner, as AWX passes them.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    runs = []
    for index, mode in enumerate(MODES):
        results = workdir / f"registered-{index}.json"
        results.unlink(missing_ok=True)
        mode_vars = dict(extravars, reliability_results=str(results))
        if mode == "ansible-runner":
            rc, texts = run_with_runner(playbook, workdir / "runner", mode_vars, envvars, timeout=timeout)
        else:
            extra_file = workdir / f"extravars-{index}.json"
            extra_file.write_text(json.dumps(mode_vars, ensure_ascii=False), encoding="utf-8")
            env = dict(envvars, **({"ANSIBLE_DEBUG": "1"} if mode == "ANSIBLE_DEBUG=1" else {}))
            flags = mode.split() if mode.startswith("-") else ["-vvvv"]
            done = run_playbook(playbook, *flags, "-e", f"@{extra_file}", env=env, timeout=timeout)
            rc, texts = done.returncode, {"stdout": done.stdout, "stderr": done.stderr}
        registered = json.loads(results.read_text(encoding="utf-8")) if results.exists() else None
        runs.append({"mode": mode, "rc": rc, "texts": texts, "registered": registered})
    return runs


def case_records(runs, table, sources, problems, case_problems):
    """Yield (mode, case, record) for every case of table that every run of run_modes recorded (by its "name").

    On the way it adds each run's texts and registered results to sources (for the secrets scan), a run that failed or
    wrote nothing to problems, and a case a run did not record to case_problems[name].
    """
    for run in runs:
        mode = run["mode"]
        sources.update({f"{mode}: {source}": text for source, text in run["texts"].items()})
        if run["rc"] != 0:
            problems.append(f"{mode}: the playbook exited {run['rc']}")
        if run["registered"] is None:
            problems.append(f"{mode}: the playbook wrote no results: it did not finish")
            continue
        sources[f"{mode}: registered results"] = json.dumps(run["registered"], ensure_ascii=False)
        records = {record["name"]: record for record in run["registered"]}
        for case in table:
            if case["name"] in records:
                yield mode, case, records[case["name"]]
            else:
                case_problems[case["name"]].append(f"{mode}: no record")


def write_figures(suite, figures):
    """Store a suite's figures for run.py; also print them, so a suite run by hand shows its result."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / f"{suite}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(figures, indent=2, ensure_ascii=False))


def store_figures(suite, figures, only):
    """Store a suite's figures for run.py; a run limited by --only just prints them (they are not the suite's)."""
    if only:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        write_figures(suite, figures)


def report(problems, ok_line):
    """The verdict line(s) after a suite's table: its problems, or its OK line."""
    if problems:
        print(f"\nFAILED: {len(problems)} problem(s):", *problems, sep="\n- ")
        return 1
    print(f"\nOK: {ok_line}")
    return 0
