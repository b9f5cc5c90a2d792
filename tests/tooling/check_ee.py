# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Check the example execution environment (examples/execution-environment/) without building an image.

    python tests/tooling/check_ee.py TARBALL [--workdir DIR]

TARBALL is the built collection (make build). ansible-builder create writes the build context to DIR/context (a
temporary folder when --workdir is not given), without a network where the kernel allows a private network namespace,
and without a container engine. The context must hold what the image needs: the collection in the galaxy
requirements, in a version range that admits TARBALL's version; requests in the python requirements; the base image,
Python and ansible-core of the definition. The context's own introspect.py, the script the image build runs on the
installed collections, must find the collection's requests requirement in TARBALL. Exit code 1 when a check fails.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from ansible.galaxy.dependency_resolution.versioning import meets_requirements
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from offline import isolated

ROOT = Path(__file__).resolve().parents[2]
EE_DIR = ROOT / "examples" / "execution-environment"
DEFINITION = EE_DIR / "execution-environment.yml"
COLLECTION = "imagicle.phonelock"
# ansible-core 2.16 and later run on controllers with Python 3.10 or later.
MIN_CONTROLLER_PYTHON = (3, 10)
BIN = Path(sys.executable).parent


def requirement_names(path):
    """{normalised name: line} of a pip requirements file (comments and options skipped)."""
    names = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split(" #", 1)[0].strip()
        if not text or text.startswith(("#", "-")):
            continue
        try:
            names[re.sub(r"[-_.]+", "-", Requirement(text).name).lower()] = line.strip()
        except InvalidRequirement:
            names[text] = line.strip()
    return names


def lower_bound(specifiers):
    """The highest of the lower bounds (>=, >, ==, ~=) in a specifier set, else None."""
    bounds = [Version(spec.version) for spec in SpecifierSet(specifiers) if spec.operator in (">=", ">", "==", "~=")]
    return max(bounds) if bounds else None


def check_context(definition, context):
    """Problems per check with the build context ansible-builder created."""
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    args = dict(re.findall(r'^ARG (\w+)="(.*)"$', containerfile, re.MULTILINE))
    checks = []

    base = definition["images"]["base_image"]["name"]
    checks.append((f"Containerfile: base image {base}",
                   [] if args.get("EE_BASE_IMAGE") == base else [f"EE_BASE_IMAGE is {args.get('EE_BASE_IMAGE')!r}"]))

    pycmd = args.get("PYCMD", "")
    python = re.search(r"python(\d+)\.(\d+)$", pycmd)
    checks.append((f"Containerfile: Python {pycmd}, {'.'.join(map(str, MIN_CONTROLLER_PYTHON))} or later",
                   [] if python and tuple(map(int, python.groups())) >= MIN_CONTROLLER_PYTHON
                   else [f"PYCMD is {pycmd!r}: name a versioned interpreter that ansible-core's controller supports"]))

    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    refs = args.get("ANSIBLE_INSTALL_REFS", "").split()
    core = [ref for ref in refs if Requirement(ref).name == "ansible-core"]
    needed = lower_bound(runtime["requires_ansible"])
    floor = lower_bound(str(Requirement(core[0]).specifier)) if core else None
    checks.append((f"Containerfile: installs {' '.join(refs)}; the collection requires ansible-core {runtime['requires_ansible']}",
                   [] if core and "ansible-runner" in [Requirement(ref).name for ref in refs] and floor and floor >= needed
                   else [f"ANSIBLE_INSTALL_REFS {refs}: need ansible-runner and ansible-core with a lower bound of at least {needed}"]))

    galaxy_step = re.search(r"^RUN .*ansible-galaxy collection install .*-r requirements\.yml", containerfile, re.MULTILINE)
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    entries = [entry for entry in galaxy.get("collections", []) if entry.get("name") == COLLECTION]
    checks.append((f"_build/requirements.yml: {COLLECTION} {entries[0].get('version', '*') if entries else ''}, installed by the "
                   "galaxy stage", ([] if galaxy_step else ["no 'ansible-galaxy collection install -r requirements.yml' step"])
                   + ([] if len(entries) == 1 else [f"{COLLECTION} is listed {len(entries)} times, not once"])))

    user_pip = context / "_build" / "requirements.txt"
    introspect_step = re.search(r"^COPY _build/requirements\.txt requirements\.txt\n"
                                r"RUN .*introspect\.py introspect --user-pip=requirements\.txt", containerfile, re.MULTILINE)
    checks.append(("_build/requirements.txt: requests, combined with the collections' requirements by introspect.py",
                   ([] if "requests" in requirement_names(user_pip) else [f"requests not in {requirement_names(user_pip)}"])
                   + ([] if introspect_step else ["the Containerfile does not pass _build/requirements.txt to introspect.py"])))
    return checks, entries


def check_collection(context, tarball, entries, workdir):
    """Problems per check with the collection as the image build would get it: TARBALL installed (the galaxy stage's
    step, offline) and its requirements read by the context's introspect.py."""
    collections = workdir / "collections"
    install = [str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "--force", "-p", str(collections),
               str(tarball)]
    done = subprocess.run(install, capture_output=True, text=True, check=False)
    if done.returncode:
        return [("install TARBALL", [f"ansible-galaxy collection install failed: {done.stderr.strip()}"])]
    manifest = json.loads((collections / "ansible_collections" / "imagicle" / "phonelock" / "MANIFEST.json").read_text(encoding="utf-8"))
    version = manifest["collection_info"]["version"]
    spec = entries[0].get("version", "*") if entries else None
    checks = [(f"requirements.yml's version range admits {tarball.name} ({version})",
               [] if spec and meets_requirements(version, spec) else [f"version {spec!r} does not admit {version}"])]

    written = workdir / "introspected-requirements.txt"
    introspect = [sys.executable, str(context / "_build" / "scripts" / "introspect.py"), "introspect",
                  f"--user-pip={context / '_build' / 'requirements.txt'}", f"--write-pip={written}", str(collections)]
    done = subprocess.run(introspect, capture_output=True, text=True, check=False)
    lines = written.read_text(encoding="utf-8").splitlines() if written.exists() else []
    found = [line for line in lines if line.endswith(f"# from collection {COLLECTION}")
             and Requirement(line.split("#", 1)[0].strip()).name == "requests"]
    checks.append((f"introspect.py on {tarball.name}: '{found[0] if found else 'requests'}'",
                   [] if done.returncode == 0 and found else [f"introspect.py exit {done.returncode}, wrote {lines}: {done.stderr.strip()}"]))
    return checks


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("tarball", type=Path, help="the built collection, imagicle-phonelock-VERSION.tar.gz")
    parser.add_argument("--workdir", type=Path, help="keep the build context in WORKDIR/context (default: a temporary folder)")
    options = parser.parse_args()
    started = time.monotonic()
    if not options.tarball.is_file():
        sys.exit(f"{options.tarball}: no such file (make build)")
    with tempfile.TemporaryDirectory(prefix="phonelock-ee-") as temporary:
        workdir = options.workdir.resolve() if options.workdir else Path(temporary)
        for folder in ("context", "collections"):
            shutil.rmtree(workdir / folder, ignore_errors=True)
        workdir.mkdir(parents=True, exist_ok=True)
        context = workdir / "context"
        command, offline = isolated([str(BIN / "ansible-builder"), "create", "-f", str(DEFINITION), "-c", str(context),
                                     "--output-filename", "Containerfile"])
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        print(f"$ ansible-builder create -f {DEFINITION.relative_to(ROOT)} -c {context} --output-filename Containerfile"
              f"   ({'no network: unshare --net' if offline else 'network not isolated: unshare --net is not permitted here'})")
        if done.returncode or not (context / "Containerfile").is_file():
            print(done.stdout + done.stderr)
            print("FAIL ansible-builder create")
            return 1
        print(f"ok   ansible-builder create: {len([p for p in context.rglob('*') if p.is_file()])} files in {context}")
        definition = yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))
        checks, entries = check_context(definition, context)
        checks += check_collection(context, options.tarball.resolve(), entries, workdir)
    failed = 0
    for what, problems in checks:
        failed += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {what}")
        for problem in problems:
            print(f"       {problem}")
    print(f"{len(checks) + 1 - failed} passed, {failed} failed ({time.monotonic() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
