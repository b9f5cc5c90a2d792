# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The lock files of the test and demo environments: refresh them, check them against their inputs, check a venv.

Every virtual environment the Makefile builds installs exact versions with hashes from a lock file under
tests/tooling/lock/, compiled by uv from a requirements file of ranges (its input) and tests/tooling/constraints.txt.
A new release on PyPI then changes nothing until `make lock` is run and its diff committed; `make test-latest`
builds the same environments from the ranges to find such releases first.

    locks.py refresh UV [NAME...]    recompile the lock files with the newest versions the ranges allow (make lock)
    locks.py check UV                every lock file still satisfies its input, unchanged (make locks)
    locks.py venv NAME PYTHON        the venv of PYTHON holds exactly the lock's packages (make, after each build)
"""

import argparse
import difflib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK_DIR = Path("tests/tooling/lock")
CONSTRAINTS = Path("tests/tooling/constraints.txt")

# name: (input of ranges, Python version the environment runs). Paths are relative to the repository root, as the
# lock files' headers name them.
LOCKS = {
    "uv": ("tests/tooling/requirements-uv.txt", "3.11"),
    "tools": ("tests/tooling/requirements-tools.txt", "3.11"),
    "core216": ("tests/tooling/requirements-core216.txt", "3.11"),
    "core221": ("tests/tooling/requirements-core221.txt", "3.12"),
    "demo": ("tests/tooling/requirements-demo.txt", "3.11"),
    "docsite": ("tests/tooling/requirements-docsite.txt", "3.12"),
    "importer": ("tests/tooling/requirements-importer.txt", "3.11"),
    # The venvs inside the Debian roots of make systemd: bookworm's Python 3.11 and trixie's 3.13.
    "systemd-py3.11": ("tests/systemd/requirements.txt", "3.11"),
    "systemd-py3.13": ("tests/systemd/requirements.txt", "3.13"),
}
# The packages ansible-test installs into its units environments (--venv) are pinned through this constraints file,
# which ansible-test reads by itself; no hashes (ansible-test adds its own constraints file beside it).
UNIT_CONSTRAINTS = ("tests/unit/constraints.txt", "tests/tooling/requirements-units.txt", "3.11")
# Given by the interpreter's own ensurepip when the venv is made; not part of any lock unless a package needs them.
SEEDED = frozenset(("pip", "setuptools"))
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def lock_path(name):
    return LOCK_DIR / ("%s.txt" % name)


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text):
    """{canonical name: version} of a lock or constraints file."""
    found = {}
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def compile_lock(uv, source, python, output, hashes=True, upgrade=False):
    """uv pip compile SOURCE into OUTPUT (paths relative to the root); an existing OUTPUT's pins are kept unless upgrade."""
    argv = [uv, "pip", "compile", "--quiet", "--python-version", python, "--constraint", str(CONSTRAINTS),
            "--custom-compile-command", "make lock", "--no-config", "--output-file", str(output), str(source)]
    if hashes:
        argv.insert(3, "--generate-hashes")
    if upgrade:
        argv.insert(3, "--upgrade")
    done = subprocess.run(argv, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit("ERROR: uv pip compile %s failed:\n%s%s" % (source, done.stdout, done.stderr))


def targets(names):
    every = dict((name, (source, python, lock_path(name), True)) for name, (source, python) in LOCKS.items())
    every["unit-constraints"] = (UNIT_CONSTRAINTS[1], UNIT_CONSTRAINTS[2], Path(UNIT_CONSTRAINTS[0]), False)
    unknown = sorted(set(names) - set(every))
    if unknown:
        sys.exit("ERROR: unknown lock %s; known: %s" % (", ".join(unknown), ", ".join(every)))
    return dict((name, every[name]) for name in (names or every))


def refresh(args):
    for name, (source, python, output, hashes) in targets(args.names).items():
        before = pins((ROOT / output).read_text(encoding="utf-8")) if (ROOT / output).is_file() else {}
        compile_lock(args.uv, source, python, output, hashes=hashes, upgrade=True)
        after = pins((ROOT / output).read_text(encoding="utf-8"))
        changes = ["%s %s -> %s" % (pkg, before.get(pkg, "(new)"), after.get(pkg, "(gone)"))
                   for pkg in sorted(set(before) | set(after)) if before.get(pkg) != after.get(pkg)]
        summary = "; " + ", ".join(changes) if changes else ", unchanged"
        print(">> %s (Python %s, from %s): %d packages%s" % (output, python, source, len(after), summary))


def check(args):
    """Recompile each lock from its input with its own pins preferred: any difference means the input changed (or a
    pinned release was yanked) and `make lock` was not run."""
    stale = []
    with tempfile.TemporaryDirectory(dir=ROOT / ".cache" if (ROOT / ".cache").is_dir() else None) as tmp:
        for name, (source, python, output, hashes) in targets([]).items():
            if not (ROOT / output).is_file():
                stale.append("%s is missing" % output)
                continue
            copy = Path(tmp) / output.name
            shutil.copy(ROOT / output, copy)
            compile_lock(args.uv, source, python, copy, hashes=hashes)
            old = (ROOT / output).read_text(encoding="utf-8").splitlines()
            new = copy.read_text(encoding="utf-8").replace(str(copy), str(output)).splitlines()
            if old != new:
                diff = "\n".join(difflib.unified_diff(old, new, str(output), "recompiled from %s" % source, lineterm="", n=1))
                stale.append("%s does not match %s:\n%s" % (output, source, diff))
            else:
                print(">> %s: %d pins, matches %s" % (output, len(pins("\n".join(old))), source))
    if stale:
        sys.exit("ERROR: " + "\nERROR: ".join(stale) + "\nRun `make lock` (or make lock LOCKS=NAME) and commit the lock files.")


INSTALLED = "import importlib.metadata as m, json; print(json.dumps(sorted((d.metadata['Name'], d.version) for d in m.distributions())))"


def venv_mismatches(installed, locked):
    """What differs between the installed distributions and the lock (empty when the venv is exactly the lock)."""
    problems = []
    for pkg, version in sorted(installed.items()):
        if pkg not in locked:
            if pkg not in SEEDED:
                problems.append("%s %s is installed but not in the lock" % (pkg, version))
        elif locked[pkg] != version:
            problems.append("%s %s is installed, the lock says %s" % (pkg, version, locked[pkg]))
    problems += ["%s %s is in the lock but not installed" % (pkg, version)
                 for pkg, version in sorted(locked.items()) if pkg not in installed]
    return problems


def venv(args):
    locked = pins((ROOT / lock_path(args.name)).read_text(encoding="utf-8"))
    listed = json.loads(subprocess.run([args.python, "-c", INSTALLED], capture_output=True, text=True, check=True).stdout)
    installed = dict((canonical(name), version) for name, version in listed)
    problems = venv_mismatches(installed, locked)
    if problems:
        sys.exit("ERROR: %s was not built from %s:\n  %s" % (args.python, lock_path(args.name), "\n  ".join(problems)))
    print(">> %s holds exactly the %d pinned packages of %s" % (args.python, len(locked), lock_path(args.name)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("refresh")
    command.add_argument("uv")
    command.add_argument("names", nargs="*")
    command.set_defaults(run=refresh)
    command = commands.add_parser("check")
    command.add_argument("uv")
    command.set_defaults(run=check)
    command = commands.add_parser("venv")
    command.add_argument("name", choices=sorted(LOCKS))
    command.add_argument("python")
    command.set_defaults(run=venv)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
