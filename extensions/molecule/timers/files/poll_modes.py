# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Watch a folder and a file as fast as possible and report every moment either was readable by others.

    python poll_modes.py FOLDER FILE STOP_FILE REPORT [SECONDS]

Polls os.stat of FOLDER and FILE until STOP_FILE exists (at most SECONDS, default 300), then writes REPORT (JSON):
how many polls ran, how many times FILE appeared (it is removed between installs, so one birth per install), and
for FOLDER and for FILE how many polls saw a group or other read bit (mode & 0o044), with the first few of them.
Used by credentials_exposure.yml.
"""

import json
import os
import stat
import sys
import time

OPEN_TO_OTHERS = stat.S_IRGRP | stat.S_IROTH


def mode_of(path):
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None


def main():
    folder, secret, stop, report = sys.argv[1:5]
    deadline = time.monotonic() + (float(sys.argv[5]) if len(sys.argv) > 5 else 300.0)
    polls = births = 0
    file_seen = False
    exposed = {"folder": 0, "file": 0}
    samples = []
    while polls % 1024 or (time.monotonic() < deadline and not os.path.exists(stop)):
        polls += 1
        for kind, path in (("folder", folder), ("file", secret)):
            mode = mode_of(path)
            if kind == "file":
                births += mode is not None and not file_seen
                file_seen = mode is not None
            if mode is not None and mode & OPEN_TO_OTHERS:
                exposed[kind] += 1
                if sum(sample["kind"] == kind for sample in samples) < 3:
                    samples.append({"kind": kind, "mode": "%04o" % mode, "poll": polls})
    with open(report, "w", encoding="utf-8") as handle:
        json.dump({"polls": polls, "file_births": births, "exposed": exposed, "samples": samples,
                   "stopped": os.path.exists(stop)}, handle)


if __name__ == "__main__":
    main()
