# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench: one phones task with many selections against the usual alternatives, on the bundled stand-in server.

Prints a table of wall times (median of several runs), the TCP connections the stand-in accepted during each run,
and the ratios the performance issue sets targets for. Plain HTTP and TLS (the stand-in's throw-away CA, given to the
module as ca_path). The targets are reported as PASS or MISS and never change the exit code; a run that did not send
exactly the expected requests (checked in the stand-in's request log) or did not leave exactly the expected phones
locked exits 1, because its timing would mean nothing.

Expects the collection installed on ANSIBLE_COLLECTIONS_PATH (make install) and a Python with ansible-core,
requests and flask (the Makefile's tools virtual environment). See benchmarks/README.md.
"""

import argparse
import datetime
import hashlib
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tests' / 'standin'))
import launch  # noqa: E402  pylint: disable=wrong-import-position

DATA = json.loads((ROOT / 'tests' / 'standin' / 'data' / 'users.json').read_text(encoding='utf-8'))
USERNAME = 'api-complete'
PASSWORD = next(account['password'] for account in DATA['accounts'] if account['username'] == USERNAME)
API_PATH = '/fw/Apps/StoneLock/WebAPI/Phones/Lock'
SITES = ['Milano', 'Roma', 'New York', 'Bangalore', 'Sydney']

PHONES_PLAYBOOK = '''
- name: Benchmark, one phones task
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Lock every selection in one task
      imagicle.phonelock.phones:
        url: "{{ bench_url }}"
        username: "{{ bench_username }}"
        password: "{{ bench_password }}"
        state: locked
        selections: "{{ bench_selections }}"
        concurrency: "{{ bench_concurrency | default(omit) }}"
        ca_path: "{{ bench_ca_path | default(omit) }}"
'''

URI_PLAYBOOK = '''
- name: Benchmark, ansible.builtin.uri in a loop
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Lock each selection with its own request
      ansible.builtin.uri:
        url: "{{ item }}"
        method: PUT
        url_username: "{{ bench_username }}"
        url_password: "{{ bench_password }}"
        force_basic_auth: true
        status_code: 200
      loop: "{{ bench_urls }}"
'''


def selections(count):
    """``count`` distinct selections, site x floor (disjoint groups; the higher floors hold nobody)."""
    per_floor = 2 * len(SITES)  # buildings A and B at every site
    floors = ['Building %s / Floor %d' % (building, number) for number in range(1, -(-count // per_floor) + 1) for building in 'AB']
    chosen = [{'customField1': site, 'customField2': floor} for floor in floors for site in SITES][:count]
    assert len(chosen) == count and len({json.dumps(s, sort_keys=True) for s in chosen}) == count, 'not %d distinct selections' % count
    return chosen


def query(selection):
    """The query string exactly as the phones module encodes it (UTF-8, every reserved character escaped)."""
    return '&'.join('%s=%s' % (key, quote(value, safe='')) for key, value in selection.items())


def expected_locked(chosen):
    """The usernames locked after locking ``chosen`` on the stand-in's initial data."""
    wanted = {(s['customField1'], s['customField2']) for s in chosen}
    return sorted(u['username'] for u in DATA['users'] if u['locked'] or (u['customField1'], u['customField2']) in wanted)


# Longer than any run: the benchmark's own inspection connection (opened before the reset that starts a run) must
# survive the run, so that the connections the stand-in accepted during a run are the client's alone.
IDLE_TIMEOUT = 900


class Standin:
    """One stand-in server process, with its files in its own folder (launch.start); over TLS with ``tls``."""

    def __init__(self, workdir, name, latency, tls=False):
        self.name = name
        options = ['--latency', str(latency), '--idle-timeout', str(IDLE_TIMEOUT)]
        self.ca_path = str(workdir / name / 'tls' / 'ca.pem') if tls else None
        if tls:
            options += ['--tls-dir', str(workdir / name / 'tls')]
        try:
            self.process, port = launch.start(workdir / name, *options)
        except launch.StartError as exc:
            sys.exit('the stand-in server %r: %s' % (name, exc))
        self.url = '%s://127.0.0.1:%d' % ('https' if tls else 'http', port)
        # One kept-alive connection for every inspection request (verify given per request: REQUESTS_CA_BUNDLE in the
        # environment would override a session's).
        self.session = requests.Session()

    def inspect(self, path, method='GET'):
        reply = self.session.request(method, self.url + '/_standin/' + path, timeout=30, verify=self.ca_path or True)
        reply.raise_for_status()
        return reply.json()

    def stop(self):
        self.session.close()
        launch.stop(self.process)


def ansible_playbook(workdir, playbook, extra_vars):
    """Run a playbook on the implicit localhost; return its wall time, or exit with its output when it failed."""
    vars_file = workdir / 'vars.json'
    vars_file.write_text(json.dumps(extra_vars), encoding='utf-8')
    command = [str(Path(sys.executable).parent / 'ansible-playbook'), str(workdir / playbook), '-e', '@' + str(vars_file)]
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_NOCOLOR='1',
               ANSIBLE_STDOUT_CALLBACK='default')
    started = time.perf_counter()
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        print(result.stdout[-4000:])
        sys.exit('ansible-playbook %s failed (exit %d): see its output above' % (playbook, result.returncode))
    return elapsed


def requests_loop(urls):
    """D: what the same requests cost without Ansible, one after the other over one session."""
    started = time.perf_counter()
    with requests.Session() as session:
        session.auth = (USERNAME, PASSWORD)
        for url in urls:
            reply = session.put(url, timeout=30)
            if reply.status_code != 200:
                sys.exit('D: PUT %s answered HTTP %d' % (url, reply.status_code))
    return time.perf_counter() - started


class Variant:  # pylint: disable=too-many-instance-attributes
    """One way of locking the selections, timed over several runs.

    ``concurrency``: the phones module's (the most connections it should open), None for C and D. ``fixed``: the key
    of the variant whose time is the fixed cost subtracted from this one's (E: A, E over TLS: A over TLS).
    """

    def __init__(self, key, label, server, chosen, runs, run, concurrency=None, fixed=None):
        self.key, self.label, self.server, self.chosen, self.runs, self.run = key, label, server, chosen, runs, run
        self.concurrency, self.fixed = concurrency, fixed
        self.times = []
        self.connections = []  # per run: the stand-in's counts (GET /_standin/connections) after it

    def measure(self):
        """Reset the server, run once, check in the request log that exactly the expected requests were sent."""
        self.server.inspect('reset', 'POST')  # also zeroes the connection counts
        elapsed = self.run()
        counts = self.server.inspect('connections')
        log = self.server.inspect('requests')['requests']
        sent = sorted(entry['query_string'] for entry in log)
        problems = []
        if sent != sorted(query(s) for s in self.chosen):
            problems.append('the stand-in logged %d requests (%d distinct), expected %d distinct'
                            % (len(sent), len(set(sent)), len(self.chosen)))
        bad = [entry for entry in log if (entry['method'], entry['path'], entry['status'], entry['user']) != ('PUT', API_PATH, 200, USERNAME)]
        if bad:
            problems.append('%d requests were not a 200 PUT Lock by %s, e.g. %r' % (len(bad), USERNAME, bad[0]))
        locked = sorted(p['username'] for p in self.server.inspect('phones')['phones'] if p['locked'])
        if locked != expected_locked(self.chosen):
            problems.append('%d phones are locked, expected %d' % (len(locked), len(expected_locked(self.chosen))))
        if problems:
            sys.exit('%s (%s): the run did not do the expected work, so its time means nothing: %s'
                     % (self.key, self.label, '; '.join(problems)))
        self.times.append(elapsed)
        self.connections.append(counts)

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def tls(self):
        return self.server.ca_path is not None

    def most(self, count):
        """The largest of a connection count over the runs."""
        return max(counts[count] for counts in self.connections)

    def spread(self, count):
        """A connection count over the runs: '4', or '4-5' when the runs differ."""
        low, high = min(counts[count] for counts in self.connections), self.most(count)
        return str(high) if low == high else '%d-%d' % (low, high)


def machine():
    model = platform.processor() or platform.machine()
    try:
        for line in Path('/proc/cpuinfo').read_text(encoding='utf-8').splitlines():
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    core = subprocess.run([str(Path(sys.executable).parent / 'ansible'), '--version'], stdout=subprocess.PIPE, text=True, check=True)
    version = core.stdout.split('\n', 1)[0].split('core ', 1)[-1].rstrip(']')
    return ('%s, %d cores, %s, Python %s, ansible-core %s, requests %s'
            % (model, os.cpu_count(), platform.platform(terse=True), platform.python_version(), version, requests.__version__))


def installed_collection():
    """The installed collection's folder and the phones module's default concurrency (the one B and E use).

    Warns when the installed collection is not the working tree's (outside make bench, make install may be stale).
    """
    for path in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep):
        installed = Path(path) / 'ansible_collections' / 'imagicle' / 'phonelock'
        if (installed / 'plugins' / 'modules' / 'phones.py').is_file():
            stale = [str(f.relative_to(ROOT)) for f in sorted((ROOT / 'plugins').rglob('*.py'))
                     if not (installed / f.relative_to(ROOT)).is_file()
                     or hashlib.sha256(f.read_bytes()).digest() != hashlib.sha256((installed / f.relative_to(ROOT)).read_bytes()).digest()]
            if stale:
                print('WARNING: the installed collection differs from the working tree (%s): run make install' % ', '.join(stale))
            sys.path.insert(0, path)
            phones = importlib.import_module('ansible_collections.imagicle.phonelock.plugins.modules.phones')
            return installed, phones.argument_spec()['concurrency']['default']
    sys.exit('imagicle.phonelock is not installed on ANSIBLE_COLLECTIONS_PATH: run make bench (or make install and set '
             'ANSIBLE_COLLECTIONS_PATH=%s)' % (ROOT / '.build' / 'collections'))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--runs', type=int, default=5, help='runs of A, B and D (default %(default)s)')
    parser.add_argument('--runs-c', type=int, default=3, help='runs of C, the slow uri loop (default %(default)s)')
    parser.add_argument('--runs-e', type=int, default=3, help='runs of each E variant (default %(default)s)')
    parser.add_argument('--e-selections', type=int, default=1000, help='selections in E (default %(default)s)')
    parser.add_argument('--latency', type=float, default=0.05, help='server latency in E, seconds (default %(default)s)')
    parser.add_argument('--quick', action='store_true', help='one run of everything and 200 selections in E (a smoke test)')
    args = parser.parse_args()
    if args.quick:
        args.runs = args.runs_c = args.runs_e = 1
        args.e_selections = 200
    if min(args.runs, args.runs_c, args.runs_e, args.e_selections) < 1 or args.latency <= 0:
        parser.error('run counts and --e-selections must be 1 or more, --latency more than 0')
    return args


def main():
    args = parse_args()
    installed, default_concurrency = installed_collection()
    started_at = datetime.datetime.now(datetime.timezone.utc)
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix='phonelock-bench-') as tmp:
        workdir = Path(tmp)
        (workdir / 'phones.yml').write_text(PHONES_PLAYBOOK, encoding='utf-8')
        (workdir / 'uri.yml').write_text(URI_PLAYBOOK, encoding='utf-8')
        servers = dict(fast=Standin(workdir, 'fast', 0), slow=Standin(workdir, 'slow', args.latency),
                       fast_tls=Standin(workdir, 'fast-tls', 0, tls=True), slow_tls=Standin(workdir, 'slow-tls', args.latency, tls=True))
        try:
            variants = build_variants(args, workdir, servers, default_concurrency)
            print('warming up (one untimed run of A) ...', flush=True)
            variants[0].measure()
            variants[0].times.clear()
            # Round robin, so that a slow moment of the machine spreads over every variant instead of one.
            for round_number in range(max(v.runs for v in variants)):
                for variant in variants:
                    if round_number < variant.runs:
                        variant.measure()
                        print('  %-5s run %d: %7.2f s' % (variant.key, round_number + 1, variant.times[-1]), flush=True)
        finally:
            for server in servers.values():
                server.stop()
    load.append(os.getloadavg()[0])
    report(args, variants, started_at, installed, load)


def build_variants(args, workdir, servers, default_concurrency):
    hundred, one, many = selections(100), selections(1), selections(args.e_selections)
    auth = dict(bench_username=USERNAME, bench_password=PASSWORD)
    fast, slow, fast_tls, slow_tls = servers['fast'], servers['slow'], servers['fast_tls'], servers['slow_tls']

    def phones(server, chosen, concurrency=None):
        extra = dict(auth, bench_url=server.url, bench_selections=chosen)
        if concurrency is not None:
            extra['bench_concurrency'] = concurrency
        if server.ca_path:
            extra['bench_ca_path'] = server.ca_path
        return lambda: ansible_playbook(workdir, 'phones.yml', extra)

    urls = [fast.url + API_PATH + '?' + query(s) for s in hundred]
    default = default_concurrency
    e_what = '%d selections, %g ms latency' % (len(many), args.latency * 1000)
    return [
        Variant('A', 'phones, 1 selection', fast, one, args.runs, phones(fast, one), concurrency=default),
        Variant('B', 'phones, 100 selections (default concurrency %d)' % default, fast, hundred, args.runs, phones(fast, hundred),
                concurrency=default),
        Variant('C', 'ansible.builtin.uri loop, 100 items', fast, hundred, args.runs_c,
                lambda: ansible_playbook(workdir, 'uri.yml', dict(auth, bench_urls=urls))),
        Variant('D', 'python requests loop, 100 PUTs (no Ansible)', fast, hundred, args.runs, lambda: requests_loop(urls)),
        Variant('E1', 'phones, %s, concurrency 1' % e_what, slow, many, args.runs_e, phones(slow, many, 1), concurrency=1, fixed='A'),
        Variant('E', 'phones, %s, default concurrency %d' % (e_what, default), slow, many, args.runs_e, phones(slow, many),
                concurrency=default, fixed='A'),
        Variant('A-TLS', 'phones, 1 selection, HTTPS', fast_tls, one, args.runs, phones(fast_tls, one), concurrency=default),
        Variant('B-TLS', 'phones, 100 selections, HTTPS (default concurrency %d)' % default, fast_tls, hundred, args.runs,
                phones(fast_tls, hundred), concurrency=default),
        Variant('E-TLS', 'phones, %s, HTTPS, default concurrency %d' % (e_what, default), slow_tls, many, args.runs_e,
                phones(slow_tls, many), concurrency=default, fixed='A-TLS'),
    ]


# (key, limit) of the E targets: (E - fixed) / ideal at most this.
E_TARGETS = {'E': 1.15, 'E-TLS': 1.25}


def report(args, variants, started_at, installed, load):
    by_key = dict((v.key, v) for v in variants)
    a, b, c, d = (by_key[k].median for k in 'ABCD')
    print()
    print('Imagicle Phone Lock benchmark, %s' % started_at.strftime('%Y-%m-%d %H:%M UTC'))
    print('machine: %s' % machine())
    print('load average (1 min) at the start %.2f, at the end %.2f: other work on the machine slows every variant' % tuple(load))
    print('collection: %s; stand-in: tests/standin/server.py on 127.0.0.1, HTTP/1.1 keep-alive; the -TLS variants over HTTPS '
          '(its throw-away CA as ca_path)' % installed)
    print('wall time of the whole ansible-playbook run (A, B, C, E) or of the loop (D); median of the runs, after one untimed run of A.')
    print('connections: TCP connections the stand-in accepted during a run (TLS: and handshakes), as low-high over the runs')
    print()
    print('| variant | what | requests | runs | median s | min s | max s | connections | TLS handshakes |')
    print('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for v in variants:
        print('| %s | %s | %d | %d | %.2f | %.2f | %.2f | %s | %s |' % (
            v.key, v.label, len(v.chosen), len(v.times), v.median, min(v.times), max(v.times), v.spread('accepted'),
            v.spread('tls_handshakes') if v.tls else '-'))
    print()
    # (name, short name, value, operator, limit, format); operator None: informational.
    rows = [('B/A', 'B/A', b / a, '<=', 1.1, '%.2f'),
            ('(B - A) / 99: one more selection in B, ms', None, (b - a) / 99 * 1000, None, None, '%.1f'),
            ('C/B', 'C/B', c / b, '>=', 25, '%.1f'),
            ('B/D', None, b / d, None, None, '%.1f'),
            ('D / 100: one request without Ansible, ms', None, d / 100 * 1000, None, None, '%.1f')]
    if 'B-TLS' in by_key and 'A-TLS' in by_key:
        rows.append(('B-TLS/A-TLS', None, by_key['B-TLS'].median / by_key['A-TLS'].median, None, None, '%.2f'))
    for v in variants:
        if v.fixed is None:
            continue
        fixed = by_key[v.fixed].median
        ideal = len(v.chosen) * args.latency / v.concurrency
        limit = E_TARGETS.get(v.key)  # the targets are for the default concurrency only
        rows.append(('%s / ideal, raw (ideal = %d x %g s / %d = %.2f s)' % (v.key, len(v.chosen), args.latency, v.concurrency, ideal),
                     None, v.median / ideal, None, None, '%.2f'))
        rows.append(('(%s - %s) / ideal: less the fixed cost, %s = %.2f s' % (v.key, v.fixed, v.fixed, fixed),
                     '(%s - %s) / ideal' % (v.key, v.fixed), (v.median - fixed) / ideal, '<=' if limit else None, limit, '%.2f'))
    for v in variants:
        if v.concurrency is None:
            rows.append(('%s: connections (most in a run)' % v.key, None, v.most('accepted'), None, None, '%d'))
            continue
        allowed = min(v.concurrency, len(v.chosen))
        rows.append(('%s: connections (most in a run)' % v.key, '%s connections' % v.key, v.most('accepted'), '<=', allowed, '%d'))
        if v.tls:
            rows.append(('%s: TLS handshakes (most in a run)' % v.key, '%s TLS handshakes' % v.key, v.most('tls_handshakes'),
                         '<=', allowed, '%d'))
    print('| ratio | value | target | result |')
    print('| --- | ---: | --- | --- |')
    missed = []
    for name, short, value, operator, limit, form in rows:
        shown = form % value
        if operator is None:
            print('| %s | %s | (info) | |' % (name, shown))
            continue
        passed = value <= limit if operator == '<=' else value >= limit
        result = 'PASS'
        if not passed:
            result = 'MISS by %.0f%%' % (abs(value / limit - 1) * 100)
            missed.append('%s = %s (target %s %g)' % (short, shown, operator, limit))
        print('| %s | %s | %s %g | %s |' % (name, shown, operator, limit, result))
    print()
    odd = ['%s run %d: %d connections carried API requests, %d accepted' % (v.key, number + 1, counts['api_connections'], counts['accepted'])
           for v in variants for number, counts in enumerate(v.connections) if counts['api_connections'] != counts['accepted']]
    if odd:
        print('note: the stand-in accepted connections that carried no API request (its own inspection connection was '
              'reopened?): ' + '; '.join(odd))
    print('every run sent exactly the expected requests and left exactly the expected phones locked')
    print('targets: %s' % ('all met' if not missed else 'MISSED: ' + '; '.join(missed) + ' (informational: exit code 0)'))
    if args.quick:
        print('(--quick: one run each and %d selections in E; not a measurement to publish)' % args.e_selections)


if __name__ == '__main__':
    main()
