# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Import the built collection with galaxy-importer, as Galaxy does on upload, and fail on any warning or error.

    .venv/importer/bin/python tests/tooling/check_importer.py TARBALL

Run it with the Python of the virtual environment that has tests/tooling/requirements-importer.txt: the importer
runs the ansible-doc and ansible-lint found next to that Python. Its configuration (GALAXY_IMPORTER_CONFIG) turns on
the offline checks that Galaxy servers may enable (flake8 of the plugins, the required tags, version 1.0.0 or later)
and turns off ansible-test, which needs a container engine (make sanity runs it). Nothing is fetched: the import runs
without a network where the kernel allows a private network namespace.

Fails when the importer exits non-zero, does not report success, writes to stderr, logs a WARNING, ERROR or CRITICAL
line (ansible-lint's findings among them), or leaves out of its result a module, filter, role or playbook of the
tarball. Nothing is dismissed: .ansible-lint (which the importer's ansible-lint reads) says what it leaves out and why.
"""

import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from offline import isolated

BIN = Path(sys.executable).parent
CONFIG = """\
[galaxy-importer]
log_level_main = INFO
run_ansible_doc = True
run_ansible_lint = True
offline_ansible_lint = True
run_flake8 = True
check_changelog = True
check_required_tags = True
require_v1_or_greater = True
# ansible-test sanity in a container (local image, or an OpenShift job): not here.
run_ansible_test = False
ansible_test_local_image = False
local_image_docker = False
infra_osd = False
ansible_local_tmp = {tmp}/ansible-tmp
tmp_root_dir = {tmp}
"""
PROBLEM = re.compile(r"^(WARNING|ERROR|CRITICAL): (.*)$")


def tarball_members(tarball):
    """The paths in the tarball."""
    with tarfile.open(tarball) as archive:
        return set(archive.getnames())


def expected_contents(names):
    """{(content type, name)} that the importer must report: the modules, filters, roles and playbooks among names."""
    found = set()
    for name in names:
        for pattern, kind in ((r"plugins/modules/(\w+)\.py", "module"), (r"plugins/filter/(\w+)\.py", "filter"),
                              (r"roles/(\w+)/tasks/main\.yml", "role"), (r"playbooks/(\w+\.ya?ml)", "playbook")):
            match = re.fullmatch(pattern, name)
            if match and match.group(1) != "__init__":
                found.add((kind, match.group(1)))
    return found


def check_result(result, members):
    """Problems with the importer's result: content of the tarball it did not report, documentation it did not load."""
    expected = expected_contents(members)
    reported = {(entry["content_type"], entry["content_name"]): entry for entry in result["docs_blob"]["contents"]}
    problems = [f"{kind} {name} is not in the importer's result" for kind, name in sorted(expected - set(reported))]
    problems += [f"{kind} {name}: ansible-doc gave the importer no documentation" for kind, name in sorted(expected)
                 if kind in ("module", "filter") and (kind, name) in reported and not reported[(kind, name)]["doc_strings"]]
    problems += [f"role {name}: no README" for kind, name in sorted(expected)
                 if kind == "role" and (kind, name) in reported and not reported[(kind, name)]["readme_file"]]
    if not expected:
        problems.append("the tarball holds no module, filter, role or playbook: is it the collection?")
    return problems


def main():
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_file():
        sys.exit(f"usage: {Path(sys.argv[0]).name} TARBALL (the built collection, imagicle-phonelock-VERSION.tar.gz)")
    tarball = Path(sys.argv[1]).resolve()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="phonelock-importer-") as tmp:
        config = Path(tmp) / "galaxy-importer.cfg"
        config.write_text(CONFIG.format(tmp=tmp), encoding="utf-8")
        # GALAXY_IMPORTER_* variables override the file: none may leak in from the caller's environment.
        env = {key: value for key, value in os.environ.items() if not key.startswith("GALAXY_IMPORTER_")}
        env.update(GALAXY_IMPORTER_CONFIG=str(config), PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
                   ANSIBLE_HOME=f"{tmp}/ansible-home", ANSIBLE_NOCOLOR="1", NO_COLOR="1")
        command, offline = isolated([sys.executable, "-m", "galaxy_importer.main", str(tarball)])
        print(f"$ python -m galaxy_importer.main {tarball.name}   "
              f"({'no network: unshare --net' if offline else 'network not isolated: unshare --net is not permitted here'})")
        # The importer writes importer_result.json to its working directory.
        done = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True, errors="replace", check=False)
        result_file = Path(tmp) / "importer_result.json"
        result = json.loads(result_file.read_text(encoding="utf-8")) if result_file.exists() else None

    members = tarball_members(tarball)
    problems = [line for line in done.stdout.splitlines() if PROBLEM.match(line)]
    problems += [f"stderr: {line}" for line in done.stderr.splitlines() if line.strip()]
    if done.returncode != 0:
        problems.append(f"galaxy_importer.main exited {done.returncode}")
    if "Importer processing completed successfully" not in done.stdout:
        problems.append("the importer did not report 'Importer processing completed successfully'")
    problems += check_result(result, members) if result else ["no importer_result.json"]

    lint = re.search(r"^Linting collection via ansible-lint (\S+)\.\.\.$", done.stdout, re.MULTILINE)
    print(f"importer output: {len(done.stdout.splitlines())} lines; ansible-lint {lint.group(1) if lint else 'did not run'}; "
          f"{len(expected_contents(members))} modules, filters, roles and playbooks expected in the result")
    if not lint:
        problems.append("ansible-lint did not run")
    for line in problems:
        print(f"FAIL {line}")
    print(f"galaxy-importer: {len(problems)} problems ({time.monotonic() - started:.1f} s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
