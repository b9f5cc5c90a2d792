"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test bootstraps pip into every virtual environment it creates (sanity tools, --venv) by running
``~/.ansible/test/cache/get_pip_<version>.py`` with pip options and pinned packages as arguments, e.g.
``--disable-pip-version-check pip==25.2 --no-setuptools --no-wheel``. When that file is missing it tries to
download it from a host this machine cannot reach. ``make`` copies this file to every name the installed
ansible-test versions expect (see the ``get-pip`` target of the Makefile).

Here pip comes from the interpreter's own bundled wheel (``ensurepip``, no network), then pip installs the
requested packages from the package index. ``--no-setuptools``/``--no-wheel`` are get-pip options that pip
itself does not know, so they are dropped.
"""

import subprocess
import sys

GET_PIP_ONLY_OPTIONS = frozenset(('--no-setuptools', '--no-wheel'))


def run(command, **kwargs):
    """Run a command; exit with its status if it fails."""
    status = subprocess.call(command, **kwargs)
    if status:
        sys.exit(status)


def main():
    """Bootstrap pip with ensurepip, then install the requested packages."""
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]

    run([sys.executable, '-m', 'ensurepip', '--upgrade'], stdout=subprocess.DEVNULL)

    if any(not arg.startswith('-') for arg in args):
        run([sys.executable, '-m', 'pip', 'install', '--quiet'] + args)


if __name__ == '__main__':
    main()
