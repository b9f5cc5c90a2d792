# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Build, and cache, a minimal Debian root per release with systemd, Python and a venv with ansible-core and requests.

The venv is installed from the lock file of the root's Python (tests/tooling/lock/systemd-pyX.Y.txt, exact versions
with hashes), or with latest=True (make test-latest) from the ranges of tests/systemd/requirements.txt and the shared
constraints. A root is rebuilt only when its recipe changes (release, packages, what its venv is installed from,
RECIPE_VERSION).
"""

import fcntl
import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
LOCKS = HERE.parent / "tooling" / "lock"
CONSTRAINTS = HERE.parent / "tooling" / "constraints.txt"
# Bump to rebuild every cached root after a change to how a root is made.
RECIPE_VERSION = 1
PACKAGES = ("systemd", "systemd-sysv", "dbus", "python3", "python3-venv", "tzdata")
# release: (systemd major version, Python version) that Debian ships in it; both are checked after the build.
RELEASES = {"bookworm": (252, "3.11"), "trixie": (257, "3.13")}
VENV = "/opt/phonelock"
# Not /tmp: systemd-nspawn mounts a fresh tmpfs there.
WHEELS = "/opt/phonelock-wheels"


class BuildError(RuntimeError):
    """debootstrap, pip or the check of a new root failed; the message carries the tail of its log."""


def host_mirror():
    """The Debian mirror the host's apt uses (the main archive, not the security one), or None: the same the test
    machines reach, so nothing here names a host."""
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))]
    lines = [line.split() for text in texts for line in text.splitlines()]
    uris = [word for words in lines if words[:1] == ["URIs:"] for word in words[1:]]
    legacy = Path("/etc/apt/sources.list")
    if legacy.is_file():
        uris += [words[1] for words in (line.split() for line in legacy.read_text(encoding="utf-8", errors="replace").splitlines())
                 if len(words) > 1 and words[0] == "deb" and not words[1].startswith("[")]
    main = [uri for uri in uris if uri.startswith("http") and not uri.rstrip("/").endswith("-security")]
    return main[0] if main else None


def requirements(release, latest):
    """The pip arguments that give the root's venv its packages, and the files they name."""
    if latest:
        return ["-r", "requirements.txt", "-c", "constraints.txt"], [REQUIREMENTS, CONSTRAINTS]
    # Every line pinned with its hashes: pip checks them, and installs nothing the lock does not name.
    return ["--require-hashes", "--no-deps", "-r", "requirements.txt"], [LOCKS / f"systemd-py{RELEASES[release][1]}.txt"]


def recipe(release, mirror, latest=False):
    """What a cached root was built from; a different recipe means a rebuild."""
    return {"version": RECIPE_VERSION, "release": release, "mirror": mirror, "packages": list(PACKAGES),
            "requirements": [path.read_text(encoding="utf-8") for path in requirements(release, latest)[1]]}


def _run(argv, log, what, cwd=None):
    with open(log, "ab") as out:
        out.write(f"\n$ {' '.join(argv)}\n".encode())
        out.flush()
        code = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, check=False,
                              cwd=cwd).returncode
    if code != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:])
        raise BuildError(f"{what} failed (exit {code}); the end of {log}:\n{tail}")


def _nspawn(root, log, what, *command):
    # Not booted: one command in the root (--keep-unit and --register=no: no systemd or machined on the host).
    _run(["systemd-nspawn", "--quiet", "-D", str(root), "--register=no", "--keep-unit", "--pipe", "--", *command], log, what)


def build(release, cache: Path, mirror: str, say, latest=False):
    """Return the path of release's root under cache, building it first when it is missing or out of date."""
    home = cache / release
    root = home / "root"
    stamp = home / "recipe.json"
    wanted = recipe(release, mirror, latest)
    home.mkdir(parents=True, exist_ok=True)
    # Two make runs on one machine must not build the same root at once.
    with open(home / "lock", "w", encoding="ascii") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if root.is_dir() and stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")) == wanted:
            say(f"cached Debian root {root}")
            return root
        started = time.monotonic()
        new = home / "root.new"
        log = home / "build.log"
        for path in (stamp, log):
            path.unlink(missing_ok=True)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(new, ignore_errors=True)
        say(f"building the Debian root ({release}, debootstrap from {mirror}; log {log})")
        _run(["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", release, str(new), mirror],
             log, f"debootstrap {release}")
        # Wheels for the root's own Python, downloaded here: the container cannot be assumed to reach the index.
        python = RELEASES[release][1]
        wheels = new / WHEELS.lstrip("/")
        wheels.mkdir(parents=True)
        options, files = requirements(release, latest)
        # Copied under the names the options use, so the same options serve the download and the install.
        for path, name in zip(files, ("requirements.txt", "constraints.txt")):
            shutil.copy(path, wheels / name)
        _run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--python-version", python,
              "-d", str(wheels), *options], log, f"pip download for Python {python}", cwd=wheels)
        _nspawn(new, log, "the venv inside the root", "python3", "-m", "venv", VENV)
        _nspawn(new, log, "pip install inside the root", "sh", "-c", f'cd {WHEELS} && exec "$0" "$@"', f"{VENV}/bin/pip",
                "install", "--quiet", "--no-index", "--disable-pip-version-check", "--find-links", WHEELS, *options)
        shutil.rmtree(new / WHEELS.lstrip("/"))
        shutil.rmtree(new / "var/cache/apt/archives", ignore_errors=True)
        (new / "var/cache/apt/archives/partial").mkdir(parents=True)
        new.rename(root)
        stamp.write_text(json.dumps(wanted, indent=1), encoding="utf-8")
        say(f"built {root} in {time.monotonic() - started:.0f} s")
        return root


def build_all(releases, cache, mirror, say, latest=False):
    """Build the roots in parallel (debootstrap mostly waits for the mirror); return {release: root}."""
    with ThreadPoolExecutor(len(releases)) as pool:
        futures = {release: pool.submit(build, release, cache, mirror, lambda text, r=release: say(r, text), latest)
                   for release in releases}
        return {release: future.result() for release, future in futures.items()}


def describe(container):
    """(systemd major version, Python version, ansible-core version) inside a booted container, checked against RELEASES."""
    systemd = int(container.run(["systemctl", "--version"]).stdout.split()[1])
    python = container.run(["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).stdout.strip()
    core = container.run([f"{VENV}/bin/python", "-c", "import ansible.release, requests; print(ansible.release.__version__)"]
                         ).stdout.strip()
    return systemd, python, core
