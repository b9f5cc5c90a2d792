# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run a release check without a network, so that a step reaching for one fails here instead of passing while a
registry happens to be reachable (check_ee.py, check_importer.py)."""

import shutil
import subprocess


def isolated(command):
    """(command, True) run in a new network namespace when the kernel lets this user make one, else (command, False)."""
    probe = subprocess.run(["unshare", "--net", "--map-root-user", "true"], capture_output=True, check=False) \
        if shutil.which("unshare") else None
    return (["unshare", "--net", "--map-root-user", *command], True) if probe and probe.returncode == 0 else (command, False)
