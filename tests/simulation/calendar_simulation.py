# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Two years of office calendars (issue 13): public holidays, special days and holds, against an independent oracle,
and the schedulers' firings against every change of state.

Sites: the five sites of the year simulation (no calendars of their own) and calendar sites in Rome (IT-RM), New York
(US-NY), Sydney (AU-NSW) and Bengaluru (IN-KA), with special days (a short Christmas Eve, a working Saturday, an opening
on a holiday, an opening in the hour a spring change skips), holds (across a daylight-saving change, open-ended, one
that started before the window) and a reception desk nested in Rome that inherits Rome's hold.

The oracle works from the raw definitions with its own code: holidays as the ``holidays`` package lists them, each UTC
minute's wall clock, openings and closings as the first minute whose wall clock reads the time or later, holds laid
over the minutes. Checked:

* transitions() over the two years equals the oracle's changes of state, exactly (so every minute's state agrees);
  status() at every 29th minute and at each change and the minutes around it: state, and a held site's hold;
* the schedulers: the timers' OnCalendar values (expanded here by hand) and the AWX rrules (expanded with dateutil, as
  AWX does, nonexistent local times skipped) of two installer runs a year apart (horizon 366 days each) must fire at
  every change of state within the horizon exactly once with that state: 0 missed, 0 extra (a dated firing that is not
  a change, or a second firing of one change). Weekly firings on days the calendar keeps closed are counted as idle:
  the run on them finds the calendar agreeing and skips or re-applies;
* the .ics export, parsed back with ``icalendar``, holds exactly the oracle's locked periods (when the export exists).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays as holidays_package
import icalendar
from dateutil import tz as dateutil_tz
from dateutil.rrule import rrulestr

from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_ics import office_hours_ics
from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_rrules import office_hours_rrules
from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_timers import office_hours_timers
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import status, transitions
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import parse_site
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._sites import read_sites

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
END = datetime(2028, 1, 1, tzinfo=timezone.utc)
# The installer runs twice, a year apart: each run's horizon is 366 days from its local date.
RUNS = (date(2026, 1, 1), date(2027, 1, 1))
HORIZON = 366
SAMPLE = 29
WEEKDAYS = ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')

CALENDAR_DEFAULTS = {'closed_dates': ['2026-08-14', '2027-08-16']}
CALENDAR_SITES = [
    {'name': 'roma', 'timezone': 'Europe/Rome', 'selections': [{'custom_field1': 'Roma'}],
     'holidays': {'country': 'IT', 'subdivision': 'RM', 'language': 'it_IT'},
     'special_days': [{'date': '2026-12-24', 'closes': '13:00', 'reason': 'Vigilia'}, {'date': '2027-12-24', 'closes': '13:00'},
                      # a working Saturday; Rome's patron saint's day (a holiday there) worked in the morning
                      {'date': '2026-10-17', 'opens': '09:00', 'closes': '12:30', 'reason': 'inventario'},
                      {'date': '2026-06-29', 'opens': '09:00', 'closes': '12:00'}],
     # an incident across the autumn change (25 October), and one inside office hours
     'holds': [{'state': 'locked', 'from': '2026-10-23T10:30:00+02:00', 'until': '2026-10-26T11:15:00+01:00', 'reason': 'INC-1'},
               {'state': 'locked', 'from': '2027-03-03T14:00:00+01:00', 'until': '2027-03-03T16:45:00+01:00', 'reason': 'INC-2'}]},
    # nested in roma: inherits roma's holds
    {'name': 'roma-desk', 'timezone': 'Europe/Rome', 'selections': [{'custom_field1': 'roma', 'custom_field4': 'Reception'}],
     'days': ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'], 'opens': '07:30', 'closes': '19:30'},
    {'name': 'nyc', 'timezone': 'America/New_York', 'selections': [{'custom_field1': 'NYC-HQ'}],
     'holidays': {'country': 'US', 'subdivision': 'NY', 'categories': ['public']},
     # a night inventory over the spring change (8 March 2026): unlocked while the office is closed
     'holds': [{'state': 'unlocked', 'from': '2026-03-07T20:00:00-05:00', 'until': '2026-03-08T06:00:00-04:00', 'reason': 'inventory'},
               # and one over the autumn change (1 November 2026) that ends at the second 01:30 (a one-off AWX schedule)
               {'state': 'unlocked', 'from': '2026-10-31T20:00:00-04:00', 'until': '2026-11-01T01:30:00-05:00', 'reason': 'inventory'}],
     'special_days': [{'date': '2026-11-27', 'opens': '08:00', 'closes': '12:00', 'reason': 'day after Thanksgiving'}]},
    {'name': 'sydney-nsw', 'timezone': 'Australia/Sydney', 'selections': [{'custom_field1': 'SYD'}],
     'holidays': 'AU-NSW', 'opens': '08:30', 'closes': '17:30',
     # a Sunday opening in the hour the spring change skips (02:00 -> 03:00 on 4 October 2026): it opens at the jump
     'special_days': [{'date': '2026-10-04', 'opens': '02:30', 'closes': '06:00', 'reason': 'migration'},
                      {'date': '2027-01-26', 'opens': '10:00', 'closes': '14:00', 'reason': 'Australia Day, worked'}]},
    {'name': 'bengaluru', 'timezone': 'Asia/Kolkata', 'selections': [{'custom_field1': 'BLR'}],
     'holidays': {'country': 'IN', 'subdivision': 'KA'}, 'days': ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
     'opens': '09:30', 'closes': '18:30', 'hours': {'sat': {'opens': '10:00', 'closes': '14:00'}},
     # held since before the window; and an open-ended hold from November 2027
     'holds': [{'state': 'locked', 'until': '2026-01-07T12:00:00+05:30', 'reason': 'office move'},
               {'state': 'locked', 'from': '2027-11-15T09:00:00+05:30', 'reason': 'site closed'}]},
]
NESTED = {'roma-desk': 'roma'}


# --- the oracle ---------------------------------------------------------------------------------------------------

def _minutes(text):
    hours, minutes = text.split(':')
    return int(hours) * 60 + int(minutes)


def _dates(text):
    first, dummy, last = text.partition('..')
    day, last_day = date.fromisoformat(first), date.fromisoformat(last or first)
    while day <= last_day:
        yield day
        day += timedelta(days=1)


def _holiday_days(spec, years):
    if spec is None:
        return set()
    if isinstance(spec, str):
        country, dummy, subdivision = spec.partition('-')
        spec = {'country': country, 'subdivision': subdivision}
    found = holidays_package.country_holidays(spec['country'], subdiv=spec.get('subdivision'), years=years,
                                              categories=tuple(spec.get('categories', ['public'])))
    return set(found)


def _local_hours(raw, defaults):
    """{local date: (opens minute, closes minute)} of every date in the window with office hours."""
    opens, closes = _minutes(raw.get('opens', '08:00')), _minutes(raw.get('closes', '18:00'))
    weekly = dict((WEEKDAYS.index(day), (opens, closes)) for day in raw.get('days', WEEKDAYS[:5]))
    for day, hours in raw.get('hours', {}).items():
        weekly[WEEKDAYS.index(day)] = (_minutes(hours.get('opens', raw.get('opens', '08:00'))), _minutes(hours.get('closes', raw.get('closes', '18:00'))))
    closed = set(day for text in defaults.get('closed_dates', []) + raw.get('closed_dates', []) for day in _dates(text))
    special = {}
    for item in raw.get('special_days', []):
        for day in _dates(item['date']):
            special[day] = (_minutes(item.get('opens', raw.get('opens', '08:00'))), _minutes(item.get('closes', raw.get('closes', '18:00'))))
    holiday = _holiday_days(raw.get('holidays'), range(START.year - 1, END.year + 1))
    hours = {}
    day = (START - timedelta(days=2)).date()
    while day <= (END + timedelta(days=2)).date():
        if day in special:
            hours[day] = special[day]
        elif day.weekday() in weekly and day not in closed and day not in holiday:
            hours[day] = weekly[day.weekday()]
        day += timedelta(days=1)
    return hours


def _wall(zone, minute):
    """The wall clock of a UTC minute (minutes since the epoch), in local minutes since the epoch."""
    utc = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=minute)
    return minute + int(utc.astimezone(zone).utcoffset().total_seconds()) // 60


def _first_minute_at(zone, wall_target, guess):
    """The first UTC minute whose wall clock reads wall_target or later (guess: a minute within a day of it)."""
    minute = guess - 1500
    while _wall(zone, minute) < wall_target:
        minute += 60
    minute -= 60
    while _wall(zone, minute) < wall_target:
        minute += 1
    return minute


def _instant_minute(text):
    return None if text is None else int(datetime.fromisoformat(text).timestamp()) // 60


def oracle(raw, defaults, holds):
    """The state of every minute of the window (1 = unlocked) and its changes [(minute index, state)]."""
    zone = ZoneInfo(raw['timezone'])
    first = int(START.timestamp()) // 60
    count = int((END - START).total_seconds()) // 60
    state = bytearray(count)
    epoch = date(1970, 1, 1)
    for day, (opens, closes) in _local_hours(raw, defaults).items():
        base = (day - epoch).days * 1440
        low = _first_minute_at(zone, base + opens, base + opens) - first
        high = _first_minute_at(zone, base + closes, base + closes) - first
        low, high = max(low, 0), min(high, count)
        if low < high:
            state[low:high] = b'\x01' * (high - low)
    for hold in holds:
        low = 0 if hold.get('from') is None else max(_instant_minute(hold['from']) - first, 0)
        high = count if hold.get('until') is None else min(_instant_minute(hold['until']) - first, count)
        if low < high:
            state[low:high] = (b'\x00' if hold['state'] == 'locked' else b'\x01') * (high - low)
    changes = []
    index, current = 1, state[0]
    while True:
        index = state.find(b'\x00' if current else b'\x01', index)
        if index < 0:
            break
        current = state[index]
        changes.append((index, 'unlocked' if current else 'locked'))
    return state, changes


# --- the schedulers' firings, expanded here ---------------------------------------------------------------------

_SYSTEMD_DAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_WEEKLY = re.compile(r'(?:(\S+) )?\*-\*-\* (\d\d):(\d\d):00 (\S+)\Z')
_DATED = re.compile(r'(\d{4}-\d\d-\d\d) (\d\d):(\d\d):00 (\S+)\Z')


def _existing(zone, wall):
    """The first instant a naive wall time names in zone, or None when the clock skips it (AWX skips such a run)."""
    aware = wall.replace(tzinfo=zone)
    if aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return aware


def _weekday_set(text):
    if text is None:
        return set(range(7))
    days = set()
    for word in text.split(','):
        first, dummy, last = word.partition('..')
        low, high = _SYSTEMD_DAYS.index(first), _SYSTEMD_DAYS.index(last or first)
        days.update(range(low, high + 1))
    return days


def timer_firings(value, first_day, last_day):
    """The instants at which one OnCalendar value fires on the local dates first_day..last_day."""
    weekly, dated = _WEEKLY.match(value), _DATED.match(value)
    if dated:
        day, hour, minute, zone_name = dated.groups()
        wall = datetime.combine(date.fromisoformat(day), time(int(hour), int(minute)))
        instant = _existing(ZoneInfo(zone_name), wall)
        return [instant] if instant and first_day <= wall.date() <= last_day else []
    days_text, hour, minute, zone_name = weekly.groups()
    zone, days, found = ZoneInfo(zone_name), _weekday_set(days_text), []
    day = first_day
    while day <= last_day:
        if day.weekday() in days:
            instant = _existing(zone, datetime.combine(day, time(int(hour), int(minute))))
            if instant:
                found.append(instant)
        day += timedelta(days=1)
    return found


def rrule_firings(value, first, last):
    """AWX's runs of an rrule between two aware instants: dateutil's occurrences, nonexistent local times skipped."""
    rules = rrulestr(value, forceset=True)  # a TZID goes through dateutil.tz.gettz, as in AWX
    return [item for item in rules.between(first, last, inc=True) if dateutil_tz.datetime_exists(item)]


def count_hits(changes, firings_by_state, low, high, first_minute):
    """(hit once, missed, extra, idle) of the changes in [low, high) (minute indexes) by the firings of each state,
    given as (instant, dated). Extra: a second firing of one change, or a dated firing that is no change to its state."""
    wanted = dict((minute, state) for minute, state in changes if low <= minute < high)
    hits = dict((minute, 0) for minute in wanted)
    extra = idle = 0
    for state, firings in firings_by_state.items():
        for instant, dated in firings:
            minute = int(instant.timestamp()) // 60 - first_minute
            if not low <= minute < high:
                continue
            if wanted.get(minute) == state:
                hits[minute] += 1
            elif dated:
                extra += 1
            else:
                idle += 1
    extra += sum(count - 1 for count in hits.values() if count > 1)
    return sum(1 for count in hits.values() if count == 1), sum(1 for count in hits.values() if count == 0), extra, idle


# --- the run ------------------------------------------------------------------------------------------------------

def _groups(base_sites, base_defaults):
    """[(defaults, [raw sites])]: the year simulation's five sites and the calendar sites."""
    return [(base_defaults, base_sites), (CALENDAR_DEFAULTS, CALENDAR_SITES)]


def _holds_of(raw, by_name):
    holds = list(raw.get('holds', []))
    if raw['name'] in NESTED:
        holds += by_name[NESTED[raw['name']]].get('holds', [])
    return holds


def run(base_sites, base_defaults, report=print):
    """Every check above; returns the number of problems (0 when all held) and prints the counts."""
    problems = []
    first_minute = int(START.timestamp()) // 60
    counts = dict(sites=0, changes=0, sampled=0, mismatches=0, flips=0, hit=0, missed=0, extra=0, idle=0, dated=0, events=0, ics_sites=0)
    for defaults, raws in _groups(base_sites, base_defaults):
        expected_ics = {}
        by_name = dict((raw['name'], raw) for raw in raws)
        sites = dict((entry.site.name, entry.site) for entry in read_sites([parse_site(raw, defaults) for raw in raws]))
        for raw in raws:
            site = sites[raw['name']]
            counts['sites'] += 1
            state, changes = oracle(raw, defaults, _holds_of(raw, by_name))
            counts['changes'] += len(changes)
            got = [(int(local.timestamp()) // 60 - first_minute, flipped) for local, flipped in transitions(site, START, END - timedelta(minutes=1))]
            if got != changes:
                missing, surplus = sorted(set(changes) - set(got)), sorted(set(got) - set(changes))
                problems.append('%s: transitions() differs from the oracle: missing %s, surplus %s' % (raw['name'], missing[:3], surplus[:3]))
            samples = set(range(0, len(state), SAMPLE))
            samples.update(minute + delta for minute, dummy in changes for delta in (-1, 0, 1) if 0 <= minute + delta < len(state))
            for minute in sorted(samples):
                entry = status(site, START + timedelta(minutes=minute))
                counts['sampled'] += 1
                if (entry['state'] == 'unlocked') != bool(state[minute]):
                    counts['mismatches'] += 1
                    if counts['mismatches'] <= 5:
                        problems.append('%s at %s: status() says %s (%s), the oracle %s' % (
                            raw['name'], START + timedelta(minutes=minute), entry['state'], entry['reason'], 'unlocked' if state[minute] else 'locked'))
            _check_schedulers(site, raws, defaults, sites, changes, counts, problems)
            expected_ics[site.name] = _locked_periods(state, first_minute)
        _check_ics(raws, defaults, expected_ics, counts, problems)
    report('calendar simulation: %(sites)d sites over 2026-2027, %(changes)d changes of state (transitions() equal to the oracle), '
           '%(sampled)d sampled minutes, %(mismatches)d mismatches' % counts)
    report('calendar simulation: schedulers (timers and AWX rrules, 2 runs of 366 days): %(flips)d changes to hit, %(hit)d hit once, '
           '%(missed)d missed, %(extra)d extra; %(dated)d dated firings; %(idle)d idle weekly firings (closed days, holds)' % counts)
    report('calendar simulation: .ics export of %(ics_sites)d sites over the two years, parsed back with icalendar: %(events)d events, '
           'equal to the oracle\'s locked periods unless listed below' % counts)
    for problem in problems[:20]:
        report('  ' + problem)
    return len(problems) + counts['missed'] + counts['extra'] + counts['mismatches']


def _check_schedulers(site, raws, defaults, sites, changes, counts, problems):
    del sites
    first_minute = int(START.timestamp()) // 60
    for run_day in RUNS:
        timers = office_hours_timers(raws, defaults, limit=[site.name], horizon_start=run_day.isoformat(), horizon=HORIZON)
        rrules = office_hours_rrules(raws, '2025-12-29', defaults, [site.name], horizon_start=run_day.isoformat(), horizon=HORIZON)
        # The horizon of this run, in minutes: its local dates (AWX's part stops the day before the anniversary).
        zone = site.zone
        last_day = date(run_day.year + 1, run_day.month, run_day.day) - timedelta(days=1)
        low = int(datetime.combine(run_day, time(0)).replace(tzinfo=zone).timestamp()) // 60 - first_minute
        high = int(datetime.combine(last_day + timedelta(days=1), time(0)).replace(tzinfo=zone).timestamp()) // 60 - first_minute
        first, last = START + timedelta(minutes=low), START + timedelta(minutes=high - 1)
        timer_fires, rrule_fires = {}, {}
        for timer in timers:
            timer_fires[timer['state']] = [(instant, bool(_DATED.match(value))) for value in timer['on_calendar']
                                           for instant in timer_firings(value, run_day, last_day)]
        for item in rrules:
            # A one-off schedule (a transition at the second occurrence of a repeated time) is dated as a whole.
            weekly = '' if 'at' in item else ' '.join(part for part in item['rrule'].split(' ') if 'FREQ=YEARLY' not in part)
            plain = set(rrule_firings(weekly, first, last)) if weekly else set()
            rrule_fires.setdefault(item['state'], []).extend(
                (instant, instant not in plain) for instant in rrule_firings(item['rrule'], first, last))
        for name, firings in (('timers', timer_fires), ('rrules', rrule_fires)):
            hit, missed, extra, idle = count_hits(changes, firings, low, high, first_minute)
            counts['flips'] += hit + missed
            counts['hit'] += hit
            counts['missed'] += missed
            counts['extra'] += extra
            counts['idle'] += idle
            if missed or extra:
                problems.append('%s %s from %s: %d missed, %d extra' % (site.name, name, run_day, missed, extra))
        counts['dated'] += sum(1 for timer in timers for value in timer['on_calendar'] if _DATED.match(value))


def _locked_periods(state, first_minute):
    """[(first, end)] epoch minutes of the runs of locked minutes, clipped to the window."""
    periods, index = [], 0
    while index < len(state):
        low = state.find(b'\x00', index)
        if low < 0:
            break
        high = state.find(b'\x01', low)
        high = len(state) if high < 0 else high
        periods.append((first_minute + low, first_minute + high))
        index = high
    return periods


def _is_second(local):
    """Whether the wall-clock time of an aware local datetime (from astimezone, which sets fold) occurred earlier that
    day too."""
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def _check_ics(raws, defaults, expected, counts, problems):
    """The .ics of the window, parsed back with icalendar: per site, its events' (DTSTART, DTEND) must be the oracle's
    locked periods, with the site's zone as TZID."""
    text = office_hours_ics(raws, defaults, START.isoformat(), (END - START).days)
    parsed = icalendar.Calendar.from_ical(text)
    zones = dict((raw['name'], raw['timezone']) for raw in raws)
    got = dict((name, []) for name in expected)
    for event in parsed.walk('VEVENT'):
        name = str(event['SUMMARY'])[len('Phones locked: '):]
        begin, end = event['DTSTART'], event['DTEND']
        for value in (begin, end):
            # UTC only at the second occurrence of a repeated local time (RFC 5545 reads a TZID one as the first).
            utc = value.dt.utcoffset() == timedelta(0) and value.to_ical().endswith(b'Z')
            second = utc and _is_second(value.dt.astimezone(ZoneInfo(zones[name])))
            if value.params.get('TZID') != zones[name] and not second:
                problems.append('.ics: an event of %s has TZID %s, not %s' % (name, value.params.get('TZID'), zones[name]))
        got[name].append((int(begin.dt.timestamp()) // 60, int(end.dt.timestamp()) // 60))
        counts['events'] += 1
    known = set(str(component['TZID']) for component in parsed.walk('VTIMEZONE'))
    if known != set(zones.values()):
        problems.append('.ics: VTIMEZONE for %s, not %s' % (sorted(known), sorted(set(zones.values()))))
    for name, periods in expected.items():
        counts['ics_sites'] += 1
        if sorted(got[name]) != periods:
            problems.append('.ics: %s has %d events, the oracle %d locked periods; first differences %s'
                            % (name, len(got[name]), len(periods), sorted(set(got[name]) ^ set(periods))[:3]))
