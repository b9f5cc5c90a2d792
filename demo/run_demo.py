# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make demo: run the phones module against the bundled stand-in server, step by step, and show the phones' state.

Expects the collection to be installed on ANSIBLE_COLLECTIONS_PATH (the Makefile does that) and to run with a
Python that has ansible-core, requests and flask (the Makefile's tools virtual environment).
"""

import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOK = ROOT / 'demo' / 'phonelock.yml'
SERVER = ROOT / 'tests' / 'standin' / 'server.py'
DATA = json.loads((ROOT / 'tests' / 'standin' / 'data' / 'users.json').read_text(encoding='utf-8'))
ADMIN = next(account for account in DATA['accounts'] if account['username'] == 'api-admin')

STEPS = [
    ('Lock the R&D department and the Sales team in Milano (one task, two selections)',
     dict(demo_state='locked', demo_selections=[{'department': 'R&D'}, {'department': 'Sales', 'customField1': 'Milano'}])),
    ('Lock every phone (all_phones: true)', dict(demo_state='locked', demo_all_phones=True)),
    ('Unlock every phone', dict(demo_state='unlocked', demo_all_phones=True)),
    ('Unlock every phone again: nothing to do, so changed=0', dict(demo_state='unlocked', demo_all_phones=True)),
]


def start_server(workdir):
    port_file = workdir / 'port'
    log = open(workdir / 'server.log', 'wb')  # pylint: disable=consider-using-with  # lives as long as the server
    process = subprocess.Popen([sys.executable, str(SERVER), '--port', '0', '--port-file', str(port_file)],  # pylint: disable=consider-using-with
                               stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit('the stand-in server did not start; see %s' % (workdir / 'server.log'))
        time.sleep(0.1)
    return process, 'http://127.0.0.1:%s' % port_file.read_text(encoding='ascii').strip()


def phones(url):
    with urllib.request.urlopen(url + '/_standin/phones', timeout=10) as reply:
        return json.load(reply)['phones']


def table(rows):
    counts = collections.OrderedDict()
    for phone in sorted(rows, key=lambda row: row['department'].casefold()):
        entry = counts.setdefault(phone['department'], [0, 0])
        entry[0 if phone['locked'] else 1] += 1
    width = max(len(name) for name in counts) + 2
    rule = '-' * (width + 18)
    lines = [f"{'department':<{width}} {'locked':>8} {'unlocked':>8}", rule]
    lines += [f'{name:<{width}} {locked:>8} {unlocked:>8}' for name, (locked, unlocked) in counts.items()]
    total_locked = sum(locked for locked, dummy in counts.values())
    lines += [rule, f"{'all phones':<{width}} {total_locked:>8} {len(rows) - total_locked:>8}"]
    return '\n'.join(lines)


def run_step(title, extra_vars, env):
    print('\n=== %s\n' % title, flush=True)
    command = [str(Path(sys.executable).parent / 'ansible-playbook'), str(PLAYBOOK), '-e', json.dumps(extra_vars)]
    print('$ ansible-playbook demo/phonelock.yml -e %s\n' % json.dumps(extra_vars, ensure_ascii=False), flush=True)
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    print(result.stdout, flush=True)
    if result.returncode != 0:
        sys.exit('demo step failed (exit %d): %s' % (result.returncode, title))
    recap = re.search(r'localhost\s*:\s*ok=(\d+)\s+changed=(\d+)', result.stdout)
    return int(recap.group(2)) if recap else None


def main():
    with tempfile.TemporaryDirectory(prefix='phonelock-demo-') as workdir:
        server, url = start_server(Path(workdir))
        try:
            env = dict(os.environ, IMAGICLE_URL=url, IMAGICLE_USERNAME=ADMIN['username'], IMAGICLE_PASSWORD=ADMIN['password'],
                       ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false',
                       ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
            print('Stand-in Phone Lock server at %s with %d users; phones before the demo:\n' % (url, len(phones(url))))
            print(table(phones(url)))
            changed = None
            for title, extra_vars in STEPS:
                changed = run_step(title, extra_vars, env)
                print(table(phones(url)))
            if changed != 0:
                sys.exit('the rerun should report changed=0, it reported changed=%s' % changed)
            print('\nThe rerun reported changed=0: the server said no phone changed state.')
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == '__main__':
    main()
