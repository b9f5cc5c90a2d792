# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make quickstart: the README's quick start, as written, against the stand-in server.

    test_quickstart.py [--make MAKE] [--workdir DIR]

Everything it runs comes from README.md's "Quick start" section, so the doorway cannot drift from what works:

1. The README's `make standin`, with STANDIN_PORT=0 and STANDIN_DIR in the work folder (a free port, never a stand-in a
   developer left running). The export line it prints must be the README's, but for the port, and the README's port
   must be the Makefile's default.
2. The README's sites file is written to the work folder, and the README's export line and `ansible-playbook` command
   are run there with bash (the port replaced), with the collection found through ANSIBLE_COLLECTIONS_PATH.
3. The stand-in is the witness: it must have received one PUT per selection of each site, to Lock or Unlock as the
   site's calendar demands at that moment (read here from the sites file, not by the role), and hold each site's phones
   in that state; the output's summary line of each site must say the same. A second run must say `0 changed` for each
   site. After a reset, the command with the README's pinned instant must print the README's summary lines exactly.
4. The README's `make standin-stop` must stop the server.

Needs PyYAML (the tools venv) and ansible-playbook on PATH with the collection installed (the Makefile gives both).
"""

import argparse
import datetime
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / 'README.md'
PASSWORD = 'Complete-Mgmt-2020'
DAYS = ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')
SITE_KEYS = {'name', 'timezone', 'selections', 'days', 'opens', 'closes', 'hours', 'closed_dates'}
FILTERS = {'department': 'department'}
FILTERS.update(('custom_field%d' % n, 'customField%d' % n) for n in range(1, 11))
FILTERS.update(('customField%d' % n, 'customField%d' % n) for n in range(1, 11))

FAILURES = []


def check(condition, message):
    print('%s: %s' % ('ok' if condition else 'FAILED', message), flush=True)
    if not condition:
        FAILURES.append(message)
    return condition


# --- what the README says ------------------------------------------------------------------------------------------
class QuickStart:
    """The quick start's code blocks and pinned instant, taken from README.md."""

    def __init__(self, text):
        section = re.search(r'^## Quick start.*?$(.*?)^## ', text, re.M | re.S)
        if not section:
            sys.exit('README.md has no "## Quick start" section')
        body = section.group(1)
        blocks = re.findall(r'^```(\w*)\n(.*?)^```', body, re.M | re.S)

        def block(kind, needle):
            found = [code for lang, code in blocks if lang == kind and needle in code]
            if len(found) != 1:
                sys.exit('README.md, Quick start: expected one ```%s block with %r, found %d' % (kind, needle, len(found)))
            return found[0]

        self.start = self.command(block('sh', 'make standin'), 'make standin')
        self.stop = re.search(r'`(make standin-stop)`', body)
        if not self.stop:
            sys.exit('README.md, Quick start: it never says how to stop the stand-in (`make standin-stop`)')
        self.stop = self.stop.group(1)
        self.sites_yaml = block('yaml', 'office_hours_sites:')
        run = block('sh', 'ansible-playbook')
        self.export = self.command(run, 'export IMAGICLE_URL=')
        self.playbook = self.command(run, 'ansible-playbook ')
        self.excerpt = re.findall(r'^\s+"(.+)",?$', block('text', 'Summary, per site'), re.M)
        pinned = re.search(r'`(-e office_hours_now=\S+)`', body)
        if not pinned or not self.excerpt:
            sys.exit('README.md, Quick start: no pinned instant (`-e office_hours_now=...`) or no summary lines')
        self.pinned = pinned.group(1)
        self.url = re.search(r'IMAGICLE_URL=(\S+)', self.export).group(1)

    @staticmethod
    def command(code, prefix):
        lines = [line.split('#')[0].rstrip() for line in code.splitlines() if line.startswith(prefix)]
        if len(lines) != 1:
            sys.exit('README.md, Quick start: expected one command starting %r, found %d' % (prefix, len(lines)))
        return lines[0]


# --- the stand-in --------------------------------------------------------------------------------------------------
def inspect(url, path, method='GET'):
    request = urllib.request.Request(url + '/_standin/' + path, method=method)
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)


def run_make(make, command, env):
    words = shlex.split(command)
    done = subprocess.run(shlex.split(make) + words[1:], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    print('$ %s\n%s%s' % (command, done.stdout, done.stderr), flush=True)
    return done


def run_playbook(quick, url, workdir, extra=''):
    """The README's export line and command, run by bash in the work folder with the stand-in's URL."""
    script = '%s\n%s%s\n' % (quick.export.replace(quick.url, url), quick.playbook, (' ' + extra) if extra else '')
    started = datetime.datetime.now(datetime.timezone.utc)
    done = subprocess.run(['bash', '-euo', 'pipefail', '-c', script], cwd=workdir, capture_output=True, text=True,
                          check=False, env=dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0'))
    ended = datetime.datetime.now(datetime.timezone.utc)
    output = done.stdout + done.stderr
    print('$ %s%s\n%s' % (quick.playbook, (' ' + extra) if extra else '', output), flush=True)
    check(done.returncode == 0, 'the README\'s command exited 0 (got %d)' % done.returncode)
    check(PASSWORD not in output, 'the password appears nowhere in the output')
    return output, started, ended


# --- the oracle: a site's state at an instant, read from the sites file alone ------------------------------------------
def minutes(value):
    hours, mins = value.split(':')
    return int(hours) * 60 + int(mins)


def closed_dates(values):
    dates = set()
    for value in values or []:
        first, dummy, last = str(value).partition('..')
        day, end = datetime.date.fromisoformat(first), datetime.date.fromisoformat(last or first)
        while day <= end:
            dates.add(day)
            day += datetime.timedelta(days=1)
    return dates


def demanded(site, instant):
    """'unlocked' when the site's office is open at the instant, else 'locked'."""
    local = instant.astimezone(ZoneInfo(site['timezone']))
    day = DAYS[local.weekday()]
    if day not in site.get('days', DAYS[:5]) or local.date() in closed_dates(site.get('closed_dates')):
        return 'locked'
    hours = dict(site.get('hours', {}).get(day) or {})
    opens, closes = hours.get('opens', site.get('opens', '08:00')), hours.get('closes', site.get('closes', '18:00'))
    now = local.hour * 60 + local.minute
    return 'unlocked' if minutes(opens) <= now < minutes(closes) else 'locked'


def api_filters(selection):
    return dict((FILTERS[key], value) for key, value in selection.items() if key != 'label')


def matches(phone, filters):
    return all(phone.get(key, '').casefold() == value.casefold() for key, value in filters.items())


def check_stand_in(url, sites, expected):
    """The requests the stand-in received and the phones' states, against each site's expected state."""
    puts = [entry for entry in inspect(url, 'requests')['requests'] if entry['method'] == 'PUT']
    phones = inspect(url, 'phones')['phones']
    selections = sum(len(site['selections']) for site in sites)
    check(len(puts) == selections, 'the stand-in received %d PUTs, one per selection (expected %d)' % (len(puts), selections))
    for site in sites:
        state = expected[site['name']]
        verb = 'Lock' if state == 'locked' else 'Unlock'
        for selection in site['selections']:
            filters = api_filters(selection)
            sent = [entry for entry in puts if dict(entry['args']) == filters]
            check(len(sent) == 1 and sent[0]['path'].endswith('/Phones/' + verb) and sent[0]['status'] == 200,
                  '%s: one PUT .../%s with %s, answered 200 (got %s)' % (
                      site['name'], verb, filters, [(entry['path'], entry['status']) for entry in sent]))
            held = [phone for phone in phones if matches(phone, filters)]
            wrong = [phone['username'] for phone in held if phone['locked'] != (state == 'locked')]
            check(held and not wrong, '%s: all %d phones of %s are %s on the stand-in%s' % (
                site['name'], len(held), filters, state, (' (not: %d, such as %s)' % (len(wrong), ', '.join(wrong[:5]))) if wrong else ''))


def summary_line(output, name):
    found = re.findall(r'^\s+"(%s\s+\w{3} \d{4}-\d\d-\d\d \d\d:\d\d \S+\s+.*)",?$' % re.escape(name), output, re.M)
    return found[-1] if found else ''


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--make', default='make')
    parser.add_argument('--workdir', type=Path, default=ROOT / '.build' / 'quickstart')
    args = parser.parse_args()
    quick = QuickStart(README.read_text(encoding='utf-8'))
    args.workdir.mkdir(parents=True, exist_ok=True)
    standin_dir = args.workdir / 'standin'
    env = dict(os.environ, STANDIN_PORT='0', STANDIN_DIR=str(standin_dir))

    default_port = re.search(r'^STANDIN_PORT \?= (\d+)$', (ROOT / 'Makefile').read_text(encoding='utf-8'), re.M).group(1)
    check(quick.url == 'http://127.0.0.1:%s' % default_port,
          'the README\'s IMAGICLE_URL %s is where make standin starts it (port %s)' % (quick.url, default_port))
    sites = yaml.safe_load(quick.sites_yaml)['office_hours_sites']
    lines = len(quick.sites_yaml.splitlines())
    check(15 <= lines <= 25, 'the README\'s sites file has %d lines (15 to 25)' % lines)
    for site in sites:
        unknown = set(site) - SITE_KEYS
        if unknown:
            sys.exit('the sites file uses %s, which this test\'s oracle does not read: extend demanded()' % ', '.join(sorted(unknown)))
    (args.workdir / 'sites.yml').write_text(quick.sites_yaml, encoding='utf-8')

    started = run_make(args.make, quick.start, env)
    if not check(started.returncode == 0, '%s exited 0' % quick.start):
        return 1
    printed = re.search(r'^(export IMAGICLE_URL=(\S+) .*)$', started.stdout, re.M)
    try:
        if not check(printed is not None, '%s printed the export line' % quick.start):
            return 1
        url = printed.group(2)
        check(printed.group(1) == quick.export.replace(quick.url, url),
              'it printed the README\'s export line, but for the port: %s' % printed.group(1))
        check(inspect(url, 'health') == {'ok': True}, 'the stand-in answers at %s' % url)

        # 1. As written: judged now.
        output, begin, end = run_playbook(quick, url, args.workdir)
        expected = {}
        for site in sites:
            at_start, at_end = demanded(site, begin), demanded(site, end)
            line = summary_line(output, site['name'])
            shown = line.split()[5] if line else None
            if at_start == at_end:
                expected[site['name']] = at_start
                check(shown == at_start, '%s: the calendar demands %s now, the summary says %r' % (site['name'], at_start, line))
            else:
                # A transition inside the run: the role's own reading decides; the stand-in must still agree with it.
                expected[site['name']] = shown
                print('note: %s had a transition during the run; checked against the summary (%s)' % (site['name'], shown))
        check_stand_in(url, sites, expected)

        # 2. Again: nothing changes.
        output, dummy, dummy2 = run_playbook(quick, url, args.workdir)
        for site in sites:
            line = summary_line(output, site['name'])
            check(' 0 changed;' in line, '%s: the rerun says 0 changed: %r' % (site['name'], line))

        # 3. At the README's pinned instant, on a fresh stand-in: the README's summary lines, exactly.
        inspect(url, 'reset', method='POST')
        output, dummy, dummy2 = run_playbook(quick, url, args.workdir, quick.pinned)
        check('TASK [imagicle.phonelock.office_hours : Summary, per site]' in output, 'the output has the summary task')
        for line in quick.excerpt:
            check('"%s"' % line in output, 'the output has the README\'s line: %s' % line)
        instant = datetime.datetime.fromisoformat(quick.pinned.split('=', 1)[1])
        check_stand_in(url, sites, dict((site['name'], demanded(site, instant)) for site in sites))
    finally:
        pid_file = standin_dir / 'standin.pid'
        pid = int(pid_file.read_text()) if pid_file.exists() else None
        stopped = run_make(args.make, quick.stop, env)
        check(stopped.returncode == 0, '%s exited 0' % quick.stop)
        if pid:
            time.sleep(0.2)
            alive = Path('/proc/%d' % pid).exists()
            check(not alive, '%s: the stand-in (pid %d) is gone' % (quick.stop, pid))
        if printed:
            port = int(printed.group(2).rsplit(':', 1)[1])
            with socket.socket() as probe:
                refused = probe.connect_ex(('127.0.0.1', port)) != 0
            check(refused, '%s: nothing listens on port %d any more' % (quick.stop, port))

    if FAILURES:
        print('\nquick start FAILED: %d check(s):\n  - %s' % (len(FAILURES), '\n  - '.join(FAILURES)))
        return 1
    print('\nquick start: the README\'s commands, sites file and output hold')
    return 0


if __name__ == '__main__':
    sys.exit(main())
