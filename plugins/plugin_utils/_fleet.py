# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The timers of a fleet of UCX Suite servers: every site transition of every server, grouped by the UTC instants it fires at.

Each site's timer lines are computed as the ``office_hours_timers`` filter computes them, then split into atoms (one
weekday, time and zone, or one dated line). Atoms that fire at exactly the same UTC instants over the planning window are
one class; the weekly (or the dated) classes of one state with the same (server, site) members are one unit, whose one
run serves them all.

Instants are systemd's (252, checked with ``systemd-analyze calendar --base-time``): a repeated local time fires at its
first occurrence, and a local time that does not exist (skipped when clocks go forward) does not fire at all that day.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._schedules import (
    HORIZON_DAYS, NAME_PREFIX, PREFIX_RE, START_FIRST, START_LAST, TRANSITIONS, UNIT_NAME_MAX, dated_values, horizon_days, parse_start,
    scheduled_transitions, weekly_value)
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._sites import read_sites
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._values import SiteError, is_mapping, show

# Atoms are compared over this window, in UTC: it holds every site's horizon whatever its zone's date is.
WINDOW_BEFORE, WINDOW_DAYS = 1, 402
SERVER_KEYS = ('sites', 'defaults')
_SERVERS_TEXT = 'a mapping of each UCX Suite server (inventory host) to {sites: its office_hours_sites, defaults: its office_hours_defaults}'
_PLAYBOOKS = dict((state, (short, playbook)) for state, short, playbook, dummy, dummy2 in TRANSITIONS)
_VERBS = {'locked': 'Lock', 'unlocked': 'Unlock'}


class FleetError(SiteError):
    """The fleet cannot be planned; the message names every problem, each with its server first."""


def timer_groups(servers, prefix=NAME_PREFIX, horizon_start=None, horizon=HORIZON_DAYS):
    """One timer specification for each group of transitions that fire at the same instants, over all the servers.

    ``servers`` maps each server to {'sites': office_hours_sites, 'defaults': office_hours_defaults or None}; a server
    whose sites are None has no timers. The result is sorted by unit name (see the office_hours_timer_groups filter).
    A unit's name hashes its state and OnCalendar values only, so a server added or removed with the same schedules as
    others changes the units' ``servers``, never their names.
    """
    days, first = _options(prefix, horizon_start, horizon)
    now = datetime.now(timezone.utc)
    owners = _read_fleet(servers, first, days, now)
    start = datetime.combine(first or now.date(), time(0), timezone.utc) - timedelta(days=WINDOW_BEFORE)
    window = (int(start.timestamp()), int((start + timedelta(days=WINDOW_DAYS)).timestamp()))

    instants = {}
    classes = {}  # (state, instants or the atom itself) -> [atoms, members]
    for (state, atom), members in owners.items():
        fires = _instants(atom, window, instants)
        entry = classes.setdefault((state, fires or atom), [set(), set()])
        entry[0].add(atom)
        entry[1].update(members)
    # Weekly and dated classes never share a unit: a hold or special day added to a site alone in its weekly class would
    # otherwise rename that weekly unit (a class is all weekly or all dated: a weekly atom fires every week).
    units = {}  # (state, kind, members) -> atoms
    for (state, dummy), (atoms, members) in classes.items():
        units.setdefault((state, next(iter(atoms))[0], frozenset(members)), set()).update(atoms)
    result = [_unit(prefix, state, members, atoms) for (state, dummy, members), atoms in units.items()]
    return sorted(result, key=lambda unit: unit['unit'])


def _options(prefix, horizon_start, horizon):
    try:
        days = horizon_days(horizon, 'horizon')
        first = parse_start(horizon_start, 'horizon_start', bounded=True) if horizon_start not in (None, '') else None
    except ValueError as exc:
        # horizon_days names its option before the message already: 'horizon: horizon must be ...'.
        raise FleetError(str(exc).replace('horizon: horizon', 'horizon', 1)) from None
    if first is not None and not START_FIRST <= first <= START_LAST:
        # The planning window reaches past the last date Python holds (and before the first); no real plan needs that.
        raise FleetError('horizon_start %s is out of range: give a date from %s to %s' % (first, START_FIRST, START_LAST))
    if not isinstance(prefix, str) or not PREFIX_RE.match(prefix):
        raise FleetError('the prefix %s is not a valid unit name prefix: use a letter or digit, then letters, digits, "_", "." or "-"' % show(prefix))
    if len('%s-unlock-0123456789.service' % prefix) > UNIT_NAME_MAX:
        raise FleetError('the prefix %s... is too long: the unit names (PREFIX-unlock-<10 hex>.service) must fit in %d characters'
                         % (prefix[:20], UNIT_NAME_MAX))
    return days, first


def _read_fleet(servers, first, days, now):
    """{(state, atom): set of (server, site name)}, after checking every server; FleetError naming every problem."""
    if not is_mapping(servers):
        raise FleetError('servers must be %s, not %s' % (_SERVERS_TEXT, show(servers)))
    problems, read = [], []
    for server, entry in servers.items():
        if not isinstance(server, str) or not server.strip():
            problems.append('servers: %s is not a server name; use the inventory host name' % show(server))
            continue
        if not is_mapping(entry):
            problems.append('%s: the server\'s entry must be {sites: office_hours_sites, defaults: office_hours_defaults}, not %s' % (server, show(entry)))
            continue
        unknown = sorted(str(key) for key in entry if key not in SERVER_KEYS)
        if unknown or 'sites' not in entry:
            problems.append('%s: %s; the server\'s entry takes sites (its office_hours_sites, required, None for none) and defaults'
                            % (server, 'unknown key %s' % ', '.join(unknown) if unknown else 'sites is missing'))
            continue
        if entry['sites'] is None:
            continue
        try:
            sites = read_sites(entry['sites'], entry.get('defaults'))
        except SiteError as exc:
            problems.append('%s: %s' % (server, exc))
            continue
        problems.extend('%s: %s' % (server, site.problem) for site in sites if site.problem)
        read.extend((server, site) for site in sites)
    problems.extend(_clashes(read))
    if problems:
        raise FleetError(' | '.join(problems))

    owners, dated = {}, {}
    for server, entry in read:
        site = entry.site
        member = (server, site.name)
        for state, dummy, dummy2, dummy3, times in scheduled_transitions(site):
            for day, at in times.items():
                owners.setdefault((state, ('weekly', day, at.strftime('%H:%M:%S'), site.timezone)), set()).add(member)
        for state, line, instant in _dated(site, first or now.astimezone(site.zone).date(), days, dated):
            owners.setdefault((state, ('dated', line, instant)), set()).add(member)
    return owners


def _clashes(read):
    """Problems for site names that several servers use, ignoring case: office_hours_limit is one flat list of names."""
    by_name = {}
    for server, entry in read:
        if entry.name is not None:
            by_name.setdefault(entry.name.casefold(), []).append((server, entry))
    problems = []
    for users in by_name.values():
        if len(set(server for server, dummy in users)) < 2:
            continue  # one server's own duplicates are already its problem
        for server, entry in users:
            others = ', '.join('server %s %s (%s)' % (other, used.where, used.name) for other, used in users if other != server)
            problems.append('%s: %s (%s): the name is also used by %s; site names must be unique across the servers, ignoring case, '
                            'since office_hours_limit names sites without their server' % (server, entry.where, entry.name, others))
    return problems


def _dated(site, first, days, cache):
    """[(state, line, UTC epoch second)] of the site's dated OnCalendar values, as office_hours_timers writes them.

    Sites with the same calendar (the same on many servers) share one computation, the costly part of planning a fleet."""
    if not days:
        return []
    key = (site.timezone, tuple(sorted(site.weekly.items())), site.closed, site.holidays, tuple(special[:4] for special in site.special),
           tuple((hold.start, hold.end, hold.state) for hold in site.holds), first, days)
    if key not in cache:
        cache[key] = [(state, line, int(local.timestamp())) for state, line, local in dated_values(site, first, days)]
    return cache[key]


def _instants(atom, window, cache):
    """The UTC epoch seconds at which systemd fires an atom within the window, as a frozenset (cached per atom)."""
    if atom[0] == 'dated':
        return frozenset([atom[2]]) if window[0] <= atom[2] < window[1] else frozenset()
    if atom not in cache:
        dummy, day, at, zone_name = atom
        zone = ZoneInfo(zone_name)  # zoneinfo caches one instance per name
        clock = time.fromisoformat(at)
        local = datetime.fromtimestamp(window[0], timezone.utc).date() - timedelta(days=1)
        local += timedelta(days=(day - local.weekday()) % 7)
        found = []
        while True:
            wall = datetime.combine(local, clock)
            instant = int(wall.replace(tzinfo=zone).timestamp())  # fold=0: a repeated time's first occurrence
            if instant >= window[1]:
                break
            # A skipped time reads back as another wall time: systemd does not fire then.
            if instant >= window[0] and datetime.fromtimestamp(instant, zone).replace(tzinfo=None) == wall:
                found.append(instant)
            local += timedelta(days=7)
        cache[atom] = frozenset(found)
    return cache[atom]


def _unit(prefix, state, members, atoms):
    """The timer specification of one group: its atoms written back as systemd's normalized OnCalendar values."""
    weekly, dated = {}, []
    for atom in atoms:
        if atom[0] == 'weekly':
            weekly.setdefault((atom[3], atom[2]), set()).add(atom[1])
        else:
            dated.append((atom[2], atom[1]))
    lines = [weekly_value(days, at, zone)
             for (zone, at), days in sorted(weekly.items(), key=lambda item: (item[0][0], min(item[1]), item[0][1]))]
    lines += [line for dummy, line in sorted(dated)]
    short, playbook = _PLAYBOOKS[state]
    digest = hashlib.sha256('\n'.join([state] + sorted(lines)).encode('utf-8')).hexdigest()[:10]
    by_server = {}
    for server, site in members:
        by_server.setdefault(server, []).append(site)
    sites = sorted(site for dummy, site in members)
    more = ' and %d more OnCalendar value%s' % (len(lines) - 1, '' if len(lines) == 2 else 's') if len(lines) > 1 else ''
    return dict(
        unit='%s-%s-%s' % (prefix, short, digest),
        state=state,
        playbook=playbook,
        on_calendar=lines,
        description='%s the phones of %s on %s at %s%s' % (_VERBS[state], _count(len(sites), 'site'), _count(len(by_server), 'server'), lines[0], more),
        servers=dict((server, sorted(names)) for server, names in sorted(by_server.items())),
        hosts=sorted(by_server),
        sites=sites,
    )


def _count(number, noun):
    return '%d %s%s' % (number, noun, '' if number == 1 else 's')
