# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""office_hours_timers: the exact timer specifications, their OnCalendar values and the errors."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timezone as _timezone

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_rrules import office_hours_rrules
from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_timers import FilterModule, office_hours_timers

timezone_utc = _timezone.utc

MILANO = {
    'name': 'milano',
    'timezone': 'Europe/Rome',
    'selections': [{'custom_field1': 'Milano'}],
    'days': ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
    'opens': '08:00',
    'closes': '19:00',
    'hours': {'sat': {'opens': '09:00', 'closes': '13:00'}},
    'closed_dates': ['2026-12-25', '2026-12-24..2027-01-06'],
}


def site(name='s', timezone='Europe/Rome', **calendar):
    return dict(name=name, timezone=timezone, selections=[{'department': 'Sales'}], **calendar)


def calendars(sites, defaults=None, **kwargs):
    """{unit: on_calendar} of the filter's result."""
    return dict((timer['unit'], timer['on_calendar']) for timer in office_hours_timers(sites, defaults, **kwargs))


def test_the_issue_example_exactly():
    assert office_hours_timers([MILANO]) == [
        {
            'unit': 'imagicle-phonelock-milano-lock',
            'site': 'milano',
            'state': 'locked',
            'playbook': 'imagicle.phonelock.nightly_lock',
            'timezone': 'Europe/Rome',
            'on_calendar': ['Mon..Fri *-*-* 19:00:00 Europe/Rome', 'Sat *-*-* 13:00:00 Europe/Rome'],
            'description': 'Lock the phones of site milano at closing time',
        },
        {
            'unit': 'imagicle-phonelock-milano-unlock',
            'site': 'milano',
            'state': 'unlocked',
            'playbook': 'imagicle.phonelock.morning_unlock',
            'timezone': 'Europe/Rome',
            'on_calendar': ['Mon..Fri *-*-* 08:00:00 Europe/Rome', 'Sat *-*-* 09:00:00 Europe/Rome'],
            'description': 'Unlock the phones of site milano at opening time',
        },
    ]


def test_the_filter_is_registered():
    assert FilterModule().filters() == {'office_hours_timers': office_hours_timers}


@pytest.mark.parametrize('days, weekdays', [
    (['mon', 'tue', 'wed', 'thu', 'fri'], 'Mon..Fri *-*-*'),
    (['sat', 'sun'], 'Sat,Sun *-*-*'),
    (['mon', 'tue'], 'Mon,Tue *-*-*'),
    (['mon', 'tue', 'wed'], 'Mon..Wed *-*-*'),
    (['wed'], 'Wed *-*-*'),
    (['sun', 'mon', 'wed', 'thu', 'fri'], 'Mon,Wed..Fri,Sun *-*-*'),
    (['mon', 'tue', 'wed', 'fri', 'sat'], 'Mon..Wed,Fri,Sat *-*-*'),
    (['fri', 'sat', 'sun', 'mon'], 'Mon,Fri..Sun *-*-*'),  # systemd ranges do not wrap round the week
    (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], '*-*-*'),  # every day: no weekday at all
    (['sun', 'sat', 'fri', 'thu', 'wed', 'tue', 'mon'], '*-*-*'),
])
def test_weekdays_are_written_in_systemds_normalized_form(days, weekdays):
    assert calendars([site(days=days, opens='08:00', closes='18:00')]) == {
        'imagicle-phonelock-s-lock': [weekdays + ' 18:00:00 Europe/Rome'],
        'imagicle-phonelock-s-unlock': [weekdays + ' 08:00:00 Europe/Rome'],
    }


def test_days_sharing_a_time_are_one_value_ordered_by_their_first_day():
    hours = {'wed': {'closes': '13:00'}, 'sat': {'opens': '09:30', 'closes': '12:30'}, 'sun': {'opens': '09:30', 'closes': '13:00'}}
    result = calendars([site(days=['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], hours=hours)])
    assert result == {
        'imagicle-phonelock-s-lock': [
            'Mon,Tue,Thu,Fri *-*-* 18:00:00 Europe/Rome',
            'Wed,Sun *-*-* 13:00:00 Europe/Rome',
            'Sat *-*-* 12:30:00 Europe/Rome',
        ],
        'imagicle-phonelock-s-unlock': [
            'Mon..Fri *-*-* 08:00:00 Europe/Rome',
            'Sat,Sun *-*-* 09:30:00 Europe/Rome',
        ],
    }


def test_an_override_with_the_same_time_changes_nothing():
    plain = calendars([site(days=['mon', 'tue'], opens='07:00')])
    assert calendars([site(days=['mon', 'tue'], opens='07:00', hours={'tue': {'opens': '07:00'}})]) == plain
    assert plain == {
        'imagicle-phonelock-s-lock': ['Mon,Tue *-*-* 18:00:00 Europe/Rome'],
        'imagicle-phonelock-s-unlock': ['Mon,Tue *-*-* 07:00:00 Europe/Rome'],
    }


def test_role_defaults_apply_and_a_site_overrides_them():
    defaults = {'days': ['mon', 'tue', 'wed', 'thu'], 'opens': '07:30', 'closes': '16:00', 'closed_dates': ['2026-08-15']}
    result = calendars([site('a'), site('b', days=['fri'], closes='17:45')], defaults)
    assert result == {
        'imagicle-phonelock-a-lock': ['Mon..Thu *-*-* 16:00:00 Europe/Rome'],
        'imagicle-phonelock-a-unlock': ['Mon..Thu *-*-* 07:30:00 Europe/Rome'],
        'imagicle-phonelock-b-lock': ['Fri *-*-* 17:45:00 Europe/Rome'],
        'imagicle-phonelock-b-unlock': ['Fri *-*-* 07:30:00 Europe/Rome'],
    }


def test_without_defaults_a_site_is_open_monday_to_friday_8_to_18():
    assert calendars([site()]) == {
        'imagicle-phonelock-s-lock': ['Mon..Fri *-*-* 18:00:00 Europe/Rome'],
        'imagicle-phonelock-s-unlock': ['Mon..Fri *-*-* 08:00:00 Europe/Rome'],
    }


@pytest.mark.parametrize('timezone', ['Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Adelaide', 'America/St_Johns', 'Atlantic/Reykjavik'])
def test_times_stay_local_in_half_hour_and_quarter_hour_zones(timezone):
    result = calendars([site('x', timezone, opens='09:30', closes='17:45')])
    assert result == {
        'imagicle-phonelock-x-lock': ['Mon..Fri *-*-* 17:45:00 ' + timezone],
        'imagicle-phonelock-x-unlock': ['Mon..Fri *-*-* 09:30:00 ' + timezone],
    }


def test_closed_dates_are_not_in_the_timers():
    without = dict(MILANO)
    del without['closed_dates']
    assert office_hours_timers([MILANO], {'closed_dates': ['2026-01-01']}) == office_hours_timers([without])


def test_sites_keep_their_order_lock_before_unlock():
    sites = [site('zeta'), site('alpha', 'Asia/Tokyo'), site('mid')]
    assert [(timer['site'], timer['state']) for timer in office_hours_timers(sites)] == [
        ('zeta', 'locked'), ('zeta', 'unlocked'), ('alpha', 'locked'), ('alpha', 'unlocked'), ('mid', 'locked'), ('mid', 'unlocked'),
    ]


def test_prefix_names_the_units():
    result = office_hours_timers([site('r.d_2-x')], prefix='phones.acme_1')
    assert [timer['unit'] for timer in result] == ['phones.acme_1-r.d_2-x-lock', 'phones.acme_1-r.d_2-x-unlock']


@pytest.mark.parametrize('limit, units', [
    (None, ['a', 'b', 'c']),
    ([], ['a', 'b', 'c']),
    (['c', 'a'], ['a', 'c']),  # the sites' order, not the limit's
    (['b', 'b'], ['b']),
])
def test_limit_selects_sites(limit, units):
    result = office_hours_timers([site('a'), site('b'), site('c')], limit=limit)
    assert [timer['site'] for timer in result if timer['state'] == 'locked'] == units


def test_limit_still_validates_every_site():
    with pytest.raises(AnsibleFilterError, match=r"office_hours_sites\[1\] \(b\): timezone 'Mars/Base' is not an IANA"):
        office_hours_timers([site('a'), site('b', 'Mars/Base')], limit=['a'])


@pytest.mark.parametrize('limit, message', [
    (['a', 'nope', 'gone'], "office_hours_limit names 'nope', 'gone', which match no site; the sites are a, b"),
    ([1], 'office_hours_limit must be a list of site names, or one comma-separated string of them, not [1] (list)'),
])
def test_bad_limit(limit, message):
    with pytest.raises(AnsibleFilterError) as raised:
        office_hours_timers([site('a'), site('b')], limit=limit)
    assert str(raised.value) == 'office_hours_timers: ' + message


@pytest.mark.parametrize('sites, defaults, prefix, message', [
    ({'name': 'a'}, None, 'p', 'office_hours_sites must be a list of sites, not dict'),
    ([site()], ['days'], 'p', "office_hours_defaults must be a dictionary with any of days, opens, closes, closed_dates, "
     "holidays, special_days, holds, not ['days'] (list)"),
    ([site()], None, '-p', "the prefix '-p' is not a valid unit name prefix: use a letter or digit, then letters, digits, "
                           '"_", "." or "-"'),
    ([site()], None, 'a b', "the prefix 'a b' is not a valid unit name prefix: use a letter or digit, then letters, digits, "
                            '"_", "." or "-"'),
    ([site()], None, '', "the prefix '' is not a valid unit name prefix: use a letter or digit, then letters, digits, "
                         '"_", "." or "-"'),
    ([site('a'), site('a')], None, 'p',
     ('office_hours_sites[0] (a): the name is also used by office_hours_sites[1] (a); site names must be unique, ignoring case | '
      'office_hours_sites[1] (a): the name is also used by office_hours_sites[0] (a); site names must be unique, ignoring case')),
    ([site('ok'), site('a', closes='07:00')], None, 'p',
     'office_hours_sites[1] (a): opens 08:00 is not before closes 07:00; an office opens and closes on the same day '
     '(no overnight hours)'),
    ([site('a b')], None, 'p', "office_hours_sites[0]: name 'a b' is not valid: use letters, digits, '_', '.' and '-', "
                               'starting with a letter or digit (it becomes part of systemd unit names)'),
    ([site(), 'x'], None, 'p', "office_hours_sites[1]: a site must be a dictionary with name, timezone and selections, not 'x'"),
    ([site('a' * 240)], None, 'p', 'the unit name p-%s-unlock.service is longer than systemd allows (255 characters): '
                                   'use a shorter prefix or site name' % ('a' * 240)),
])
def test_errors_name_the_problem(sites, defaults, prefix, message):
    with pytest.raises(AnsibleFilterError) as raised:
        office_hours_timers(sites, defaults, prefix)
    assert str(raised.value) == 'office_hours_timers: ' + message


def test_a_bad_default_is_an_error():
    with pytest.raises(AnsibleFilterError, match=r'^office_hours_timers: office_hours_defaults: unknown key .wrong.'):
        office_hours_timers([site()], {'wrong': 1})


SAMPLES = [value for sites in (
    [MILANO],
    [site(days=['sun', 'mon', 'wed', 'thu', 'fri'], timezone='Asia/Kathmandu', opens='06:15', closes='23:59')],
    [site(days=['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], timezone='America/St_Johns')],
    [site(days=['fri', 'sat', 'sun', 'mon'], timezone='Atlantic/Reykjavik', hours={'sun': {'opens': '00:00'}})],
) for timer in office_hours_timers(sites) for value in timer['on_calendar']]


@pytest.mark.skipif(shutil.which('systemd-analyze') is None, reason='systemd-analyze is not installed')
@pytest.mark.parametrize('value', SAMPLES)
def test_systemd_reads_each_value_as_its_own_normalized_form(value):
    run = subprocess.run(['systemd-analyze', 'calendar', value], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    # systemd prints an "Original form" line only when the normalized form differs.
    assert run.stdout.splitlines()[0].strip() == 'Normalized form: ' + value


def test_names_are_unique_ignoring_case_as_in_the_plan():
    with pytest.raises(AnsibleFilterError) as error:
        office_hours_timers([site('Milano'), site('milano')])
    assert error.value.message == (
        'office_hours_timers: office_hours_sites[0] (Milano): the name is also used by office_hours_sites[1] (milano); site names must be '
        'unique, ignoring case | office_hours_sites[1] (milano): the name is also used by office_hours_sites[0] (Milano); site names must '
        'be unique, ignoring case')


@pytest.mark.parametrize('limit', ['b', 'B', ' b ,', ['B']])
def test_limit_is_read_as_the_plan_reads_it(limit):
    assert [timer['unit'] for timer in office_hours_timers([site('a'), site('b')], limit=limit)] == [
        'imagicle-phonelock-b-lock', 'imagicle-phonelock-b-unlock']


# I7 of the role's README: a dated transition at a wall-clock time that occurs twice (clocks going back) fires at its
# instant, not an hour early at the first occurrence, and the timers cover the days the AWX schedules cover.
REPEATED = [
    # A night inventory (held unlocked) that ends at the second 02:30 of 2027-10-31 in Rome (CET, +01:00): the lock is at
    # 01:30 UTC, not at 00:30 (the first 02:30).
    ('Europe/Rome', {'from': '2027-10-30T20:00:00+02:00', 'until': '2027-10-31T02:30:00+01:00'}, 'until', 'locked', '2027-10-31 01:30:00 UTC'),
    # One that starts at the second 01:30 of 2027-11-07 in New York (EST, -05:00).
    ('America/New_York', {'from': '2027-11-07T01:30:00-05:00', 'until': '2027-11-07T04:00:00-05:00'}, 'from', 'unlocked',
     '2027-11-07 06:30:00 UTC'),
]


def held_timers(timezone, hold):
    held = site(timezone=timezone, days=['mon', 'tue', 'wed', 'thu', 'fri'], holds=[dict(hold, state='unlocked', reason='inventory')])
    return dict((timer['state'], timer['on_calendar']) for timer in office_hours_timers([held], horizon_start='2027-10-01'))


@pytest.mark.parametrize('timezone, hold, end, state, value', REPEATED)
def test_a_transition_in_a_repeated_hour_is_written_as_its_utc_instant(timezone, hold, end, state, value):
    timers = held_timers(timezone, hold)
    assert value in timers[state]
    # The other end is not in a repeated hour: it stays local.
    other = timers['unlocked' if state == 'locked' else 'locked']
    assert [item for item in other if item[0].isdigit()] and all('UTC' not in item for item in other)


@pytest.mark.skipif(shutil.which('systemd-analyze') is None, reason='systemd-analyze is not installed')
@pytest.mark.parametrize('timezone, hold, end, state, value', REPEATED)
def test_systemd_fires_a_repeated_hour_value_at_the_hold_s_instant(timezone, hold, end, state, value):
    run = subprocess.run(['systemd-analyze', 'calendar', value], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    expected = datetime.fromisoformat(hold[end]).astimezone(timezone_utc).strftime('%a %Y-%m-%d %H:%M:%S UTC')
    assert 'Next elapse: %s' % expected in run.stdout
    # What the local value would have given: the first occurrence, an hour early.
    local = datetime.fromisoformat(hold[end]).strftime('%Y-%m-%d %H:%M:%S ') + timezone
    early = subprocess.run(['systemd-analyze', 'calendar', local], capture_output=True, text=True, check=False)
    assert 'Next elapse: %s' % expected not in early.stdout


def test_the_timers_cover_the_days_the_awx_schedules_cover():
    # A night inventory (held unlocked) that ends on 2027-12-01, the same date a year after the horizon's first day: both
    # leave its end to the next run; its start, on the first day, is in both.
    def both(until):
        held = site(days=['sat'], holds=[{'state': 'unlocked', 'from': '2026-12-01T10:00:00+01:00', 'until': until, 'reason': 'inventory'}])
        timers = dict((timer['state'], timer['on_calendar']) for timer in office_hours_timers([held], horizon_start='2026-12-01'))
        rrules = dict((item['state'], item['rrule']) for item in office_hours_rrules([held], '2026-12-01', horizon_start='2026-12-01'))
        return timers, rrules
    timers, rrules = both('2027-12-01T11:00:00+01:00')
    assert '2026-12-01 10:00:00 Europe/Rome' in timers['unlocked'] and 'BYMONTH=12;BYMONTHDAY=1;BYHOUR=10' in rrules['unlocked']
    assert not any(value.startswith('2027-12-01') for value in timers['locked'])
    assert 'UNTIL=20271201' not in rrules['locked']
    # The day before the anniversary is in both.
    timers, rrules = both('2027-11-30T11:00:00+01:00')
    assert '2027-11-30 11:00:00 Europe/Rome' in timers['locked'] and 'UNTIL=20271130T100000Z' in rrules['locked']
