# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""office_hours_rrules: the exact AWX schedules, read back with python-dateutil as AWX reads them, against the role's
calendar across daylight-saving changes, and the errors."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from dateutil.parser import parserinfo
from dateutil.rrule import rrulestr
from dateutil.tz import datetime_exists, tzutc

from ansible.errors import AnsibleFilterError

from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_rrules import FilterModule, office_hours_rrules
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import status, transitions
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import parse_site

EXAMPLE_SITES = Path(__file__).parents[4] / 'examples' / 'inventory' / 'group_vars' / 'phonelock' / 'sites.yml'
RRULE_WEEKDAYS = ('MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU')
# AWX hands dateutil these names as UTC (awx/main/models/schedules.py); a TZID goes through dateutil.tz.gettz.
AWX_TZINFOS = dict((name, tzutc()) for name in parserinfo().UTCZONE)

MILANO = {
    'name': 'milano',
    'timezone': 'Europe/Rome',
    'selections': [{'custom_field1': 'Milano'}],
    'days': ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
    'opens': '08:00',
    'closes': '19:00',
    'hours': {'sat': {'opens': '09:00', 'closes': '13:00'}},
    'closed_dates': ['2026-12-08'],
}


def site(name='s', timezone_name='Europe/Rome', **calendar):
    return dict(name=name, timezone=timezone_name, selections=[{'department': 'Sales'}], **calendar)


def rrules(sites, start='2026-11-30', defaults=None, **kwargs):
    """{schedule name: rrule} of the filter's result."""
    return dict((item['name'], item['rrule']) for item in office_hours_rrules(sites, start, defaults, **kwargs))


def schedule(sites, state, start='2026-01-01', defaults=None, horizon=0):
    """The rrule of the schedule for a state (of the first site); the weekly rules only, unless a horizon is given."""
    return next(item['rrule'] for item in office_hours_rrules(sites, start, defaults, horizon_start=start, horizon=horizon)
                if item['state'] == state)


# --- what AWX accepts, and how it reads it ----------------------------------------------------------------------

_DTSTART = re.compile(r'DTSTART;TZID=[A-Za-z][A-Za-z0-9_+/-]*:[0-9]{8}T[0-9]{2}[0-9]{2}([0-9]{2})\Z')
_RULE_KEYS = ('FREQ', 'INTERVAL', 'BYDAY', 'BYHOUR', 'BYMINUTE')


def _number_problem(values, key, top):
    if key in values and not (re.fullmatch(r'[0-9]{1,2}', values[key]) and int(values[key]) <= top):
        return '%s=%s is not one number from 0 to %d' % (key, values[key], top)
    return None


def awx_problems(value):
    """Why AWX would refuse the rrule, or it is not the weekly local-time form this collection promises; [] if none.

    AWX (awx/api/serializers.py) refuses EXDATE, RDATE, a rule without INTERVAL, SECONDLY, BYDAY with a numeric prefix,
    COUNT with UNTIL, and a naive or second DTSTART. This is stricter: only one DTSTART with a TZID and a local time
    in whole minutes, then RRULEs made of FREQ=WEEKLY, INTERVAL=1, BYDAY and optionally BYHOUR with BYMINUTE.
    """
    head, *rules = value.split(' ')
    problems = []
    match = _DTSTART.match(head)
    if not match:
        problems.append('%s is not DTSTART;TZID=ZONE:YYYYMMDDTHHMMSS (local time, no Z, no offset)' % head)
    elif match.group(1) != '00':
        problems.append('%s has seconds' % head)
    if not rules:
        problems.append('no RRULE')
    for rule in rules:
        if not rule.startswith('RRULE:'):
            problems.append('%s is not an RRULE' % rule)
            continue
        items = [item.partition('=') for item in rule[len('RRULE:'):].split(';')]
        keys = [key for key, dummy, dummy in items]
        values = dict((key, text) for key, dummy, text in items)
        unknown = [key for key in keys if key not in _RULE_KEYS]
        if unknown or len(set(keys)) != len(keys):
            problems.append('%s: only FREQ, INTERVAL, BYDAY, BYHOUR and BYMINUTE, each once' % rule)
        if values.get('FREQ') != 'WEEKLY':
            problems.append('%s is not FREQ=WEEKLY' % rule)
        if values.get('INTERVAL') != '1':
            problems.append('%s has no INTERVAL=1' % rule)
        days = values.get('BYDAY', '').split(',')
        if not all(day in RRULE_WEEKDAYS for day in days) or len(set(days)) != len(days):
            problems.append('%s: BYDAY must list weekdays MO to SU, without numeric prefixes' % rule)
        if ('BYHOUR' in values) != ('BYMINUTE' in values):
            problems.append('%s: BYHOUR and BYMINUTE go together' % rule)
        problems.extend(problem for problem in (_number_problem(values, 'BYHOUR', 23), _number_problem(values, 'BYMINUTE', 59)) if problem)
    return problems


def read_back(value):
    """The rrule as AWX reads it (Schedule.rrulestr): dateutil's rrulestr as a set, TZID through dateutil.tz.gettz."""
    return rrulestr(value, tzinfos=AWX_TZINFOS, forceset=True)


def expand(value, first, last):
    """dateutil's occurrences between two aware instants, both included, as aware datetimes in dateutil's zone."""
    return read_back(value).between(first, last, inc=True)


def awx_runs(value, first, last):
    """The occurrences AWX launches: it never schedules a local time that does not exist, it skips to the next
    (Schedule.update_computed_fields: "skip imaginary dates, like 2:30 on DST boundaries")."""
    return [occurrence for occurrence in expand(value, first, last) if datetime_exists(occurrence)]


def role_flips(raw, state, first, last, defaults=None):
    """The instants at which the role's calendar flips to ``state``."""
    return [flip for flip, flipped in transitions(parse_site(raw, defaults), first, last) if flipped == state]


def stamps(instants):
    return [instant.timestamp() for instant in instants]


def wall(occurrence):
    return occurrence.replace(tzinfo=None)


def closed_days(raw, defaults=None):
    """The local dates the site's closed_dates and the defaults' name, expanded from their ranges."""
    days = set()
    for item in list((defaults or {}).get('closed_dates') or []) + list(raw.get('closed_dates') or []):
        first, dummy, last = str(item).partition('..')
        day, end = date.fromisoformat(first), date.fromisoformat(last or first)
        while day <= end:
            days.add(day)
            day += timedelta(days=1)
    return days


@pytest.mark.parametrize('value, problem', [
    ('DTSTART:20261130T170000Z RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO', 'is not DTSTART;TZID=ZONE'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000+0100 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO', 'is not DTSTART;TZID=ZONE'),
    ('DTSTART;TZID=Europe/Rome:20261130T180030 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO', 'has seconds'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000', 'no RRULE'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000 DTSTART;TZID=Europe/Rome:20261201T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO',
     'is not an RRULE'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;BYDAY=MO', 'has no INTERVAL=1'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO', 'has no INTERVAL=1'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=DAILY;INTERVAL=1', 'is not FREQ=WEEKLY'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=1MO', 'without numeric prefixes'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;COUNT=5', 'each once'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;UNTIL=20271231T000000Z', 'each once'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;BYSECOND=0', 'each once'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO EXDATE;TZID=Europe/Rome:20261207T180000',
     'is not an RRULE'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO RDATE;TZID=Europe/Rome:20261206T180000',
     'is not an RRULE'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO EXRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO',
     'is not an RRULE'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;BYHOUR=18', 'go together'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;BYHOUR=18,19;BYMINUTE=0', 'BYHOUR=18,19'),
    ('DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;BYHOUR=18;BYMINUTE=60', 'BYMINUTE=60'),
])
def test_the_awx_validator_refuses_what_awx_or_the_promise_refuses(value, problem):
    problems = awx_problems(value)
    assert any(problem in text for text in problems), problems


def test_the_awx_validator_accepts_the_issue_example():
    assert awx_problems('DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR') == []


# --- the exact output -------------------------------------------------------------------------------------------

def test_the_issue_example_exactly():
    assert office_hours_rrules([site('milano', closes='18:00')], '2026-11-30') == [
        {
            'site': 'milano',
            'transition': 'lock',
            'state': 'locked',
            'playbook': 'imagicle.phonelock.nightly_lock',
            'timezone': 'Europe/Rome',
            'name': 'imagicle-phonelock-milano-lock',
            'description': 'Lock the phones of site milano at closing time',
            'rrule': 'DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR',
            'times': [{'days': ['mon', 'tue', 'wed', 'thu', 'fri'], 'time': '18:00'}],
        },
        {
            'site': 'milano',
            'transition': 'unlock',
            'state': 'unlocked',
            'playbook': 'imagicle.phonelock.morning_unlock',
            'timezone': 'Europe/Rome',
            'name': 'imagicle-phonelock-milano-unlock',
            'description': 'Unlock the phones of site milano at opening time',
            'rrule': 'DTSTART;TZID=Europe/Rome:20261130T080000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR',
            'times': [{'days': ['mon', 'tue', 'wed', 'thu', 'fri'], 'time': '08:00'}],
        },
    ]


def test_the_filter_is_registered():
    assert FilterModule().filters() == {'office_hours_rrules': office_hours_rrules}


def test_days_with_other_hours_are_one_schedule_with_one_rrule_per_time():
    result = office_hours_rrules([MILANO], '2026-11-30')
    assert [(item['name'], item['rrule'], item['times']) for item in result] == [
        ('imagicle-phonelock-milano-lock',
         'DTSTART;TZID=Europe/Rome:20261130T190000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;BYHOUR=19;BYMINUTE=0 '
         'RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=SA;BYHOUR=13;BYMINUTE=0',
         [{'days': ['mon', 'tue', 'wed', 'thu', 'fri'], 'time': '19:00'}, {'days': ['sat'], 'time': '13:00'}]),
        ('imagicle-phonelock-milano-unlock',
         'DTSTART;TZID=Europe/Rome:20261130T080000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=0 '
         'RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=SA;BYHOUR=9;BYMINUTE=0',
         [{'days': ['mon', 'tue', 'wed', 'thu', 'fri'], 'time': '08:00'}, {'days': ['sat'], 'time': '09:00'}]),
    ]


def test_days_sharing_a_time_are_one_rrule_ordered_by_their_first_day():
    hours = {'wed': {'closes': '13:00'}, 'sat': {'opens': '09:30', 'closes': '12:30'}, 'sun': {'opens': '09:30', 'closes': '13:00'}}
    every_day = ['sun', 'sat', 'fri', 'thu', 'wed', 'tue', 'mon']
    assert rrules([site(days=every_day, hours=hours)]) == {
        'imagicle-phonelock-s-lock':
            'DTSTART;TZID=Europe/Rome:20261130T180000 '
            'RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,TH,FR;BYHOUR=18;BYMINUTE=0 '
            'RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=WE,SU;BYHOUR=13;BYMINUTE=0 '
            'RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=SA;BYHOUR=12;BYMINUTE=30',
        'imagicle-phonelock-s-unlock':
            'DTSTART;TZID=Europe/Rome:20261130T080000 '
            'RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=0 '
            'RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=SA,SU;BYHOUR=9;BYMINUTE=30',
    }


def test_an_override_with_the_same_time_is_still_one_rrule_without_byhour():
    plain = rrules([site(days=['mon', 'tue'], opens='07:00')])
    assert rrules([site(days=['mon', 'tue'], opens='07:00', hours={'tue': {'opens': '07:00'}})]) == plain
    assert plain == {
        'imagicle-phonelock-s-lock': 'DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU',
        'imagicle-phonelock-s-unlock': 'DTSTART;TZID=Europe/Rome:20261130T070000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU',
    }


def test_role_defaults_apply_and_a_site_overrides_them():
    defaults = {'days': ['mon', 'tue', 'wed', 'thu'], 'opens': '07:30', 'closes': '16:00', 'closed_dates': ['2026-12-01']}
    assert rrules([site('a'), site('b', days=['fri'], closes='17:45')], defaults=defaults) == {
        'imagicle-phonelock-a-lock': 'DTSTART;TZID=Europe/Rome:20261130T160000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH',
        'imagicle-phonelock-a-unlock': 'DTSTART;TZID=Europe/Rome:20261130T073000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH',
        'imagicle-phonelock-b-lock': 'DTSTART;TZID=Europe/Rome:20261204T174500 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=FR',
        'imagicle-phonelock-b-unlock': 'DTSTART;TZID=Europe/Rome:20261204T073000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=FR',
    }


def test_closed_dates_are_not_in_the_schedules():
    without = dict(MILANO, closed_dates=[])
    assert office_hours_rrules([MILANO], '2026-11-30', {'closed_dates': ['2026-11-30..2026-12-31']}) == \
        office_hours_rrules([without], '2026-11-30')


def test_sites_keep_their_order_lock_before_unlock():
    sites = [site('zeta'), site('alpha', 'Asia/Tokyo'), site('mid')]
    assert [(item['site'], item['transition']) for item in office_hours_rrules(sites, '2026-11-30')] == [
        ('zeta', 'lock'), ('zeta', 'unlock'), ('alpha', 'lock'), ('alpha', 'unlock'), ('mid', 'lock'), ('mid', 'unlock'),
    ]


# --- DTSTART ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('start, lock, unlock', [
    ('2026-12-02', '20261202T180000', '20261202T080000'),  # a Wednesday: that day
    ('2026-12-03', '20261205T130000', '20261205T093000'),  # Thursday: Saturday's own times
    ('2026-12-05', '20261205T130000', '20261205T093000'),
    ('2026-12-06', '20261209T180000', '20261209T080000'),  # Sunday: next Wednesday
    ('2026-12-31', '20270102T130000', '20270102T093000'),  # across the year
])
def test_dtstart_is_the_first_office_day_on_or_after_start_at_its_own_time(start, lock, unlock):
    raw = site(days=['wed', 'sat'], hours={'sat': {'opens': '09:30', 'closes': '13:00'}})
    result = rrules([raw], start)
    assert [value.split(' ')[0] for value in result.values()] == ['DTSTART;TZID=Europe/Rome:' + lock, 'DTSTART;TZID=Europe/Rome:' + unlock]
    for value in result.values():
        # dateutil's first occurrence is DTSTART, so dateutil and AWX (which may count DTSTART anyway) agree.
        first = read_back(value)[0]
        assert first.strftime('%Y%m%dT%H%M%S') == value.split(':')[1].split(' ')[0]


def test_start_may_be_a_yaml_date():
    assert office_hours_rrules([MILANO], date(2026, 12, 3)) == office_hours_rrules([MILANO], '2026-12-03')
    assert office_hours_rrules([MILANO], ' 2026-12-03 ') == office_hours_rrules([MILANO], '2026-12-03')


# --- daylight-saving time: wall clock kept, and the same instants as the role's calendar -----------------------

# (zone, its changes in 2026 as (local date, UTC offset before, UTC offset after))
DST_ZONES = [
    ('Europe/Rome', [(date(2026, 3, 29), 1, 2), (date(2026, 10, 25), 2, 1)]),
    ('America/New_York', [(date(2026, 3, 8), -5, -4), (date(2026, 11, 1), -4, -5)]),
    ('Australia/Sydney', [(date(2026, 4, 5), 11, 10), (date(2026, 10, 4), 10, 11)]),  # southern: back in April
    ('Asia/Kolkata', []),
]
EVERY_DAY = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']
HOURS = {'sat': {'opens': '09:00', 'closes': '13:00'}, 'sun': {'opens': '10:00', 'closes': '12:30'}}
# weekday: (opens, closes) of a site with EVERY_DAY and HOURS
WALL = dict([(day, (time(8), time(18))) for day in range(5)] + [(5, (time(9), time(13))), (6, (time(10), time(12, 30)))])
# Closed office days, one of them a DST change day of each zone.
DST_CLOSED = ['2026-03-29', '2026-04-05', '2026-11-01', '2026-12-24..2026-12-26']
# The schedules start on 2026-01-01 (local): compare from that local midnight, over two years.
START, END = date(2026, 1, 1), date(2028, 1, 1)
# The spring changes of these two years, when 02:00 to 03:00 (local) does not exist.
SPRING = {
    'Europe/Rome': [date(2026, 3, 29), date(2027, 3, 28)],
    'America/New_York': [date(2026, 3, 8), date(2027, 3, 14)],
    'Australia/Sydney': [date(2026, 10, 4), date(2027, 10, 3)],
}


def span(zone):
    return tuple(datetime.combine(day, time(), ZoneInfo(zone)) for day in (START, END))


@pytest.mark.parametrize('zone, changes', DST_ZONES)
@pytest.mark.parametrize('state, end', [('locked', 1), ('unlocked', 0)])
def test_every_occurrence_keeps_its_local_time_across_dst_changes(zone, changes, state, end):
    raw = site('dst', zone, days=EVERY_DAY, hours=HOURS, closed_dates=DST_CLOSED)
    value = schedule([raw], state)
    assert awx_problems(value) == []
    occurrences = expand(value, *span(zone))
    assert len(occurrences) == 730  # every day of 2026 and 2027
    assert [wall(item).time() for item in occurrences] == [WALL[item.weekday()][end] for item in occurrences]
    offsets = dict((item.date(), item.utcoffset()) for item in occurrences)
    for day, before, after in changes:
        # The same wall-clock time on the Sunday before and on the change day, at another UTC offset.
        assert (offsets[day - timedelta(days=7)], offsets[day]) == (timedelta(hours=before), timedelta(hours=after))
    assert len(set(offsets.values())) == (2 if changes else 1)


@pytest.mark.parametrize('zone, changes', DST_ZONES)
@pytest.mark.parametrize('state', ['locked', 'unlocked'])
def test_occurrences_are_the_roles_transitions_plus_the_closed_days(zone, changes, state):
    raw = site('dst', zone, days=EVERY_DAY, hours=HOURS, closed_dates=DST_CLOSED)
    occurrences = expand(schedule([raw], state), *span(zone))
    closed = closed_days(raw)
    open_days = [item for item in occurrences if item.date() not in closed]
    assert len(occurrences) - len(open_days) == 6  # the schedule runs on closed days too: the role's run skips them
    assert stamps(open_days) == stamps(role_flips(raw, state, *span(zone)))
    assert stamps(awx_runs(schedule([raw], state), *span(zone))) == stamps(occurrences)


@pytest.mark.parametrize('zone, day, clock, offset, gap_days', [
    ('Europe/Rome', date(2026, 10, 25), '02:30', 2, SPRING['Europe/Rome']),
    ('America/New_York', date(2026, 11, 1), '01:30', -4, []),  # 01:30 exists on the spring day (02:00 to 03:00 does not)
    ('Australia/Sydney', date(2026, 4, 5), '02:30', 11, SPRING['Australia/Sydney']),
])
def test_a_time_in_the_repeated_hour_runs_once_at_its_first_occurrence_like_the_role(zone, day, clock, offset, gap_days):
    raw = site('back', zone, days=['sun'], opens=clock, closes='12:00')
    for state in ('locked', 'unlocked'):
        # Equal to the role's calendar but on the spring days, when that time does not exist (see the next test).
        expected = [flip for flip in role_flips(raw, state, *span(zone)) if state == 'locked' or flip.date() not in gap_days]
        assert stamps(awx_runs(schedule([raw], state), *span(zone))) == stamps(expected)
    on_the_day = [item for item in expand(schedule([raw], 'unlocked'), *span(zone)) if item.date() == day]
    assert [(wall(item).strftime('%H:%M'), item.utcoffset()) for item in on_the_day] == [(clock, timedelta(hours=offset))]


@pytest.mark.parametrize('zone, offset_before', [('Europe/Rome', 1), ('America/New_York', -5), ('Australia/Sydney', 10)])
def test_a_time_in_the_skipped_hour_is_a_nonexistent_local_time_that_awx_skips(zone, offset_before):
    raw = site('gap', zone, days=['sun'], opens='02:30', closes='12:00')
    unlock = schedule([raw], 'unlocked')
    assert awx_problems(unlock) == []
    skipped = [item for item in expand(unlock, *span(zone)) if not datetime_exists(item)]
    # dateutil expands the wall time 02:30 of the spring day with the offset before the change (python-dateutil 4) or
    # after it (2.9, which the holidays package requires): a nonexistent local time either way, which AWX skips.
    assert [(item.date(), wall(item).time()) for item in skipped] == [(day, time(2, 30)) for day in SPRING[zone]]
    assert all(item.utcoffset() in (timedelta(hours=offset_before), timedelta(hours=offset_before + 1)) for item in skipped)
    role = role_flips(raw, 'unlocked', *span(zone))
    at_the_jump = [flip for flip in role if flip.date() in SPRING[zone]]
    # The role's opening happens when the clock jumps (03:00), half an hour before dateutil's instant.
    assert [flip.time() for flip in at_the_jump] == [time(3), time(3)]
    assert [abs(late.timestamp() - flip.timestamp()) for late, flip in zip(skipped, at_the_jump)] == [1800, 1800]
    # AWX launches every other opening, and not those.
    assert stamps(awx_runs(unlock, *span(zone))) == stamps(flip for flip in role if flip.date() not in SPRING[zone])
    assert stamps(awx_runs(schedule([raw], 'locked'), *span(zone))) == stamps(role_flips(raw, 'locked', *span(zone)))


def test_a_day_whose_hours_both_fall_in_the_skipped_hour_has_no_run_as_it_has_no_transition():
    raw = site('gap', 'Europe/Rome', days=['sun'], opens='02:15', closes='02:45')
    for state in ('locked', 'unlocked'):
        runs = awx_runs(schedule([raw], state), *span('Europe/Rome'))
        assert [day for day in SPRING['Europe/Rome'] if day in [item.date() for item in runs]] == []
        assert stamps(runs) == stamps(role_flips(raw, state, *span('Europe/Rome')))


@pytest.mark.parametrize('zone', ['Asia/Kathmandu', 'America/St_Johns', 'Australia/Lord_Howe', 'Atlantic/Reykjavik'])
def test_quarter_hour_half_hour_and_utc_zones_match_the_role(zone):
    raw = site('odd', zone, days=EVERY_DAY, opens='06:15', closes='23:45', hours={'sun': {'opens': '00:00', 'closes': '00:01'}})
    for state in ('locked', 'unlocked'):
        value = schedule([raw], state)
        assert awx_problems(value) == []
        assert stamps(awx_runs(value, *span(zone))) == stamps(role_flips(raw, state, *span(zone)))


# --- I7 of the role's README: every transition launched at its instant, never the lock and the unlock together -----

def awx_launches(value, first, last):
    """The instants AWX launches a schedule at, first to last: its next_run, recomputed after each launch, is dateutil's
    next occurrence after now, and the one after that when the first is a nonexistent local time
    (Schedule.update_computed_fields_no_save; the periodic scheduler launches the schedules whose next_run has come)."""
    rules, launched, now = read_back(value), [], first
    while True:
        run = rules.after(now)
        if run is not None and not datetime_exists(run):
            run = rules.after(run)
        if run is None or run > last:
            return launched
        launched.append(run.astimezone(tzutc()))
        now = launched[-1]


def launches_by_state(sites, first, last, **kwargs):
    """{state: sorted UTC instants} that all the schedules of the sites launch the state's playbook at."""
    launched = dict(locked=[], unlocked=[])
    for item in office_hours_rrules(sites, **kwargs):
        launched[item['state']].extend(awx_launches(item['rrule'], first, last))
    return dict((state, sorted(instants)) for state, instants in launched.items())


_ONCE = re.compile(r'DTSTART:[0-9]{8}T[0-9]{6}Z RRULE:FREQ=DAILY;INTERVAL=1;COUNT=1\Z')

# A dated transition at the second occurrence of a repeated wall-clock time (the timers' REPEATED cases).
SECOND_OCCURRENCES = [
    # A night inventory (held unlocked) that ends at the second 02:30 of 2027-10-31 in Rome (+01:00): lock at 01:30 UTC.
    ('Europe/Rome', {'from': '2027-10-30T20:00:00+02:00', 'until': '2027-10-31T02:30:00+01:00'}, 'until', 'locked'),
    # One that starts at the second 01:30 of 2027-11-07 in New York (-05:00): unlock at 06:30 UTC.
    ('America/New_York', {'from': '2027-11-07T01:30:00-05:00', 'until': '2027-11-07T04:00:00-05:00'}, 'from', 'unlocked'),
]


@pytest.mark.parametrize('zone, hold, end, state', SECOND_OCCURRENCES)
def test_a_transition_at_the_second_occurrence_of_a_repeated_time_is_launched_at_its_instant(zone, hold, end, state):
    held = site('night', zone, days=['mon', 'tue', 'wed', 'thu', 'fri'], holds=[dict(hold, state='unlocked', reason='inventory')])
    instant = datetime.fromisoformat(hold[end])
    early = instant - timedelta(hours=1)  # the first occurrence of that wall-clock time
    result = office_hours_rrules([held], '2027-10-01', horizon_start='2027-10-01', horizon=60)
    once = [item for item in result if 'at' in item]
    stamp = instant.astimezone(tzutc()).strftime('%Y%m%dT%H%M%SZ')
    assert [(item['name'], item['state'], item['at'], item['rrule']) for item in once] == [
        ('imagicle-phonelock-night-%s-at-%s' % ('lock' if state == 'locked' else 'unlock', stamp), state, hold[end],
         'DTSTART:%s RRULE:FREQ=DAILY;INTERVAL=1;COUNT=1' % stamp)]
    # The site's own rrules have no part for it: a TZID rule would run at the first occurrence.
    weekly = [item['rrule'] for item in result if 'at' not in item]
    wall_part = ';BYMONTH=%d;BYMONTHDAY=%d;BYHOUR=%d;BYMINUTE=%d;' % (instant.month, instant.day, instant.hour, instant.minute)
    assert not any(wall_part in value for value in weekly)
    first, last = datetime(2027, 10, 25, tzinfo=tzutc()), datetime(2027, 11, 15, tzinfo=tzutc())
    launched = launches_by_state([held], first, last, start='2027-10-01', horizon_start='2027-10-01', horizon=60)
    assert instant in launched[state] and early not in launched[state]
    assert stamps(launched[state]) == stamps(role_flips(held, state, first, last))
    assert _ONCE.match(once[0]['rrule']) and stamps(awx_launches(once[0]['rrule'], first, last)) == stamps([instant])


# Spring changes (local date, the skipped hour) and how many office hours are tried around them.
# Whether dateutil alone expands some imaginary time to the other schedule's instant.
SPRING_GAPS = [('Australia/Lord_Howe', date(2027, 10, 3), 2, 72, True), ('America/Santiago', date(2027, 9, 5), 0, 56, False)]


@pytest.mark.parametrize('zone, day, hour, cases, coincide', SPRING_GAPS)
def test_no_instant_launches_both_the_lock_and_the_unlock_and_every_transition_is_launched(zone, day, hour, cases, coincide):
    # Sunday hours around the hour the clock skips (half of it on Lord Howe Island), weekly only or with the dated parts.
    clocks = ['%02d:%02d' % divmod(hour * 60 + minutes, 60) for minutes in (-30, 0, 10, 20, 30, 45, 60, 90) if hour * 60 + minutes >= 0]
    first = datetime.combine(day - timedelta(days=3), time(), ZoneInfo(zone))
    last = first + timedelta(days=10)
    checked = coincided = 0
    for opens in clocks:
        for closes in [clock for clock in clocks if clock > opens] + ['12:00']:
            raw = site('gap', zone, days=['sat', 'sun'], opens=opens, closes=closes)
            for horizon in (0, 30):
                launched = launches_by_state([raw], first, last, start=day - timedelta(days=3), horizon_start=day - timedelta(days=3),
                                             horizon=horizon)
                assert not set(launched['locked']) & set(launched['unlocked']), (opens, closes, horizon)
                # dateutil alone does expand a weekly time in the skipped hour to an instant where the other schedule
                # runs (Lord Howe: 02:00 at +11:00 is 01:30 at +10:30); AWX never launches such an imaginary time.
                raw_runs = dict((state, []) for state in launched)
                for item in office_hours_rrules([raw], day - timedelta(days=3), horizon_start=day - timedelta(days=3), horizon=horizon):
                    raw_runs[item['state']].extend(expand(item['rrule'], first, last))
                for lock in raw_runs['locked']:
                    for unlock in raw_runs['unlocked']:
                        if lock.timestamp() == unlock.timestamp():
                            coincided += 1
                            assert not (datetime_exists(lock) and datetime_exists(unlock)), (opens, closes, horizon)
                if horizon:
                    parsed = parse_site(raw)
                    for state in ('locked', 'unlocked'):
                        flips = role_flips(raw, state, first, last)
                        assert not set(stamps(flips)) - set(stamps(launched[state])), (opens, closes, state)
                        # Any other launch finds the site already in that state (the weekly lock on a day without
                        # opening): it changes nothing.
                        others = [run for run in launched[state] if run.timestamp() not in stamps(flips)]
                        assert all(status(parsed, run)['state'] == state for run in others), (opens, closes, state)
                checked += 1
    assert (checked, coincided > 0) == (cases, coincide)


# --- the example inventory --------------------------------------------------------------------------------------

def test_the_example_sites_give_these_schedules_and_the_roles_transitions():
    example = yaml.safe_load(EXAMPLE_SITES.read_text())
    sites, defaults = example['office_hours_sites'], example['office_hours_defaults']
    result = office_hours_rrules(sites, '2026-11-30', defaults)
    weekdays = 'RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR'
    assert [(item['name'], item['rrule']) for item in result] == [
        ('imagicle-phonelock-milano-lock', 'DTSTART;TZID=Europe/Rome:20261130T190000 ' + weekdays),
        ('imagicle-phonelock-milano-unlock', 'DTSTART;TZID=Europe/Rome:20261130T080000 ' + weekdays),
        ('imagicle-phonelock-roma-lock', 'DTSTART;TZID=Europe/Rome:20261130T190000 ' + weekdays + ';BYHOUR=19;BYMINUTE=0 '
                                         'RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=SA;BYHOUR=13;BYMINUTE=0'),
        ('imagicle-phonelock-roma-unlock', 'DTSTART;TZID=Europe/Rome:20261130T080000 ' + weekdays + ';BYHOUR=8;BYMINUTE=0 '
                                           'RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=SA;BYHOUR=9;BYMINUTE=0'),
        ('imagicle-phonelock-new-york-lock', 'DTSTART;TZID=America/New_York:20261130T180000 ' + weekdays),
        ('imagicle-phonelock-new-york-unlock', 'DTSTART;TZID=America/New_York:20261130T083000 ' + weekdays),
        ('imagicle-phonelock-sydney-lock', 'DTSTART;TZID=Australia/Sydney:20261130T173000 ' + weekdays),
        ('imagicle-phonelock-sydney-unlock', 'DTSTART;TZID=Australia/Sydney:20261130T083000 ' + weekdays),
        ('imagicle-phonelock-bangalore-lock', 'DTSTART;TZID=Asia/Kolkata:20261130T183000 ' + weekdays),
        ('imagicle-phonelock-bangalore-unlock', 'DTSTART;TZID=Asia/Kolkata:20261130T093000 ' + weekdays),
    ]
    for raw, item in zip([raw for raw in sites for dummy in (0, 1)], result):
        first, last = (datetime.combine(day, time(), ZoneInfo(raw['timezone'])) for day in (date(2026, 11, 30), date(2027, 12, 1)))
        closed = closed_days(raw, defaults)
        runs = awx_runs(item['rrule'], first, last)
        on_closed_days = [run for run in runs if run.date() in closed]
        assert on_closed_days, item['name']  # every example site has a closed office day in the range
        assert stamps(run for run in runs if run.date() not in closed) == stamps(role_flips(raw, item['state'], first, last, defaults))


# --- every rrule of the tests is what AWX accepts and dateutil reads ---------------------------------------------

SAMPLES = [item['rrule'] for sites, defaults in (
    ([MILANO], None),
    ([site(days=['sun', 'mon', 'wed', 'thu', 'fri'], timezone_name='Asia/Kathmandu', opens='06:15', closes='23:59')], None),
    ([site(days=EVERY_DAY, timezone_name='America/St_Johns', hours=HOURS)], None),
    ([site(days=['fri', 'sat', 'sun', 'mon'], timezone_name='Atlantic/Reykjavik', hours={'sun': {'opens': '00:00'}})], None),
    ([site(days=EVERY_DAY, timezone_name='Pacific/Kiritimati', hours={day: {'opens': '0%d:0%d' % (n, n)} for n, day in enumerate(EVERY_DAY)})], None),
    (yaml.safe_load(EXAMPLE_SITES.read_text())['office_hours_sites'], yaml.safe_load(EXAMPLE_SITES.read_text())['office_hours_defaults']),
) for item in office_hours_rrules(sites, '2026-11-30', defaults)]


@pytest.mark.parametrize('value', SAMPLES)
def test_every_rrule_is_what_awx_accepts_and_dateutil_reads_in_its_zone(value):
    assert awx_problems(value) == []
    first = read_back(value)[0]
    # AWX refuses a DTSTART whose TZID dateutil cannot find (it would be naive).
    assert first.utcoffset() is not None
    # The first occurrence is DTSTART itself, at its local time.
    dtstart = value.split(' ')[0]
    assert dtstart.endswith(':' + first.strftime('%Y%m%dT%H%M%S'))


# --- limit and errors -------------------------------------------------------------------------------------------

@pytest.mark.parametrize('limit, selected', [
    (None, ['a', 'b', 'c']),
    ([], ['a', 'b', 'c']),
    (['c', 'a'], ['a', 'c']),  # the sites' order, not the limit's
    (['b', 'b'], ['b']),
])
def test_limit_selects_sites(limit, selected):
    result = office_hours_rrules([site('a'), site('b'), site('c')], '2026-11-30', limit=limit)
    assert [item['site'] for item in result if item['transition'] == 'lock'] == selected


def test_limit_still_validates_every_site():
    with pytest.raises(AnsibleFilterError) as raised:
        office_hours_rrules([site('a'), site('b', 'Mars/Base')], '2026-11-30', limit=['a'])
    assert str(raised.value) == ("office_hours_rrules: office_hours_sites[1] (b): timezone 'Mars/Base' is not an IANA time zone "
                                 'name (for example Europe/Rome)')


START_TEXT = 'the local date the schedules start on, YYYY-MM-DD (for example 2026-11-30)'


@pytest.mark.parametrize('sites, start, defaults, limit, message', [
    ([site()], None, None, None, 'start is required: ' + START_TEXT),
    ([site()], '', None, None, 'start is required: ' + START_TEXT),
    ([site()], '2026-02-30', None, None, "start '2026-02-30' is not a date: use " + START_TEXT),
    ([site()], '30/11/2026', None, None, "start '30/11/2026' is not a date: use " + START_TEXT),
    ([site()], '2026-11-30T08:00', None, None, "start '2026-11-30T08:00' is not a date: use " + START_TEXT),
    ([site()], 20261130, None, None, 'start 20261130 (int) is not a date: use ' + START_TEXT),
    ([site()], datetime(2026, 11, 30, 8), None, None, 'start 2026-11-30 08:00:00 (datetime) is not a date: use ' + START_TEXT),
    ([site(days=['mon'])], '9999-12-31', None, None, 'start 9999-12-31 is too late: the schedules would start after 9999-12-31'),
    ({'name': 'a'}, '2026-11-30', None, None, 'office_hours_sites must be a list of sites, not dict'),
    ([site()], '2026-11-30', ['days'], None, "office_hours_defaults must be a dictionary with any of days, opens, closes, closed_dates, "
     "holidays, special_days, holds, not ['days'] (list)"),
    ([site()], '2026-11-30', {'opens': '25:00'}, None,
     'office_hours_defaults: opens \'25:00\' is not a time of day; use "HH:MM" in 24-hour form, 00:00 to 23:59'),
    ([site('a'), site('a')], '2026-11-30', None, None,
     ('office_hours_sites[0] (a): the name is also used by office_hours_sites[1] (a); site names must be unique, ignoring case | '
      'office_hours_sites[1] (a): the name is also used by office_hours_sites[0] (a); site names must be unique, ignoring case')),
    ([site('ok'), site('a', closes='07:00')], '2026-11-30', None, None,
     'office_hours_sites[1] (a): opens 08:00 is not before closes 07:00; an office opens and closes on the same day '
     '(no overnight hours)'),
    ([site('a', opens=480)], '2026-11-30', None, None,
     "office_hours_sites[0] (a): opens 480 is a number, not a time of day: YAML reads an unquoted 08:00 as 480; quote it ('08:00')"),
    ([site('a', hours={'sat': {'opens': '09:00'}})], '2026-11-30', None, None,
     'office_hours_sites[0] (a): hours.sat: sat is not an office day (days: mon, tue, wed, thu, fri); add it to days or remove its hours'),
    ([site(), 'x'], '2026-11-30', None, None, "office_hours_sites[1]: a site must be a dictionary with name, timezone and selections, not 'x'"),
    ([site('a'), site('b')], '2026-11-30', None, ['a', 'nope', 'gone'],
     "office_hours_limit names 'nope', 'gone', which match no site; the sites are a, b"),
    ([], '2026-11-30', None, ['a'], "office_hours_limit names 'a', which matches no site; the sites are none"),
    ([site('a')], '2026-11-30', None, [1], 'office_hours_limit must be a list of site names, or one comma-separated string of them, not [1] (list)'),
])
def test_errors_name_the_problem(sites, start, defaults, limit, message):
    with pytest.raises(AnsibleFilterError) as raised:
        office_hours_rrules(sites, start, defaults, limit)
    assert str(raised.value) == 'office_hours_rrules: ' + message


def test_names_are_unique_ignoring_case_and_the_limit_is_read_as_the_plan_reads_it():
    with pytest.raises(AnsibleFilterError, match=r'^office_hours_rrules: office_hours_sites\[0\] \(A\): the name is also used by '):
        office_hours_rrules([site('A'), site('a')], '2026-11-30')
    assert [item['name'] for item in office_hours_rrules([site('a'), site('b')], '2026-11-30', limit='B')] == [
        'imagicle-phonelock-b-lock', 'imagicle-phonelock-b-unlock']
