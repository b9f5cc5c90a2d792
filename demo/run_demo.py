# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make demo: run the shipped nightly-lock, morning-unlock and reconcile playbooks against the bundled stand-in server.

Each step pins "now" (office_hours_now) so one demo shows evenings, mornings and a late scheduler, and prints what
Ansible prints (all of it for the first step, then the role's per-site summary and the recap) and then the phones'
state per site, read from the stand-in.

Expects the collection to be installed on ANSIBLE_COLLECTIONS_PATH (the Makefile does that) and to run with a
Python that has ansible-core, requests, holidays and werkzeug (the Makefile's .venv/demo, from
tests/tooling/requirements-demo.txt).
"""

import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tests' / 'standin'))
import launch  # noqa: E402  pylint: disable=wrong-import-position

INVENTORY = ROOT / 'examples' / 'inventory'
DATA = json.loads((ROOT / 'tests' / 'standin' / 'data' / 'users.json').read_text(encoding='utf-8'))
ADMIN = next(account for account in DATA['accounts'] if account['username'] == 'api-admin')

# (title, playbook, pinned now, what the step shows)
STEPS = [
    ('Monday 19:30 in Milano: the nightly lock', 'nightly_lock', '2026-11-23T19:30:00+01:00',
     'Milano and Roma closed at 19:00, Sydney and Bangalore are in the small hours: locked. New York is open: skipped.'),
    ('The same nightly lock again: nothing to change', 'nightly_lock', '2026-11-23T19:30:00+01:00',
     'A repeated run asks the server again and reports changed=0.'),
    ('Tuesday 08:45 in Milano: the morning unlock', 'morning_unlock', '2026-11-24T08:45:00+01:00',
     'Milano, Roma and Bangalore are open: unlocked. New York (02:45) and Sydney (18:45) are closed: skipped.'),
    ('Tuesday 11:00 in Milano: a nightly lock that fires late, after a scheduler outage', 'nightly_lock',
     '2026-11-24T11:00:00+01:00',
     'The open offices are skipped, and the output says why; New York (05:00) is closed, so it is locked.'),
    ('Tuesday 15:00 in New York: reconcile (auto)', 'reconcile', '2026-11-24T15:00:00-05:00',
     'Each site gets the state its own calendar demands: New York open, every other site closed.'),
    # Office calendars (issue 13): the demo's copy of the inventory gives milano the public holidays of Milan and roma
    # an emergency hold (CALENDAR below).
    ("Monday 7 December 08:45 in Milano: the morning unlock on Sant'Ambrogio", 'morning_unlock', '2026-12-07T08:45:00+01:00',
     "Milano keeps Milan's public holidays (holidays: IT-MI): Sant'Ambrogio, its patron saint's day, is skipped. Roma opens."),
    ('Wednesday 9 December 07:30 in Roma: reconcile during an emergency hold', 'reconcile', '2026-12-09T07:30:00+01:00',
     'Roma has a hold since 07:00 (locked until 12:00, toll fraud INC-4711): its phones are locked, and the summary says why.'),
    ('Wednesday 9 December 08:45: the morning unlock, even forced, cannot end the hold', 'morning_unlock', '2026-12-09T08:45:00+01:00',
     'Milano opens; Roma stays locked: a hold wins over every run, office_hours_force included. To end it, change the hold.',
     ['-e', '{"office_hours_force": true}']),
]
RERUN_STEP = 1
# What the demo adds to its copy of examples/inventory: Milan's public holidays, an emergency lock of Roma.
CALENDAR = {
    'milano': {'holidays': {'country': 'IT', 'subdivision': 'MI', 'language': 'it_IT'}},
    'roma': {'holds': [{'state': 'locked', 'from': '2026-12-09T07:00:00+01:00', 'until': '2026-12-09T12:00:00+01:00',
                        'reason': 'toll fraud INC-4711'}]},
}


def phones(url):
    with urllib.request.urlopen(url + '/_standin/phones', timeout=10) as reply:
        return json.load(reply)['phones']


def table(rows):
    """Phones per site (customField1, what the example sites select on): how many are locked."""
    counts = collections.OrderedDict()
    for phone in sorted(rows, key=lambda row: row['customField1']):
        entry = counts.setdefault(phone['customField1'], [0, 0])
        entry[0 if phone['locked'] else 1] += 1
    lines = ['%-12s %8s %8s' % ('phones of', 'locked', 'unlocked'), '-' * 30]
    lines += ['%-12s %8d %8d' % (site, locked, unlocked) for site, (locked, unlocked) in counts.items()]
    return '\n'.join(lines)


def calendar_inventory(workdir):
    """A copy of examples/inventory whose sites carry CALENDAR's holidays and hold."""
    import yaml  # pylint: disable=import-outside-toplevel
    target = Path(workdir) / 'inventory'
    shutil.copytree(INVENTORY, target)
    sites_file = target / 'group_vars' / 'phonelock' / 'sites.yml'
    data = yaml.safe_load(sites_file.read_text(encoding='utf-8'))
    for site in data['office_hours_sites']:
        site.update(CALENDAR.get(site['name'], {}))
    sites_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding='utf-8')
    return target


def condensed(output):
    """The role's per-site summary lines and the play recap of an ansible-playbook output."""
    summary = re.search(r'TASK \[[^\]]*Summary, per site\] \**\n\S+: \[localhost\] => (\{.*?\n\})\n', output, re.S)
    lines = ['(the role\'s summary, per site)'] + ['  ' + line for line in json.loads(summary.group(1))['msg']] if summary else []
    lines += [line for line in output.splitlines() if re.match(r'localhost\s+: ok=', line)]
    return '\n'.join(lines) + '\n'


def run_step(number, step, env, inventory):
    title, playbook, now, what = step[:4]
    extra = step[4] if len(step) > 4 else []
    print('\n=== %d. %s\n%s\n' % (number, title, what), flush=True)
    shown = 'ansible-playbook -i examples/inventory imagicle.phonelock.%s -e office_hours_now=%s%s' % (
        playbook, now, ''.join(' %s \'%s\'' % (extra[index], extra[index + 1]) for index in range(0, len(extra), 2)))
    print('$ %s\n' % shown, flush=True)
    command = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(inventory),
               'imagicle.phonelock.%s' % playbook, '-e', 'office_hours_now=%s' % now] + extra
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    # The first step shows all that Ansible prints; the others its per-site summary and recap, where they differ.
    print(result.stdout if number == 1 or result.returncode != 0 else condensed(result.stdout), flush=True)
    if result.returncode != 0:
        sys.exit('demo step failed (exit %d): %s' % (result.returncode, title))
    recap = re.search(r'localhost\s*:\s*ok=(\d+)\s+changed=(\d+)', result.stdout)
    return int(recap.group(2)) if recap else None


def main():
    with tempfile.TemporaryDirectory(prefix='phonelock-demo-') as workdir:
        try:
            server, port = launch.start(Path(workdir))
        except launch.StartError as exc:
            sys.exit(str(exc))
        url = 'http://127.0.0.1:%d' % port
        try:
            # The credentials travel as an AWX credential injects them: environment variables, never extra vars.
            env = dict(os.environ, IMAGICLE_URL=url, IMAGICLE_USERNAME=ADMIN['username'], IMAGICLE_PASSWORD=ADMIN['password'],
                       ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false')
            print('Stand-in Phone Lock server at %s with %d users; the sites are examples/inventory/group_vars/phonelock/sites.yml.'
                  % (url, len(phones(url))))
            print('Phones before the demo:\n')
            print(table(phones(url)))
            inventory = calendar_inventory(workdir)
            for number, step in enumerate(STEPS, 1):
                changed = run_step(number, step, env, inventory)
                print(table(phones(url)))
                if number == RERUN_STEP + 1 and changed != 0:
                    sys.exit('the repeated nightly lock should report changed=0, it reported changed=%s' % changed)
            held = [phone for phone in phones(url) if phone['customField1'] == 'Roma' and not phone['locked']]
            if held:
                sys.exit('the hold should keep every Roma phone locked through the forced morning unlock; %d are unlocked' % len(held))
            print('\nThe repeated nightly lock reported changed=0, the late lock left the open offices alone, Milano stayed locked on '
                  "Sant'Ambrogio, and Roma's hold won over a forced morning unlock.")
        finally:
            launch.stop(server)


if __name__ == '__main__':
    main()
