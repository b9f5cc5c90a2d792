# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""make test's runner: steps side by side, a resource held by one step at a time, nothing new after a failure."""

import json
import subprocess
import sys
from pathlib import Path

STEPS = Path(__file__).resolve().parents[1] / "steps.py"

# A stand-in for make: records when each step ran, sleeps, and fails the steps named "fail*".
FAKE_MAKE = '''
import json, sys, time
from pathlib import Path
step, variables = sys.argv[1], sys.argv[2:]
record = Path(%r)
start = time.monotonic()
time.sleep(0.4)
with open(record, "a", encoding="utf-8") as out:
    out.write(json.dumps([step, variables, start, time.monotonic()]) + "\\n")
print("output of", step)
sys.exit(1 if step.startswith("fail") else 0)
'''


def run(tmp_path, *specs, first=()):
    record = tmp_path / "record.jsonl"
    make = tmp_path / "make"
    make.write_text("#!%s\n%s" % (sys.executable, FAKE_MAKE % str(record)), encoding="utf-8")
    make.chmod(0o755)
    argv = [sys.executable, str(STEPS), "--workers", "2", "--logs", str(tmp_path / "logs"), "--make", str(make)]
    argv += [arg for name in first for arg in ("--first", name)]
    done = subprocess.run(argv + list(specs), capture_output=True, text=True, check=False)
    ran = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()] if record.exists() else []
    return done, {step: (variables, start, end) for step, variables, start, end in ran}


def overlap(one, other):
    return one[1] < other[2] and other[1] < one[2]


def test_steps_run_side_by_side_but_never_two_on_one_resource(tmp_path):
    done, ran = run(tmp_path, "a@copy", "b", "c@copy", first=["prep"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(ran) == ["a", "b", "c", "prep"]
    assert ran["prep"][0] == [] and ran["a"][0] == ["PREPARED=1"]
    assert all(ran["prep"][2] <= ran[name][1] for name in "abc")
    assert overlap(ran["a"], ran["b"])
    assert not overlap(ran["a"], ran["c"])
    assert "output of b" in (tmp_path / "logs" / "b.log").read_text(encoding="utf-8")
    assert done.stdout.splitlines()[-1] == "steps: 4 passed, 0 failed"


def test_no_step_starts_after_a_failure(tmp_path):
    done, ran = run(tmp_path, "fail@x", "b@x", "c@x")
    assert done.returncode == 1
    assert sorted(ran) == ["fail"]
    assert "not run after the failure: b c" in done.stdout
    assert "output of fail" in done.stdout
    assert done.stdout.splitlines()[-1] == "steps: 0 passed, 1 failed"


def test_a_failed_first_step_stops_everything(tmp_path):
    done, ran = run(tmp_path, "b", first=["fail-prep"])
    assert done.returncode == 1
    assert sorted(ran) == ["fail-prep"]
