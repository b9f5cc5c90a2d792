# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench-fleet: N UCX Suite servers whose sites all close at one instant, run as the installed timers would.

For each N: N stand-in servers (one process, one port, one account, one data set and one log each), an inventory of N
hosts with 5 sites each, the timers installed with imagicle.phonelock.install_timers into a temporary root, then every
service whose timer fires at the instant started at once, exactly as its unit file says (ExecStart=, Environment=,
EnvironmentFile=, WorkingDirectory=; paths mapped into the root), with "-e office_hours_now=INSTANT" appended. Measures
wall time, peak memory (PSS) of all those processes, CPU seconds and processes; checks in every server's own request
log that it received exactly its own 5 sites' Lock requests. Prints figures, asserts no timings; a run that did not do
the expected work makes the exit code 1. See benchmarks/README.md, "Fleet".

Expects the collection on ANSIBLE_COLLECTIONS_PATH (make install) and the tools virtual environment's Python.
"""

import argparse
import datetime
import json
import math
import os
import re
import resource
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tests' / 'awx'))
# Its timing callback, for --task-times.
from fleet_measure import counter_env  # noqa: E402  pylint: disable=wrong-import-position
SERVER = ROOT / 'tests' / 'standin' / 'server.py'
DATA = json.loads((ROOT / 'tests' / 'standin' / 'data' / 'users.json').read_text(encoding='utf-8'))
API_PATH = '/fw/Apps/StoneLock/WebAPI/Phones/Lock'
# (city in customField1, zone, closing time): three zones, one UTC instant (18:00 CET = 17:00 GMT in November).
SITES = [('Milano', 'Europe/Rome', '18:00'), ('Roma', 'Europe/Rome', '18:00'), ('New York', 'Europe/Paris', '18:00'),
         ('Bangalore', 'Europe/London', '17:00'), ('Sydney', 'Europe/Paris', '18:00')]
CITY_USERS = {city: sum(1 for user in DATA['users'] if user['customField1'] == city) for city, dummy, dummy2 in SITES}
# A Monday, not a closed date: every site's lock timer fires at 17:00 UTC.
DEFAULT_INSTANT = '2026-11-23T17:00:00+00:00'
# systemd's environment for a system service without User= (systemd.exec(5), "Environment variables in spawned processes").
SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin'
# When nothing was measured yet: an ansible-playbook run of the role, PSS of it and its workers (MB).
GUESS_MB_PER_PROCESS = 120
STAND_IN_IDLE_TIMEOUT = 900  # longer than any run

# Install variables, the only thing the layouts differ in.
PER_SERVER_VARS = {
    # As examples/inventory_two_servers/group_vars/phonelock/timers.yml: everything named after the host.
    'office_hours_timers_prefix': 'imagicle-phonelock-{{ inventory_hostname }}',
    'office_hours_timers_sites_file': '/etc/imagicle-phonelock/{{ inventory_hostname }}.json',
    'office_hours_timers_environment_file': '/etc/imagicle-phonelock/{{ inventory_hostname }}.env',
}
FLEET_VARS = {
    # One prefix for the fleet, the units run one ansible-playbook over the servers concerned; the files that hold a
    # server's sites and credentials stay per server.
    'office_hours_timers_fleet': True,
    'office_hours_timers_prefix': 'imagicle-phonelock-fleet',
    'office_hours_timers_sites_file': '/etc/imagicle-phonelock/{{ inventory_hostname }}.json',
    'office_hours_timers_environment_file': '/etc/imagicle-phonelock/{{ inventory_hostname }}.env',
}


class BenchError(Exception):
    """Something the benchmark cannot work with: the message says what and where."""


# --- the stand-in servers ----------------------------------------------------------------------------------------

class Fleet:
    """One stand-in process serving ``count`` servers (server.py --ports), each with its own account and users."""

    def __init__(self, workdir, count):
        self.dir = workdir / 'standin'
        self.dir.mkdir(parents=True)
        self.hosts = ['ucx%0*d' % (max(3, len(str(count))), number) for number in range(1, count + 1)]
        self.accounts = {}
        for number, host in enumerate(self.hosts, 1):
            # Its own account and password (a server that got another's credentials answers 401), and users tagged
            # with its name in customField8, so that its sites' selections name it.
            account = {'username': 'api-' + host, 'password': secrets.token_urlsafe(12) + ':€', 'permission': 'admin', 'department': None}
            self.accounts[host] = account
            users = [dict(user, customField8=host) for user in DATA['users']]
            (self.dir / ('server-%d.json' % number)).write_text(json.dumps({'accounts': [account], 'users': users}), encoding='utf-8')
        ports_file = self.dir / 'ports'
        command = [sys.executable, str(SERVER), '--ports', str(count), '--ports-file', str(ports_file), '--pid-file', str(self.dir / 'pid'),
                   '--data', str(self.dir / 'server-{n}.json'), '--log-file', str(self.dir / 'server-{n}.log'),
                   '--idle-timeout', str(STAND_IN_IDLE_TIMEOUT)]
        with open(self.dir / 'stderr', 'wb') as stderr:
            self.process = subprocess.Popen(command, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=stderr)  # pylint: disable=consider-using-with
        deadline = time.monotonic() + 60 + count / 10
        while not ports_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise BenchError('the stand-in servers did not start: %s' % (self.dir / 'stderr').read_text(encoding='utf-8')[-2000:])
            time.sleep(0.05)
        self.ports = dict(zip(self.hosts, (int(line) for line in ports_file.read_text(encoding='ascii').split())))
        self.session = requests.Session()

    def url(self, host):
        return 'http://127.0.0.1:%d' % self.ports[host]

    def log(self, host):
        return self.dir / ('server-%d.log' % (self.hosts.index(host) + 1))

    def inspect(self, host, path, method='GET'):
        reply = self.session.request(method, self.url(host) + '/_standin/' + path, timeout=30)
        reply.raise_for_status()
        return reply.json()

    def reset(self):
        """Every server back to its data file's state with an empty request log; the access logs' current ends."""
        for host in self.hosts:
            self.inspect(host, 'reset', 'POST')
        return {host: self.log(host).stat().st_size for host in self.hosts}

    def cpu_seconds(self):
        """User + system CPU of the stand-in process so far (it is not waited for until the end)."""
        fields = Path('/proc/%d/stat' % self.process.pid).read_text(encoding='ascii').rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')

    def stop(self):
        if getattr(self, 'session', None):
            self.session.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- the inventory and the installation ---------------------------------------------------------------------------

def slug(city):
    return city.lower().replace(' ', '-')


def expected_requests(host):
    """The decoded query of each Lock request the host's server must receive, and the users each matches."""
    return {(('customField1', city), ('customField8', host)): CITY_USERS[city] for city, dummy, dummy2 in SITES}


def write_inventory(folder, fleet, hosts, install_vars):
    """hosts.yml, host_vars/HOST.yml (connection and 5 sites) and group_vars/phonelock/ (defaults, timers)."""
    (folder / 'host_vars').mkdir(parents=True)
    (folder / 'group_vars' / 'phonelock').mkdir(parents=True)
    connection = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    (folder / 'hosts.yml').write_text(json.dumps({'phonelock': {'hosts': {host: connection for host in hosts}}}, indent=1), encoding='utf-8')
    for host in hosts:
        account = fleet.accounts[host]
        sites = [{'name': '%s-%s' % (host, slug(city)), 'timezone': zone, 'closes': closes,
                  'opens': '07:00' if closes == '17:00' else '08:00',
                  'selections': [{'custom_field1': city, 'custom_field8': host}]} for city, zone, closes in SITES]
        host_vars = {'office_hours_url': fleet.url(host), 'office_hours_username': account['username'],
                     'office_hours_password': account['password'], 'office_hours_sites': sites}
        (folder / 'host_vars' / (host + '.yml')).write_text(json.dumps(host_vars, indent=1), encoding='utf-8')
    (folder / 'group_vars' / 'phonelock' / 'office_hours.yml').write_text(
        json.dumps({'office_hours_defaults': {'days': ['mon', 'tue', 'wed', 'thu', 'fri']}}), encoding='utf-8')
    (folder / 'group_vars' / 'phonelock' / 'timers.yml').write_text(json.dumps(install_vars, indent=1), encoding='utf-8')


def layout_vars(args, root, inventory):
    """The install variables of the layout: the only place where the layouts differ."""
    common = {
        'office_hours_timers_root': str(root),
        'office_hours_timers_manage_systemd': False,
        'office_hours_timers_credentials': {'url': '{{ office_hours_url }}', 'username': '{{ office_hours_username }}',
                                            'password': '{{ office_hours_password }}'},
        # The services find the collection where this run does.
        'office_hours_timers_environment': {'ANSIBLE_COLLECTIONS_PATH': args.collections},
        # Every run writes its servers' status and metrics, as installed timers do; a real folder (paths inside the
        # run files and -e values are not under the root), the same for both layouts.
        'office_hours_timers_status_dir': str(inventory.parent / 'status'),
    }
    if args.layout == 'per-server':
        return dict(common, **PER_SERVER_VARS)
    extra = dict(FLEET_VARS, office_hours_timers_forks=args.forks)
    for name, value in args.fleet_var:
        extra[name] = json.loads(json.dumps(value).replace('{inventory}', str(inventory)))
    return dict(common, **extra)


def ansible_env(args):
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=args.collections, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false',
                ANSIBLE_STDOUT_CALLBACK='default')


def install(args, folder, inventory):
    """install_timers over the inventory; its wall time, or BenchError with the play's failure messages."""
    command = [str(Path(sys.executable).parent / 'ansible-playbook'), 'imagicle.phonelock.install_timers', '-i', str(inventory),
               '-e', 'office_hours_hosts=phonelock', '--forks', str(args.install_forks)]
    started = time.perf_counter()
    with open(folder / 'install.log', 'w', encoding='utf-8') as output:
        result = subprocess.run(command, cwd=folder, env=ansible_env(args), stdout=output, stderr=subprocess.STDOUT, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        text = (folder / 'install.log').read_text(encoding='utf-8')
        messages = sorted({m.group(1) for m in re.finditer(r'"msg": "((?:[^"\\]|\\.)*)"', text)})
        raise BenchError('install_timers failed (exit %d): %s (all of it in %s)'
                         % (result.returncode, ' | '.join(messages[:3]) or text[-600:], folder / 'install.log'))
    return elapsed


# --- reading the unit files as systemd does ------------------------------------------------------------------------

C_ESCAPES = {'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v', 's': ' ', '\\': '\\', '"': '"', "'": "'"}


def read_unit(path):
    """{section: {key: [values]}} of a unit file: comments (# ;), continuation lines (trailing backslash)."""
    sections, current, pending = {}, None, ''
    for raw in path.read_text(encoding='utf-8').splitlines():
        line = pending + raw.strip() if pending else raw.strip()
        pending = ''
        if not line or line[0] in '#;':
            continue
        if line.endswith('\\'):
            pending = line[:-1] + ' '
            continue
        if line.startswith('[') and line.endswith(']'):
            current = sections.setdefault(line[1:-1], {})
        elif '=' in line and current is not None:
            key, value = line.split('=', 1)
            current.setdefault(key.strip(), []).append(value.strip())
        else:
            raise BenchError('%s: cannot read the line %r' % (path, raw))
    return sections


def split_words(value, where, dollars):
    """Split a command line (or Environment=) as systemd does: quotes, C escapes inside and outside quotes, then the
    specifier %% (others are refused: the role writes none) and, in a command line, $$ (a $VARIABLE is refused)."""
    words, i = [], 0
    while i < len(value):
        if value[i] in ' \t':
            i += 1
            continue
        quote = value[i] if value[i] in '"\'' else None
        i += 1 if quote else 0
        word = []
        while i < len(value) and (value[i] != quote if quote else value[i] not in ' \t'):
            if value[i] == '\\':
                if i + 1 >= len(value) or value[i + 1] not in C_ESCAPES:
                    raise BenchError('%s: an escape the benchmark does not read in %r' % (where, value))
                word.append(C_ESCAPES[value[i + 1]])
                i += 2
            else:
                word.append(value[i])
                i += 1
        if quote:
            if i >= len(value):
                raise BenchError('%s: unterminated quote in %r' % (where, value))
            i += 1
        words.append(unspecify(''.join(word), where, dollars))
    return words


def unspecify(word, where, dollars):
    out, i = [], 0
    while i < len(word):
        char = word[i]
        if char == '%' or (dollars and char == '$'):
            if word[i + 1:i + 2] != char:
                raise BenchError('%s: %r holds a systemd specifier or variable (%s) the benchmark does not expand' % (where, word, word[i:i + 2]))
            i += 1
        out.append(char)
        i += 1
    return ''.join(out)


def read_environment_file(path):
    """NAME=VALUE lines as systemd reads them: '#' and ';' comments; double quotes with \\ \" \\$ \\` escapes; single
    quotes literal; unquoted values with backslash escapes and trailing blanks trimmed."""
    variables = {}
    for raw in path.read_text(encoding='utf-8').splitlines():
        line = raw.lstrip()
        if not line or line[0] in '#;':
            continue
        name, sep, value = line.partition('=')
        if not sep:
            raise BenchError('%s: a line that is not NAME=VALUE' % path)  # never show it: it may hold a password
        if value.startswith('"') and value.rstrip().endswith('"') and len(value.rstrip()) > 1:
            value = re.sub(r'\\([\\"$`])', r'\1', value.rstrip()[1:-1])
        elif value.startswith("'") and value.rstrip().endswith("'") and len(value.rstrip()) > 1:
            value = value.rstrip()[1:-1]
        else:
            value = re.sub(r'\\(.)', r'\1', value.rstrip())
        variables[name.strip()] = value
    return variables


class Service:
    """What systemd would run for one service unit: argv, environment, working folder; paths mapped into the root."""

    def __init__(self, path, root, instant):
        self.name = path.name
        self.root = root
        service = read_unit(path).get('Service', {})
        exec_start = service.get('ExecStart', [])
        if len(exec_start) != 1 or service.get('Type', ['simple'])[-1] != 'oneshot':
            raise BenchError('%s: expected Type=oneshot with one ExecStart=, the role writes that' % path)
        words = split_words(exec_start[0], path, dollars=True)
        if words[0][:1] in '-@+!:':
            raise BenchError('%s: ExecStart= prefixes are not read by the benchmark' % path)
        # The playbooks judge the calendars at this instant instead of the clock (office_hours_now).
        self.argv = [self.map_word(word) for word in words] + ['-e', 'office_hours_now=' + instant]
        self.environment = {'PATH': SYSTEMD_PATH}
        for assignment in service.get('Environment', []):
            for word in split_words(assignment, path, dollars=False):
                name, dummy, value = word.partition('=')
                self.environment[name] = self.map_word(value)
        for file_name in service.get('EnvironmentFile', []):  # read later than Environment=, so it wins (as in systemd)
            optional = file_name.startswith('-')
            mapped = self.in_root(unspecify(file_name.lstrip('-'), path, dollars=False))
            if mapped.exists() or not optional:
                try:
                    self.environment.update(read_environment_file(mapped))
                except OSError as exc:
                    raise BenchError('%s: EnvironmentFile= %s: %s (systemd would fail the service)' % (path, mapped, exc.strerror)) from exc
        directory = service.get('WorkingDirectory', [''])[-1]
        self.cwd = str(self.in_root(unspecify(directory.lstrip('-'), path, dollars=False))) if directory else '/'
        if service.get('User', [''])[-1] not in ('', 'root'):
            print('  note: %s has User=%s; the benchmark runs it as itself' % (path.name, service['User'][-1]))

    def in_root(self, path):
        return self.root / path.lstrip('/')

    def map_word(self, word):
        """/PATH, @/PATH and NAME=/PATH mapped into the root when the root holds that path (the installed files)."""
        match = re.match(r'(@|[A-Za-z_][A-Za-z0-9_]*=)?(/.*)\Z', word, re.S)
        if match and self.in_root(match.group(2)).exists():
            return (match.group(1) or '') + str(self.in_root(match.group(2)))
        return word


def firing_services(root, instant):
    """The service files of the timers under the root whose next elapse after instant - 1 s is the instant."""
    timers = sorted(root.rglob('*.timer'))
    calendars = {}
    for timer in timers:
        section = read_unit(timer).get('Timer', {})
        unit = section.get('Unit', [timer.stem + '.service'])[-1]
        calendars[timer] = (section.get('OnCalendar', []), timer.parent / unit)
    expressions = sorted({value for values, dummy in calendars.values() for value in values})
    elapses, how = next_elapses(expressions, instant)
    firing = sorted({service for values, service in calendars.values() if any(elapses[value] == instant for value in values)})
    return firing, len(timers), how


def next_elapses(expressions, instant):
    """{expression: next elapse after instant - 1 s (UTC datetime or None)}, from systemd-analyze, else computed here."""
    analyze = shutil.which('systemd-analyze')
    if analyze is None:
        return {value: own_next_elapse(value, instant) for value in expressions}, 'computed by the benchmark (no systemd-analyze)'
    base = '@%d' % (instant.timestamp() - 1)
    elapses = {}
    for start in range(0, len(expressions), 200):
        chunk = expressions[start:start + 200]
        result = subprocess.run([analyze, 'calendar', '--iterations=1', '--base-time=' + base, *chunk], env=dict(os.environ, TZ='UTC'),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        found = re.findall(r'^\s*Next elapse: (.*)$', result.stdout, re.M)
        if result.returncode != 0 or len(found) != len(chunk):
            raise BenchError('systemd-analyze calendar did not read the installed calendars: %s' % result.stdout[-1000:])
        for value, text in zip(chunk, found):
            elapses[value] = None if text.strip() == 'never' else datetime.datetime.strptime(
                text.strip(), '%a %Y-%m-%d %H:%M:%S UTC').replace(tzinfo=datetime.timezone.utc)
    return elapses, 'systemd-analyze calendar'


def own_next_elapse(value, instant):
    """The forms the role writes ('[Mon..Fri ]*-*-* HH:MM:SS Zone', 'YYYY-MM-DD HH:MM:SS Zone'): the instant itself
    when it matches, else None (this benchmark asks nothing more)."""
    import zoneinfo  # pylint: disable=import-outside-toplevel
    days = 'Mon Tue Wed Thu Fri Sat Sun'.split()
    match = re.match(r'(?:([A-Za-z.,]+) )?(\*-\*-\*|\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) (\S+)\Z', value)
    if not match:
        raise BenchError('cannot evaluate OnCalendar=%s without systemd-analyze' % value)
    local = instant.astimezone(zoneinfo.ZoneInfo(match.group(4)))
    allowed = set()
    for part in (match.group(1) or 'Mon..Sun').split(','):
        first, dummy, last = part.partition('..')
        allowed.update(days[days.index(first):days.index(last or first) + 1])
    ok = (days[local.weekday()] in allowed and local.strftime('%H:%M:%S') == match.group(3)
          and match.group(2) in ('*-*-*', local.strftime('%Y-%m-%d')))
    return instant if ok else None


# --- running and measuring ----------------------------------------------------------------------------------------

def descendants(ancestor, exclude):
    """PIDs of every living descendant of ancestor, excluding the subtree of exclude."""
    children = {}
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                stat = Path('/proc/%s/stat' % name).read_text(encoding='ascii')
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(')', 1)[1].split()[1]), []).append(int(name))
    found, todo = [], [pid for pid in children.get(ancestor, []) if pid != exclude]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(child for child in children.get(pid, []) if child != exclude)
    return found


def memory_kb(pid):
    """(PSS, RSS) in kB from smaps_rollup; (0, 0) once the process is gone."""
    try:
        text = Path('/proc/%d/smaps_rollup' % pid).read_text(encoding='ascii')
    except OSError:
        return 0, 0
    fields = dict(re.findall(r'^(\w+):\s+(\d+) kB', text, re.M))
    return int(fields.get('Pss', 0)), int(fields.get('Rss', 0))


class Sampler(threading.Thread):
    """Every ``interval`` s: the processes under this one (the stand-ins excluded), their summed PSS and RSS."""

    def __init__(self, interval, exclude, limit_kb):
        super().__init__(daemon=True)
        self.interval, self.exclude, self.limit_kb = interval, exclude, limit_kb
        self.stopping = threading.Event()
        self.peak_pss = self.peak_rss = self.peak_count = 0
        self.seen = set()
        self.aborted = False
        self.samples = 0  # under load a sample takes longer than the interval: the mean spacing is printed

    def run(self):
        while not self.stopping.is_set():
            pids = descendants(os.getpid(), self.exclude)
            pss = rss = 0
            for pid in pids:
                one_pss, one_rss = memory_kb(pid)
                pss, rss = pss + one_pss, rss + one_rss
            self.seen.update(pids)
            self.samples += 1
            self.peak_pss, self.peak_rss = max(self.peak_pss, pss), max(self.peak_rss, rss)
            self.peak_count = max(self.peak_count, len(pids))
            if pss > self.limit_kb:
                # A design that does not bound its processes must not take the machine down: stop what this run started.
                self.aborted = True
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            self.stopping.wait(self.interval)


def answered_at(fleet, hosts, offsets):
    """Epoch of the last API reply in the hosts' access logs since the offsets (the log's clock is local time, ms)."""
    last = None
    for host in hosts:
        with open(fleet.log(host), encoding='utf-8') as log:
            log.seek(offsets[host])
            for line in log:
                if API_PATH in line and not line.rstrip().endswith('inspection'):
                    stamp = time.mktime(time.strptime(line[:19], '%Y-%m-%d %H:%M:%S')) + int(line[20:23]) / 1000
                    last = stamp if last is None else max(last, stamp)
    return last


def check_requests(fleet, hosts):
    """(correct requests, expected requests, problems): every server exactly its own sites' Lock requests, once each,
    200, by its own account, matching its users; the servers outside this N nothing at all."""
    problems, good, wanted = [], 0, 0
    for host in fleet.hosts:
        log = fleet.inspect(host, 'requests')['requests']
        expected = expected_requests(host) if host in hosts else {}
        wanted += len(expected)
        seen = {}
        for entry in log:
            key = tuple(sorted(tuple(pair) for pair in entry['args']))
            ok = ((entry['method'], entry['path'], entry['status'], entry['user']) == ('PUT', API_PATH, 200, fleet.accounts[host]['username'])
                  and key in expected and entry['matched'] == expected[key] and key not in seen)
            seen[key] = True
            if ok:
                good += 1
            else:
                problems.append('%s received %s %s?%s -> %s (user %s)' % (host, entry['method'], entry['path'], entry['query_string'],
                                                                          entry['status'], entry['user']))
        problems.extend('%s did not receive the Lock of %s' % (host, dict(key)) for key in expected if key not in seen)
    return good, wanted, problems


def run_once(args, fleet, hosts, services):
    """Start every firing service at once, as systemd would; wait for all; measure; check the servers' logs."""
    offsets = fleet.reset()
    server_cpu = fleet.cpu_seconds()
    logs = args.workdir_now / 'runs'
    logs.mkdir(exist_ok=True)
    sampler = Sampler(args.sample_interval, fleet.process.pid, args.max_memory_gb * 1024 * 1024)
    sampler.start()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started_wall, started = time.time(), time.perf_counter()
    running, outputs = {}, []
    for index, service in enumerate(services):
        environment = service.environment
        if args.task_times:
            environment = dict(environment, **counter_env(args.workdir_now / ('callback-%d' % index)))
            environment['PHONELOCK_TASK_TIMES'] = str(args.workdir_now / ('task-times-%d.json' % index))
        output = open(logs / ('%d-%s.log' % (index, service.name)), 'w', encoding='utf-8')  # pylint: disable=consider-using-with
        outputs.append(output)
        process = subprocess.Popen(service.argv, env=environment, cwd=service.cwd, stdout=output,  # pylint: disable=consider-using-with
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        running[process.pid] = (process, service, output.name)
    failed = []
    while running:
        pid, status = os.waitpid(-1, 0)  # whichever ends first: its end time is the true one
        if pid == fleet.process.pid:
            raise BenchError('the stand-in servers exited during the run: %s' % (fleet.dir / 'stderr'))
        process, service, output_name = running.pop(pid, (None, None, None))
        if process is not None:
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode != 0:
                failed.append('%s exited %d (its output: %s)' % (service.name, process.returncode, output_name))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler.stopping.set()
    sampler.join()
    for output in outputs:
        output.close()
    last = answered_at(fleet, hosts, offsets)
    good, wanted, problems = check_requests(fleet, hosts)
    return {
        'wall': wall, 'answered': None if last is None else last - started_wall,
        'pss_mb': sampler.peak_pss / 1024, 'rss_mb': sampler.peak_rss / 1024,
        'cpu': (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        'server_cpu': fleet.cpu_seconds() - server_cpu,
        'services': len(services), 'peak_processes': sampler.peak_count, 'seen_processes': len(sampler.seen),
        'sample_spacing': wall / max(1, sampler.samples),
        'good': good, 'wanted': wanted,
        'problems': (['stopped: the processes held more than %g GB (--max-memory-gb)' % args.max_memory_gb] if sampler.aborted else []) + failed + problems,
    }


# --- the table ----------------------------------------------------------------------------------------------------

def spread(values, fmt):
    if not values:
        return '-'
    low, middle = min(values), statistics.median(values)
    return (fmt % low) if len(values) == 1 else '%s / %s' % (fmt % low, fmt % middle)


def measure(args, fleet, count, single):
    """Install and run for N = count; a row of the table (with 'not_run' when refused or failed)."""
    hosts = fleet.hosts[:count]
    row = {'n': count, 'runs': []}
    per_process = (single['pss_mb'] / single['services']) if single else GUESS_MB_PER_PROCESS
    if args.layout == 'per-server' and 5 * count > args.max_processes:
        # Known before installing: the per-server units start one ansible-playbook per site.
        row['not_run'] = 'not run: would start %d processes, about %.1f GB' % (5 * count, 5 * count * per_process / 1024)
        return row
    folder = args.workdir / ('n%d' % count)
    root, inventory = folder / 'root', folder / 'inventory'
    root.mkdir(parents=True)
    (folder / 'status').mkdir()
    write_inventory(inventory, fleet, hosts, layout_vars(args, root, inventory))
    try:
        row['install'] = install(args, folder, inventory)
        firing, timers, how = firing_services(root, args.instant_dt)
        services = [Service(path, root, args.instant) for path in firing]
    except BenchError as exc:
        row['not_run'] = 'not run: %s' % exc
        row['failed'] = True
        return row
    print('N=%d: %d timers installed in %.1f s, %d services fire at %s (%s)'
          % (count, timers, row['install'], len(services), args.instant, how))
    if services:
        print('  e.g. %s: %s' % (services[0].name, shlex.join(services[0].argv)))
    if not services:
        row['not_run'], row['failed'] = 'not run: no timer fires at %s' % args.instant, True
        return row
    if args.layout == 'fleet' and count > 1 and len(services) >= 5 * count:
        print('  note: the fleet layout installed one service per site (%d for %d servers): the role does not group'
              ' the servers yet' % (len(services), count))
    if len(services) > args.max_processes:
        row['not_run'] = 'not run: would start %d processes, about %.1f GB' % (len(services), len(services) * per_process / 1024)
        return row
    for repeat in range(args.repeat):
        args.workdir_now = folder / ('run%d' % repeat)
        args.workdir_now.mkdir()
        result = run_once(args, fleet, hosts, services)
        row['runs'].append(result)
        print('  run %d: wall %.1f s, last answer %s s, peak %.0f MB PSS (%.0f MB RSS), CPU %.1f s (+%.1f s stand-in), %d services,'
              ' peak %d processes (%d seen), requests %d/%d; a memory sample every %.2f s'
              % (repeat + 1, result['wall'], '-' if result['answered'] is None else '%.1f' % result['answered'], result['pss_mb'],
                 result['rss_mb'], result['cpu'], result['server_cpu'], result['services'], result['peak_processes'],
                 result['seen_processes'], result['good'], result['wanted'], result['sample_spacing']))
        for problem in result['problems'][:5]:
            print('    PROBLEM: ' + problem)
        if args.task_times:
            print_task_times(args.workdir_now)
    return row


def print_task_times(folder, top=10):
    """The costliest tasks of the run's first service, seconds from each task's start to the next one's."""
    path = folder / 'task-times-0.json'
    if not path.exists():
        print('    task times: none written (%s)' % path)
        return
    times = json.loads(path.read_text(encoding='utf-8'))
    print('    task times of the first service, costliest first (%.1f s in all):' % sum(seconds for dummy, seconds in times))
    for name, seconds in times[:top]:
        print('      %7.1f s  %s' % (seconds, name))


def print_table(args, rows, single):
    print()
    print('| N | layout | wall s | last answer s | peak MB (PSS) | CPU s | processes | peak processes | requests ok |')
    print('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for row in rows:
        runs = row['runs']
        if not runs:
            # One line, short: the whole message was printed when it happened.
            print('| %d | %s | %s | | | | | | |' % (row['n'], args.layout, ' '.join(row['not_run'].split())[:120]))
            continue
        answered = [run['answered'] for run in runs if run['answered'] is not None]
        print('| %d | %s | %s | %s | %s | %s | %d | %d | %s |' % (
            row['n'], args.layout, spread([run['wall'] for run in runs], '%.1f'), spread(answered, '%.1f'),
            spread([run['pss_mb'] for run in runs], '%.0f'), spread([run['cpu'] for run in runs], '%.1f'), runs[0]['services'],
            max(run['peak_processes'] for run in runs),
            ', '.join(sorted({'%d/%d' % (run['good'], run['wanted']) for run in runs}))))
    print('(with --repeat > 1: min / median)')
    if single is None:
        return
    base = statistics.median([run['wall'] for run in single['runs']])
    print()
    forks = args.forks if args.layout == 'fleet' else 1
    print('single-server wall time (N=1, median): %.1f s; ratio = median wall / (max(1, N / %d) x single)%s'
          % (base, forks, '' if args.layout == 'fleet' else ' (per-server: forks 1, each server on its own)'))
    for row in rows:
        if row['runs'] and row['n'] > 1:
            ideal = max(1.0, row['n'] / forks) * base
            ratio = statistics.median([run['wall'] for run in row['runs']]) / ideal
            target = '' if args.layout != 'fleet' else ('  target <= 3: %s' % ('PASS' if ratio <= 3 else 'MISS'))
            print('  N=%d: %.2f%s' % (row['n'], ratio, target))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--servers', default='10,100,300', help='the N to measure, comma-separated; 1 is always measured first (default %(default)s)')
    parser.add_argument('--layout', choices=['per-server', 'fleet'], default='per-server', help='how the timers are installed (default %(default)s)')
    parser.add_argument('--forks', type=int, default=5, help="office_hours_timers_forks of the fleet layout (default %(default)s, the role's)")
    parser.add_argument('--repeat', type=int, default=1, help='runs of each N (default %(default)s)')
    parser.add_argument('--max-processes', type=int, default=60,
                        help='refuse an N whose timers would start more processes at once (default %(default)s)')
    parser.add_argument('--max-memory-gb', type=float, default=16,
                        help='kill a run whose processes hold more than this much memory (PSS) together (default %(default)s)')
    parser.add_argument('--instant', default=DEFAULT_INSTANT, help='when every site closes, ISO 8601 with an offset (default %(default)s)')
    parser.add_argument('--sample-interval', type=float, default=0.05, help='seconds between memory samples (default %(default)s)')
    parser.add_argument('--install-forks', type=int, default=10, help='--forks of the install_timers run (default %(default)s)')
    parser.add_argument('--fleet-var', action='append', default=[], metavar='NAME=JSON',
                        help='one more install variable for the fleet layout ({inventory} is the inventory folder); repeatable')
    parser.add_argument('--task-times', action='store_true', help="print the costliest tasks of each run's first service (a timing callback)")
    parser.add_argument('--keep', action='store_true', help='keep the temporary folder (units, inventories, logs) and print it')
    args = parser.parse_args(argv)
    try:
        args.counts = sorted({1, *(int(part) for part in args.servers.split(',') if part.strip())})
    except ValueError:
        parser.error('--servers takes whole numbers separated by commas, e.g. 10,100,300, not %r' % args.servers)
    if args.counts[0] < 1:
        parser.error('--servers: every N must be 1 or more')
    for name in ('forks', 'repeat', 'install_forks'):
        if getattr(args, name) < 1:
            parser.error('--%s must be 1 or more' % name.replace('_', '-'))
    if not math.isfinite(args.max_memory_gb) or args.max_memory_gb <= 0:
        parser.error('--max-memory-gb must be more than 0')
    if not math.isfinite(args.sample_interval) or args.sample_interval <= 0:
        parser.error('--sample-interval must be more than 0 seconds')
    try:
        args.instant_dt = datetime.datetime.fromisoformat(args.instant)
    except ValueError:
        args.instant_dt = None
    if args.instant_dt is None or args.instant_dt.tzinfo is None:
        parser.error('--instant must be ISO 8601 with an offset, e.g. %s, not %r' % (DEFAULT_INSTANT, args.instant))
    fleet_vars = []
    for item in args.fleet_var:
        name, sep, value = item.partition('=')
        try:
            fleet_vars.append((name, json.loads(value)))
        except ValueError:
            sep = ''
        if not sep or not re.match(r'[A-Za-z_][A-Za-z0-9_]*\Z', name):
            parser.error('--fleet-var takes NAME=JSON, e.g. office_hours_timers_forks=20, not %r' % item)
    args.fleet_var = fleet_vars
    # Absolute: the services run in / (or their WorkingDirectory=), not here.
    args.collections = ':'.join(os.path.abspath(part) for part in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(':') if part)
    if not args.collections:
        parser.error('set ANSIBLE_COLLECTIONS_PATH to where imagicle.phonelock is installed (make install: .build/collections)')
    return args


def main(argv=None):
    args = parse_args(argv)
    print('fleet benchmark: layout %s, N = %s, forks %d, %d run(s) each, instant %s; %d CPUs, load %s'
          % (args.layout, ', '.join(map(str, args.counts)), args.forks, args.repeat, args.instant, os.cpu_count(),
             ' '.join('%.2f' % load for load in os.getloadavg())))
    args.workdir = Path(tempfile.mkdtemp(prefix='phonelock-fleet-'))
    fleet, rows, single, failed = None, [], None, False
    try:
        fleet = Fleet(args.workdir, max(args.counts))
        for count in args.counts:
            reference = None
            if single is not None:  # N = 1: the memory per service that the refusals estimate from
                reference = {'pss_mb': max(run['pss_mb'] for run in single['runs']), 'services': single['runs'][0]['services']}
            row = measure(args, fleet, count, reference)
            if row.get('not_run'):
                print('N=%d: %s' % (count, row['not_run']))
            failed = failed or row.get('failed', False) or any(run['problems'] for run in row['runs'])
            rows.append(row)
            if count == 1:
                single = row if row['runs'] else None
        print_table(args, rows, single)
    except BenchError as exc:
        print('fleet benchmark: %s' % exc, file=sys.stderr)
        failed = True
    except KeyboardInterrupt:
        failed = True
    finally:
        if fleet is not None:
            fleet.stop()
        print('load at the end: %s' % ' '.join('%.2f' % load for load in os.getloadavg()))
        if args.keep:
            print('kept: %s' % args.workdir)
        else:
            shutil.rmtree(args.workdir, ignore_errors=True)
    if failed:
        print('at least one N did not do the expected work or was not installed: its figures mean nothing (exit 1)')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
