# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""_fleet.timer_groups: the timers of many servers grouped by UTC instant, checked against an instant oracle and systemd."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_timers import office_hours_timers
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._fleet import FleetError, _instants, timer_groups

try:
    from hypothesis import given, settings, strategies as st
except ImportError:  # not in every units environment: only the property test needs it
    given = None

START = '2027-01-01'
UTC = timezone.utc


def site(name, zone='Europe/Rome', **calendar):
    return dict(name=name, timezone=zone, selections=[{'department': name}], **calendar)


def server(*sites, defaults=None):
    return {'sites': list(sites), 'defaults': defaults}


def digest(state, lines):
    """The unit name's hash as the docs state it: SHA-256 of the state and the sorted values, one a line."""
    return hashlib.sha256('\n'.join([state] + sorted(lines)).encode()).hexdigest()[:10]


def unit(state, lines, servers):
    """The exact expected timer specification of a group."""
    sites = sorted(name for names in servers.values() for name in names)
    verb, short = ('Lock', 'lock') if state == 'locked' else ('Unlock', 'unlock')
    more = len(lines) - 1
    return {
        'unit': 'imagicle-phonelock-%s-%s' % (short, digest(state, lines)),
        'state': state,
        'playbook': 'imagicle.phonelock.nightly_lock' if state == 'locked' else 'imagicle.phonelock.morning_unlock',
        'on_calendar': lines,
        'description': '%s the phones of %d site%s on %d server%s at %s%s' % (
            verb, len(sites), '' if len(sites) == 1 else 's', len(servers), '' if len(servers) == 1 else 's', lines[0],
            ' and %d more OnCalendar value%s' % (more, '' if more == 1 else 's') if more else ''),
        'servers': dict((host, sorted(names)) for host, names in sorted(servers.items())),
        'hosts': sorted(servers),
        'sites': sites,
    }


def plan(servers, **kwargs):
    kwargs.setdefault('horizon_start', START)
    return sorted(timer_groups(servers, **kwargs), key=lambda spec: spec['unit'])


def by_lines(units):
    return dict((tuple(spec['on_calendar']), spec) for spec in units)


# --- the instant oracle: OnCalendar values read independently of _fleet, one local date at a time --------------------

_WEEKDAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_WEEKLY = re.compile(r'(?:(?P<days>[A-Za-z.,]+) )?\*-\*-\* (?P<at>\d\d:\d\d:\d\d) (?P<zone>\S+)\Z')
_DATED = re.compile(r'(?P<date>\d{4}-\d\d-\d\d) (?P<at>\d\d:\d\d:\d\d) (?P<zone>\S+)\Z')


def _weekdays(text):
    if not text:
        return set(range(7))
    days = set()
    for part in text.split(','):
        first, dummy, last = part.partition('..')
        days.update(range(_WEEKDAYS.index(first), _WEEKDAYS.index(last or first) + 1))
    return days


def _fire(local_date, at, zone):
    """The instant systemd fires at for a local date and time: the first occurrence, None when the time is skipped."""
    wall = datetime.combine(local_date, time.fromisoformat(at))
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    return instant if instant.astimezone(zone).replace(tzinfo=None) == wall else None


def oracle(line, first=date(2026, 12, 31), last=date(2028, 2, 6)):
    """The UTC instants of one OnCalendar value between two UTC dates (the planning window of START: the day before it,
    402 days)."""
    low, high = datetime.combine(first, time(0), UTC), datetime.combine(last, time(0), UTC)
    match = _DATED.match(line)
    if match:
        zone = UTC if match.group('zone') == 'UTC' else ZoneInfo(match.group('zone'))
        fired = _fire(date.fromisoformat(match.group('date')), match.group('at'), zone)
        return set([fired]) if fired and low <= fired < high else set()
    match = _WEEKLY.match(line)
    assert match, line
    days, zone = _weekdays(match.group('days')), ZoneInfo(match.group('zone'))
    found = set()
    for offset in range((last - first).days + 3):
        local = first - timedelta(days=1) + timedelta(days=offset)
        fired = _fire(local, match.group('at'), zone) if local.weekday() in days else None
        if fired and low <= fired < high:
            found.add(fired)
    return found


def fires(lines):
    return set().union(*(oracle(line) for line in lines)) if lines else set()


def check_invariant(servers, units):
    """Every (server, site, state): its own timer's instants are the union of the instants of the units naming it, and
    at most one unit naming it fires at any instant; every value is in one unit of its state."""
    for state in ('locked', 'unlocked'):
        seen = set()
        for spec in units:
            if spec['state'] == state:
                assert not seen & set(spec['on_calendar'])
                seen.update(spec['on_calendar'])
    for host, entry in servers.items():
        own = office_hours_timers(entry['sites'], entry['defaults'], horizon_start=START)
        for timer in own:
            naming = [spec for spec in units if spec['state'] == timer['state'] and timer['site'] in spec['servers'].get(host, ())]
            assert fires(timer['on_calendar']) == fires([line for spec in naming for line in spec['on_calendar']]), (host, timer)
            counted = {}
            for spec in naming:
                for instant in fires(spec['on_calendar']):
                    counted[instant] = counted.get(instant, 0) + 1
            assert all(count == 1 for count in counted.values()), (host, timer['site'])


# --- grouping across zones --------------------------------------------------------------------------------------


def test_zones_that_share_every_instant_are_one_timer():
    servers = {
        'ucx-it': server(site('roma', 'Europe/Rome')),
        'ucx-fr': server(site('paris', 'Europe/Paris')),
        'ucx-uk': server(site('london', 'Europe/London', opens='07:00', closes='17:00')),
    }
    members = {'ucx-it': ['roma'], 'ucx-fr': ['paris'], 'ucx-uk': ['london']}
    assert plan(servers) == sorted([
        unit('locked', ['Mon..Fri *-*-* 17:00:00 Europe/London', 'Mon..Fri *-*-* 18:00:00 Europe/Paris',
                        'Mon..Fri *-*-* 18:00:00 Europe/Rome'], members),
        unit('unlocked', ['Mon..Fri *-*-* 07:00:00 Europe/London', 'Mon..Fri *-*-* 08:00:00 Europe/Paris',
                          'Mon..Fri *-*-* 08:00:00 Europe/Rome'], members),
    ], key=lambda spec: spec['unit'])


def test_new_york_and_london_stay_apart_on_the_weeks_between_the_clock_changes():
    servers = {
        'ucx-us': server(site('nyc', 'America/New_York', days=['mon'], opens='07:00', closes='12:00')),
        'ucx-uk': server(site('london', 'Europe/London', days=['mon'], opens='12:00', closes='17:00')),
    }
    assert plan(servers) == sorted([
        unit('locked', ['Mon *-*-* 12:00:00 America/New_York'], {'ucx-us': ['nyc']}),
        unit('locked', ['Mon *-*-* 17:00:00 Europe/London'], {'ucx-uk': ['london']}),
        unit('unlocked', ['Mon *-*-* 07:00:00 America/New_York'], {'ucx-us': ['nyc']}),
        unit('unlocked', ['Mon *-*-* 12:00:00 Europe/London'], {'ucx-uk': ['london']}),
    ], key=lambda spec: spec['unit'])
    # They differ exactly on the Mondays after the United States changed its clocks and before Europe did.
    differing = oracle('Mon *-*-* 12:00:00 America/New_York') ^ oracle('Mon *-*-* 17:00:00 Europe/London')
    assert sorted(set(instant.date() for instant in differing)) == [date(2027, 3, 15), date(2027, 3, 22), date(2027, 11, 1)]


def test_a_weekly_time_across_both_clock_changes_groups_as_systemd_fires_it():
    # Rome 02:30 and London 01:30 are both skipped on 28 March 2027 and both first occur at 00:30 UTC on 31 October;
    # office_hours_timers adds each site's spring transition as a dated value (03:00 and 02:00 local, both 01:00 UTC).
    servers = {
        'ucx-it': server(site('rome', 'Europe/Rome', days=['sun'], opens='01:00', closes='02:30')),
        'ucx-uk': server(site('london', 'Europe/London', days=['sun'], opens='00:00', closes='01:30')),
    }
    members = {'ucx-it': ['rome'], 'ucx-uk': ['london']}
    assert plan(servers) == sorted([
        unit('locked', ['Sun *-*-* 01:30:00 Europe/London', 'Sun *-*-* 02:30:00 Europe/Rome'], members),
        unit('locked', ['2027-03-28 02:00:00 Europe/London', '2027-03-28 03:00:00 Europe/Rome'], members),
        unit('unlocked', ['Sun *-*-* 00:00:00 Europe/London', 'Sun *-*-* 01:00:00 Europe/Rome'], members),
    ], key=lambda spec: spec['unit'])
    rome = oracle('Sun *-*-* 02:30:00 Europe/Rome')
    assert datetime(2027, 10, 31, 0, 30, tzinfo=UTC) in rome
    assert not [instant for instant in rome if instant.date() in (date(2027, 3, 27), date(2027, 3, 28))]
    check_invariant(servers, plan(servers))


@pytest.mark.parametrize('day, at, zone, count', [
    (6, '02:30:00', 'Europe/Rome', 56),  # 57 Sundays; skipped on 28 March 2027, repeated on 31 October
    (6, '01:30:00', 'Europe/London', 56),
    (6, '02:00:00', 'America/New_York', 56),  # skipped on 14 March 2027 (02:00 itself does not exist)
    (6, '01:30:00', 'America/New_York', 57),  # repeated on 7 November, never skipped
    (6, '02:30:00', 'Australia/Sydney', 57),  # 58 local Sundays in the UTC window; skipped on 3 October 2027
    (0, '18:00:00', 'Europe/Rome', 57),
])
def test_a_weekly_atom_fires_at_first_occurrences_and_not_at_skipped_times(day, at, zone, count):
    window = (int(datetime(2026, 12, 31, tzinfo=UTC).timestamp()), int(datetime(2028, 2, 6, tzinfo=UTC).timestamp()))
    line = '%s *-*-* %s %s' % (_WEEKDAYS[day], at, zone)
    fired = _instants(('weekly', day, at, zone), window, {})
    assert fired == frozenset(int(instant.timestamp()) for instant in oracle(line))
    assert len(fired) == count


def test_the_oracle_skips_a_skipped_time_and_takes_a_repeated_ones_first_occurrence():
    rome = oracle('Sun *-*-* 02:30:00 Europe/Rome')
    assert datetime(2027, 10, 31, 0, 30, tzinfo=UTC) in rome and datetime(2027, 10, 31, 1, 30, tzinfo=UTC) not in rome
    assert [instant for instant in rome if date(2027, 3, 27) <= instant.date() <= date(2027, 3, 28)] == []
    assert datetime(2027, 3, 21, 1, 30, tzinfo=UTC) in rome and datetime(2027, 4, 4, 0, 30, tzinfo=UTC) in rome


def test_a_dated_utc_value_for_a_repeated_time_groups_with_a_local_value_at_the_same_instant():
    # 02:30 after the clocks went back in Rome is 01:30 UTC, written in UTC; New York's 21:30 the evening before is the same instant.
    night = dict(state='unlocked', reason='night shift')
    servers = {
        'ucx-it': server(site('rome', 'Europe/Rome', holds=[dict(night, **{'from': '2027-10-30T20:00:00+02:00', 'until': '2027-10-31T02:30:00+01:00'})])),
        'ucx-us': server(site('nyc', 'America/New_York', holds=[dict(night, **{'from': '2027-10-30T19:00:00-04:00', 'until': '2027-10-30T21:30:00-04:00'})])),
    }
    assert plan(servers) == sorted([
        unit('locked', ['Mon..Fri *-*-* 18:00:00 Europe/Rome'], {'ucx-it': ['rome']}),
        unit('locked', ['Mon..Fri *-*-* 18:00:00 America/New_York'], {'ucx-us': ['nyc']}),
        unit('locked', ['2027-10-30 21:30:00 America/New_York', '2027-10-31 01:30:00 UTC'], {'ucx-it': ['rome'], 'ucx-us': ['nyc']}),
        unit('unlocked', ['Mon..Fri *-*-* 08:00:00 Europe/Rome'], {'ucx-it': ['rome']}),
        unit('unlocked', ['Mon..Fri *-*-* 08:00:00 America/New_York'], {'ucx-us': ['nyc']}),
        unit('unlocked', ['2027-10-30 20:00:00 Europe/Rome'], {'ucx-it': ['rome']}),
        unit('unlocked', ['2027-10-30 19:00:00 America/New_York'], {'ucx-us': ['nyc']}),
    ], key=lambda spec: spec['unit'])
    assert oracle('2027-10-31 01:30:00 UTC') == set([datetime(2027, 10, 31, 1, 30, tzinfo=UTC)])
    check_invariant(servers, plan(servers))


# --- stable names -------------------------------------------------------------------------------------------------

FLEET = {
    'ucx-a': server(site('a1'), site('a2', days=['mon', 'tue', 'wed', 'thu', 'fri', 'sat'], hours={'sat': {'opens': '09:00', 'closes': '13:00'}})),
    'ucx-b': server(site('b1', 'Europe/Paris'), site('b2', 'America/New_York')),
}


def test_a_special_day_of_one_site_gets_its_own_timer_and_renames_no_weekly_timer():
    before = plan(FLEET)
    special = dict(FLEET, **{'ucx-b': server(site('b1', 'Europe/Paris', special_days=[{'date': '2027-12-24', 'opens': '08:00', 'closes': '13:00'}]),
                                             site('b2', 'America/New_York'))})
    after = plan(special)
    added = [spec for spec in after if spec['unit'] not in [old['unit'] for old in before]]
    assert added == [unit('locked', ['2027-12-24 13:00:00 Europe/Paris'], {'ucx-b': ['b1']})]
    assert [spec for spec in after if spec not in added] == before


def test_a_server_with_the_same_schedules_joins_the_timers_without_renaming_them():
    before = plan(FLEET)
    grown = dict(FLEET, **{'ucx-c': server(site('c1', 'Europe/Rome'), site('c2', 'America/New_York'))})
    after = plan(grown)
    assert [spec['unit'] for spec in after] == [spec['unit'] for spec in before]
    rome = by_lines(after)[('Mon..Fri *-*-* 18:00:00 Europe/Paris', 'Mon..Fri *-*-* 18:00:00 Europe/Rome')]
    assert rome == unit('locked', ['Mon..Fri *-*-* 18:00:00 Europe/Paris', 'Mon..Fri *-*-* 18:00:00 Europe/Rome'],
                        {'ucx-a': ['a1', 'a2'], 'ucx-b': ['b1'], 'ucx-c': ['c1']})
    # Removed again, the plan is exactly the first one.
    assert plan(dict((host, entry) for host, entry in grown.items() if host != 'ucx-c')) == before


def test_a_server_with_other_schedules_adds_timers_and_leaves_the_others_exactly_as_they_were():
    before = plan(FLEET)
    grown = dict(FLEET, **{'ucx-jp': server(site('tokyo', 'Asia/Tokyo'))})
    after = plan(grown)
    assert [spec for spec in after if spec in before] == before
    assert [spec for spec in after if spec not in before] == sorted([
        unit('locked', ['Mon..Fri *-*-* 18:00:00 Asia/Tokyo'], {'ucx-jp': ['tokyo']}),
        unit('unlocked', ['Mon..Fri *-*-* 08:00:00 Asia/Tokyo'], {'ucx-jp': ['tokyo']}),
    ], key=lambda spec: spec['unit'])
    assert plan(dict((host, entry) for host, entry in grown.items() if host != 'ucx-jp')) == before


def test_removing_the_server_that_kept_two_groups_apart_converges_to_a_fresh_plan():
    # Only ucx-x works Monday to Thursday: Friday 18:00 is a group of its own while it is there.
    fleet = {'ucx-a': server(site('a1')), 'ucx-x': server(site('x1', days=['mon', 'tue', 'wed', 'thu']))}
    locks = by_lines(spec for spec in plan(fleet) if spec['state'] == 'locked')
    assert locks == by_lines([unit('locked', ['Fri *-*-* 18:00:00 Europe/Rome'], {'ucx-a': ['a1']}),
                              unit('locked', ['Mon..Thu *-*-* 18:00:00 Europe/Rome'], {'ucx-a': ['a1'], 'ucx-x': ['x1']})])
    assert plan({'ucx-a': fleet['ucx-a']}) == sorted([
        unit('locked', ['Mon..Fri *-*-* 18:00:00 Europe/Rome'], {'ucx-a': ['a1']}),
        unit('unlocked', ['Mon..Fri *-*-* 08:00:00 Europe/Rome'], {'ucx-a': ['a1']}),
    ], key=lambda spec: spec['unit'])


def test_the_result_does_not_depend_on_the_order_of_the_servers_or_sites():
    reordered = {'ucx-b': server(*reversed(FLEET['ucx-b']['sites'])), 'ucx-a': server(*reversed(FLEET['ucx-a']['sites']))}
    assert plan(reordered) == plan(FLEET)


# --- systemd agrees ---------------------------------------------------------------------------------------------


def _systemd(lines, iterations):
    """{line: (normalized form, [UTC instants])} from systemd-analyze, from the start of the window."""
    result = subprocess.run(['systemd-analyze', 'calendar', '--iterations=%d' % iterations, '--base-time=2026-12-30 23:59:59 UTC'] + lines,
                            capture_output=True, text=True, env={'TZ': 'UTC', 'LC_ALL': 'C'}, check=False)
    if 'base-time' in result.stderr:
        pytest.skip('this systemd-analyze has no --base-time')
    assert result.returncode == 0, result.stderr
    found = {}
    for block, line in zip(result.stdout.strip().split('\n\n'), lines):
        normalized = re.search(r'Normalized form: (.*)', block).group(1)
        instants = [datetime.strptime(text, '%Y-%m-%d %H:%M:%S').replace(tzinfo=UTC)
                    for text in re.findall(r'(?:Next elapse|Iter\. #\d+): \w+ (\S+ \S+) UTC', block)]
        found[line] = (normalized, instants)
    return found


@pytest.mark.skipif(not shutil.which('systemd-analyze'), reason='systemd-analyze is not installed')
def test_systemd_reads_every_value_unchanged_and_fires_where_the_oracle_says():
    servers = dict(FLEET, **{
        'ucx-it': server(site('rome', 'Europe/Rome', days=['sun'], opens='01:00', closes='02:30',
                              holds=[{'state': 'unlocked', 'reason': 'night', 'from': '2027-10-30T20:00:00+02:00', 'until': '2027-10-31T02:30:00+01:00'}])),
        'ucx-us': server(site('chicago', 'America/Chicago', days=['mon', 'wed', 'thu', 'fri', 'sun'])),
    })
    lines = sorted(set(line for spec in plan(servers) for line in spec['on_calendar']))
    assert '2027-10-31 01:30:00 UTC' in lines and 'Mon,Wed..Fri,Sun *-*-* 18:00:00 America/Chicago' in lines
    read = _systemd(lines, 300)
    for line in lines:
        normalized, instants = read[line]
        assert normalized == line
        expected = sorted(oracle(line))
        # systemd lists the next 300 firings: compare over the instants both cover.
        assert instants[:len(expected)] == expected[:len(instants)], line


# --- the invariant over generated fleets ----------------------------------------------------------------------------

ZONES = ['Europe/Rome', 'Europe/Paris', 'Europe/London', 'America/New_York', 'Australia/Sydney']
CLOCKS = ['00:00', '01:30', '02:30', '07:00', '08:00', '12:00', '17:00', '18:00']

if given is not None:
    _sites = st.lists(st.tuples(st.sampled_from(ZONES), st.sets(st.sampled_from(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']), min_size=1),
                                st.lists(st.sampled_from(CLOCKS), min_size=2, max_size=2, unique=True).map(sorted),
                                st.sampled_from([None, '2027-03-28', '2027-10-31', '2027-06-15'])), min_size=1, max_size=3)

    @settings(max_examples=25, derandomize=True, database=None, deadline=None)
    @given(st.lists(_sites, min_size=1, max_size=4))
    def test_each_site_is_served_exactly_at_its_own_instants(fleet):
        servers = {}
        for number, sites in enumerate(fleet):
            entries = []
            for index, (zone, days, (opens, closes), special) in enumerate(sites):
                entry = site('s%d-%d' % (number, index), zone, days=sorted(days), opens=opens, closes=closes)
                if special:
                    entry['special_days'] = [{'date': special, 'opens': '07:00', 'closes': '12:00'}]
                entries.append(entry)
            servers['ucx-%d' % number] = server(*entries)
        check_invariant(servers, plan(servers))
else:
    def test_each_site_is_served_exactly_at_its_own_instants():
        pytest.skip('hypothesis is not installed')


# --- errors -----------------------------------------------------------------------------------------------------


def test_a_site_name_on_two_servers_fails_naming_both():
    with pytest.raises(FleetError) as caught:
        plan({'ucx-emea': server(site('roma'), site('milano')), 'ucx-apac': server(site('Milano', 'Asia/Tokyo'))})
    assert str(caught.value) == (
        'ucx-emea: office_hours_sites[1] (milano): the name is also used by server ucx-apac office_hours_sites[0] (Milano); site names must be '
        'unique across the servers, ignoring case, since office_hours_limit names sites without their server | '
        'ucx-apac: office_hours_sites[0] (Milano): the name is also used by server ucx-emea office_hours_sites[1] (milano); site names must be '
        'unique across the servers, ignoring case, since office_hours_limit names sites without their server')


def test_every_bad_site_of_every_server_is_named_with_its_server_first():
    with pytest.raises(FleetError) as caught:
        plan({'ucx-emea': server(site('roma'), site('milano', days=['mon', 'funday'])), 'ucx-us': server(site('nyc', opens='25:00'))})
    assert str(caught.value) == (
        "ucx-emea: office_hours_sites[1] (milano): days: 'funday' is not a weekday name; use mon, tue, wed, thu, fri, sat or sun | "
        "ucx-us: office_hours_sites[0] (nyc): opens '25:00' is not a time of day; use \"HH:MM\" in 24-hour form, 00:00 to 23:59")


@pytest.mark.parametrize('servers, message', [
    (['ucx-emea'], "servers must be a mapping of each UCX Suite server (inventory host) to {sites: its office_hours_sites, "
                   "defaults: its office_hours_defaults}, not ['ucx-emea'] (list)"),
    (None, 'servers must be a mapping of each UCX Suite server (inventory host) to {sites: its office_hours_sites, '
           'defaults: its office_hours_defaults}, not None (NoneType)'),
    ({'ucx-emea': [site('roma')]}, "ucx-emea: the server's entry must be {sites: office_hours_sites, defaults: office_hours_defaults}, "
                                   "not [{'name': 'roma', 'timezone': 'Europe/Rome', 'selections': [{'department': 'roma'}]}] (list)"),
    ({'ucx-emea': {'site': [site('roma')]}}, "ucx-emea: unknown key site; the server's entry takes sites (its office_hours_sites, required, "
                                             "None for none) and defaults"),
    ({'ucx-emea': {'defaults': {}}}, "ucx-emea: sites is missing; the server's entry takes sites (its office_hours_sites, required, "
                                     "None for none) and defaults"),
    ({'ucx-emea': {'sites': 'roma'}}, 'ucx-emea: office_hours_sites must be a list of sites, not str'),
    ({3: server(site('roma'))}, 'servers: 3 (int) is not a server name; use the inventory host name'),
])
def test_bad_servers_fail_with_a_clear_message(servers, message):
    with pytest.raises(FleetError) as caught:
        plan(servers)
    assert str(caught.value) == message


@pytest.mark.parametrize('kwargs, message', [
    ({'prefix': 'bad prefix'}, 'the prefix \'bad prefix\' is not a valid unit name prefix: use a letter or digit, then letters, digits, "_", "." or "-"'),
    ({'prefix': 'p' * 240}, 'the prefix %s... is too long: the unit names (PREFIX-unlock-<10 hex>.service) must fit in 255 characters' % ('p' * 20)),
    ({'horizon': -1}, 'horizon must be a whole number of days from 0 to 3660 (default 366), not -1'),
    ({'horizon_start': '9999-12-30'}, 'horizon_start 9999-12-30 is out of range: give a date from 1970-01-02 to 8999-12-31'),
    ({'horizon_start': '0001-01-01'}, 'horizon_start 0001-01-01 is out of range: give a date from 1970-01-02 to 8999-12-31'),
    ({'horizon_start': '1/12/2026'}, "horizon_start '1/12/2026' is not a date: use YYYY-MM-DD (for example 2026-11-30)"),
])
def test_bad_options_fail_with_a_clear_message(kwargs, message):
    with pytest.raises(FleetError) as caught:
        plan(FLEET, **kwargs)
    assert str(caught.value) == message


def test_a_server_without_sites_has_no_timers_and_no_server_no_timers():
    assert plan({'ucx-empty': {'sites': None}, 'ucx-a': server(site('a1'))}) == plan({'ucx-a': server(site('a1'))})
    assert plan({}) == []
