# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The lock files and their checker: a venv built from the ranges, or changed by hand, must fail make test."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import locks  # noqa: E402  pylint: disable=wrong-import-position

ROOT = locks.ROOT
LATEST = os.environ.get("LATEST") == "1"


def lock_text(name):
    return (ROOT / locks.lock_path(name)).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(locks.LOCKS))
def test_every_pin_is_exact_and_hashed(name):
    lines = lock_text(name).splitlines()
    requirements = [line for line in lines if line and not line.startswith((" ", "#"))]
    assert requirements, "%s pins nothing" % name
    for index, line in enumerate(lines):
        if line in requirements:
            assert locks.PIN.match(line), "%s: %r is not an exact pin" % (name, line)
            assert line.endswith("\\") and lines[index + 1].strip().startswith("--hash=sha256:"), \
                "%s: %r has no hash" % (name, line)


@pytest.mark.parametrize("name", sorted(locks.LOCKS))
def test_cryptography_stays_below_51(name):
    # ansible-core imports cryptography's DSA primitives, deprecated with a warning from 51 (tests/tooling/constraints.txt).
    version = locks.pins(lock_text(name)).get("cryptography")
    if version is not None:
        assert int(version.split(".")[0]) < 51, "%s locks cryptography %s" % (name, version)


def test_mismatches_name_what_differs():
    locked = {"ansible-core": "2.19.14", "cryptography": "50.0.2", "requests": "2.34.2"}
    assert locks.venv_mismatches(dict(locked, pip="23.2.1", setuptools="65.5.0"), locked) == []
    assert locks.venv_mismatches({"ansible-core": "2.19.14", "cryptography": "51.0.1", "rich": "15.0.0"}, locked) == [
        "cryptography 51.0.1 is installed, the lock says 50.0.2",
        "rich 15.0.0 is installed but not in the lock",
        "requests 2.34.2 is in the lock but not installed",
    ]


def run_check(name, python):
    return subprocess.run([sys.executable, str(ROOT / "tests/tooling/locks.py"), "venv", name, python],
                          cwd=ROOT, capture_output=True, text=True, check=False)


def test_a_venv_that_is_not_its_lock_fails():
    # This venv (the tools venv) is not the demo's lock: far more packages than the demo's.
    done = run_check("demo", sys.executable)
    assert done.returncode != 0
    assert "was not built from tests/tooling/lock/demo.txt" in done.stderr
    assert "is installed but not in the lock" in done.stderr


@pytest.mark.skipif(LATEST, reason="make test-latest builds the tools venv from the ranges")
def test_the_tools_venv_is_exactly_its_lock():
    done = run_check("tools", sys.executable)
    assert done.returncode == 0, done.stderr
    assert "exactly" in done.stdout


def test_the_makefile_builds_every_venv_from_a_lock():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    # A venv is made in two places only: make_venv, and the uv venv that pip installs from lock/uv.txt.
    assert len(re.findall(r"-m venv ", makefile)) == 2
    calls = re.findall(r"^(\S+)/\.stamp: (\S+).*\n\t\$\(call make_venv,[^,]+,([^,]+),([^)]+)\)", makefile, re.M)
    assert sorted(name for _target, _lock, name, _ranges in calls) == sorted(
        ["core216", "core221", "tools", "demo", "docsite", "importer"])
    for _target, lock, name, ranges in calls:
        assert lock == "$(LOCK)/%s.txt" % name
        assert locks.LOCKS[name][0] == ranges
    # In the locked mode make_venv installs the lock, hashes required, and nothing else.
    define = makefile[makefile.index("define make_venv"):makefile.index("endef", makefile.index("define make_venv"))]
    assert "--require-hashes --no-deps -r $(LOCK)/$(2).txt" in define
    assert "locks.py venv $(2)" in define
