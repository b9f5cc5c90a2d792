# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Office hours: parsing a site, the calendar at chosen instants (DST, odd offsets, closed dates), transitions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import WEEKDAYS, parse_instant, status, transitions
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._instant import InstantError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import Site, SiteError, parse_site

SEL = [{'custom_field1': 'Roma'}]
ROMA = {'name': 'roma', 'timezone': 'Europe/Rome', 'selections': SEL,
        'closed_dates': ['2026-12-25', '2026-12-28..2026-12-31']}


def site(**changes):
    return parse_site(dict(ROMA, **changes))


def at(text):
    return parse_instant(text)


def flips(result):
    return [(moment.isoformat(), state) for moment, state in result]


# --- parse_site -------------------------------------------------------------------------------------------------

def test_parse_site_builtin_defaults():
    parsed = parse_site({'name': 'roma', 'timezone': 'Europe/Rome', 'selections': SEL})
    assert parsed == Site(name='roma', timezone='Europe/Rome', zone=ZoneInfo('Europe/Rome'), selections=({'custom_field1': 'Roma'},),
                          weekly=dict((day, (time(8), time(18))) for day in range(5)), closed=())
    assert WEEKDAYS[4] == 'fri'
    assert parse_site(parsed) is parsed
    assert hash(parsed) == hash(parse_site({'name': 'roma', 'timezone': 'Europe/Rome', 'selections': SEL}))


def test_parse_site_overrides_defaults_and_adds_closed_dates():
    defaults = {'days': ['mon', 'tue'], 'opens': '07:00', 'closes': '16:00', 'closed_dates': ['2026-12-25', date(2026, 1, 1)]}
    parsed = parse_site({'name': 'milano', 'timezone': 'Europe/Rome', 'selections': SEL, 'days': ['Mon', 'SAT'], 'closes': '19:30',
                         'hours': {'sat': {'opens': '09:00', 'closes': '13:00'}},
                         'closed_dates': [date(2026, 12, 24), '2026-12-26..2026-12-27', '2026-08-10 .. 2026-08-21', '2026-08-15']},
                        defaults)
    assert parsed.weekly == {0: (time(7), time(19, 30)), 5: (time(9), time(13))}
    # Sorted, and overlapping or adjacent ranges merged (24, 25 and 26..27 touch).
    assert parsed.closed == ((date(2026, 1, 1), date(2026, 1, 1)), (date(2026, 8, 10), date(2026, 8, 21)),
                             (date(2026, 12, 24), date(2026, 12, 27)))
    assert parse_site({'name': 'x', 'timezone': 'Atlantic/Reykjavik', 'selections': SEL}, defaults).weekly == {0: (time(7), time(16)), 1: (time(7), time(16))}


def test_hours_override_falls_back_to_the_site_times():
    parsed = site(days=['mon', 'fri'], opens='08:30', hours={'fri': {'closes': '14:00'}, 'mon': {'opens': '10:00'}})
    assert parsed.weekly == {0: (time(10), time(18)), 4: (time(8, 30), time(14))}


def test_where_is_not_repeated_when_it_names_the_site():
    with pytest.raises(SiteError) as error:
        parse_site(dict(ROMA, timezone='Europe/Rom'), where='sites[1] (roma)')
    assert str(error.value) == "sites[1] (roma): timezone 'Europe/Rom' is not an IANA time zone name; did you mean Europe/Rome or Europe/Riga or Europe/Oslo?"


NAME_RULE = "letters, digits, '_', '.' and '-', starting with a letter or digit (it becomes part of systemd unit names)"
HHMM = 'is not a time of day; use "HH:MM" in 24-hour form, 00:00 to 23:59'
NOT_DATE = 'is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)'
OVERNIGHT = 'an office opens and closes on the same day (no overnight hours)'
SELECTIONS = 'a non-empty list of filter dictionaries such as {department: Sales, custom_field1: Milano}'
P = 'sites[1] (roma): '


@pytest.mark.parametrize('raw, defaults, message', [
    ([], None, 'sites[1]: a site must be a dictionary with name, timezone and selections, not [] (list)'),
    (dict(ROMA, name=None), None, 'sites[1]: name is required: ' + NAME_RULE),
    (dict(ROMA, name='my site'), None, "sites[1]: name 'my site' is not valid: use " + NAME_RULE),
    (dict(ROMA, name='-x'), None, "sites[1]: name '-x' is not valid: use " + NAME_RULE),
    (dict(ROMA, name='rome/1'), None, "sites[1]: name 'rome/1' is not valid: use " + NAME_RULE),
    (dict(ROMA, name=5), None, 'sites[1]: name 5 (int) is not valid: use ' + NAME_RULE),
    (dict(ROMA, tz='x', sellections=1), None,
     P + "unknown keys 'sellections', 'tz'; the accepted keys are name, timezone, selections, days, opens, closes, hours, closed_dates, "
     "holidays, special_days, holds"),
    (dict(ROMA, timezone=None), None, P + 'timezone is required: an IANA time zone name (for example Europe/Rome)'),
    (dict(ROMA, timezone='Europe/Rom'), None,
     P + "timezone 'Europe/Rom' is not an IANA time zone name; did you mean Europe/Rome or Europe/Riga or Europe/Oslo?"),
    (dict(ROMA, timezone='localtime'), None, P + "timezone 'localtime' is not an IANA time zone name (for example Europe/Rome)"),
    (dict(ROMA, timezone='/etc/localtime'), None, P + "timezone '/etc/localtime' is not an IANA time zone name (for example Europe/Rome)"),
    (dict(ROMA, timezone='../etc/passwd'), None, P + "timezone '../etc/passwd' is not an IANA time zone name (for example Europe/Rome)"),
    (dict(ROMA, timezone='Europe'), None, P + "timezone 'Europe' is not an IANA time zone name; did you mean Europe/Rome or Europe/Riga or Europe/Oslo?"),
    (dict(ROMA, timezone=''), None, P + "timezone '' is not an IANA time zone name (for example Europe/Rome)"),
    (dict(ROMA, timezone='right/Europe/Rome'), None, P + "timezone 'right/Europe/Rome' is not an IANA time zone name (for example Europe/Rome)"),
    (dict(ROMA, timezone=1), None, P + 'timezone 1 (int) is not an IANA time zone name (for example Europe/Rome)'),
    (dict(ROMA, selections=None), None, P + 'selections is required: ' + SELECTIONS),
    (dict(ROMA, selections=[]), None, P + 'selections must be %s, not [] (list)' % SELECTIONS),
    (dict(ROMA, selections={'department': 'x'}), None, P + "selections must be %s, not {'department': 'x'} (dict)" % SELECTIONS),
    (dict(ROMA, selections=[{}]), None, P + 'selections[0] must be a non-empty dictionary of filters such as {department: Sales}, not {} (dict)'),
    (dict(ROMA, selections=[SEL[0], 'Sales']), None,
     P + "selections[1] must be a non-empty dictionary of filters such as {department: Sales}, not 'Sales'"),
    (dict(ROMA, days=[]), None, P + 'days must be a non-empty list of weekday names (mon, tue, wed, thu, fri, sat or sun), not [] (list)'),
    (dict(ROMA, days='mon'), None, P + "days must be a non-empty list of weekday names (mon, tue, wed, thu, fri, sat or sun), not 'mon'"),
    (dict(ROMA, days=['monday']), None, P + "days: 'monday' is not a weekday name; use mon, tue, wed, thu, fri, sat or sun"),
    (dict(ROMA, days=['mon', 'Mon']), None, P + 'days: mon is given twice'),
    (dict(ROMA, opens='8:00'), None, P + "opens '8:00' " + HHMM),
    (dict(ROMA, opens='24:00'), None, P + "opens '24:00' " + HHMM),
    (dict(ROMA, opens=True), None, P + 'opens True (bool) ' + HHMM),
    (dict(ROMA, closes=1080), None, P + "closes 1080 is a number, not a time of day: YAML reads an unquoted 18:00 as 1080; quote it ('18:00')"),
    (dict(ROMA, opens='18:00', closes='08:00'), None, P + 'opens 18:00 is not before closes 08:00; ' + OVERNIGHT),
    (dict(ROMA, opens='18:00'), None, P + 'opens 18:00 is not before closes 18:00; ' + OVERNIGHT),
    (ROMA, {'closes': '07:00'}, P + 'opens 08:00 is not before closes 07:00 (from office_hours_defaults); ' + OVERNIGHT),
    (dict(ROMA, hours=[]), None, P + 'hours must be a dictionary of weekday: {opens: "HH:MM", closes: "HH:MM"}, not [] (list)'),
    (dict(ROMA, hours={'sat': {'opens': '09:00'}}), None,
     P + 'hours.sat: sat is not an office day (days: mon, tue, wed, thu, fri); add it to days or remove its hours'),
    (dict(ROMA, hours={'saturday': {}}), None, P + "hours: 'saturday' is not a weekday name; use mon, tue, wed, thu, fri, sat or sun"),
    (dict(ROMA, hours={'mon': {'opens': '09:00'}, 'Mon': {}}), None, P + 'hours: mon is given twice'),
    (dict(ROMA, hours={'mon': '09:00-13:00'}), None, P + 'hours.mon must be a dictionary with opens and/or closes ("HH:MM"), not \'09:00-13:00\''),
    (dict(ROMA, hours={'mon': {'open': '09:00'}}), None, P + "hours.mon: unknown key 'open'; the accepted keys are opens, closes"),
    (dict(ROMA, hours={'mon': {'opens': '19:00'}}), None,
     P + 'hours.mon.opens 19:00 is not before hours.mon.closes 18:00 (from the site); ' + OVERNIGHT),
    (dict(ROMA, hours={'mon': {'closes': '7:00'}}), None, P + "hours.mon.closes '7:00' " + HHMM),
    (dict(ROMA, closed_dates='2026-12-25'), None,
     P + "closed_dates must be a list of dates (YYYY-MM-DD) or inclusive ranges (YYYY-MM-DD..YYYY-MM-DD), not '2026-12-25'"),
    (dict(ROMA, closed_dates=['2026-13-01']), None, P + "closed_dates[0]: '2026-13-01' " + NOT_DATE),
    (dict(ROMA, closed_dates=['2026-01-01', '2026-02-30']), None, P + "closed_dates[1]: '2026-02-30' " + NOT_DATE),
    (dict(ROMA, closed_dates=['25/12/2026']), None, P + "closed_dates[0]: '25/12/2026' " + NOT_DATE),
    (dict(ROMA, closed_dates=['2026-12-24..']), None, P + "closed_dates[0]: '2026-12-24..' " + NOT_DATE),
    (dict(ROMA, closed_dates=[20261225]), None, P + 'closed_dates[0]: 20261225 (int) ' + NOT_DATE),
    (dict(ROMA, closed_dates=[datetime(2026, 12, 25, 10, 0)]), None, P + 'closed_dates[0]: 2026-12-25 10:00:00 (datetime) ' + NOT_DATE),
    (dict(ROMA, closed_dates=['2026-12-31..2026-12-24']), None,
     P + "closed_dates[0]: the range '2026-12-31..2026-12-24' ends before it starts; write the earlier date first"),
    (ROMA, 'x', "office_hours_defaults must be a dictionary with any of days, opens, closes, closed_dates, "
     "holidays, special_days, holds, not 'x'"),
    (ROMA, {'timezone': 'UTC'}, "office_hours_defaults: unknown key 'timezone'; the accepted keys are days, opens, closes, closed_dates, "
     "holidays, special_days, holds"),
    (ROMA, {'days': ['xx']}, "office_hours_defaults: days: 'xx' is not a weekday name; use mon, tue, wed, thu, fri, sat or sun"),
    (ROMA, {'opens': '9'}, "office_hours_defaults: opens '9' " + HHMM),
    (ROMA, {'closed_dates': ['x']}, "office_hours_defaults: closed_dates[0]: 'x' " + NOT_DATE),
])
def test_site_errors(raw, defaults, message):
    with pytest.raises(SiteError) as error:
        parse_site(raw, defaults, where='sites[1]')
    assert str(error.value) == message


# --- parse_instant ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    ('2026-11-23T19:05:00+01:00', datetime(2026, 11, 23, 18, 5, tzinfo=timezone.utc)),
    ('2026-11-23T18:05Z', datetime(2026, 11, 23, 18, 5, tzinfo=timezone.utc)),
    ('2026-11-23 23:35:30.5+0530', datetime(2026, 11, 23, 18, 5, 30, 500000, tzinfo=timezone.utc)),
    (datetime(2026, 11, 23, 19, 5, tzinfo=ZoneInfo('Europe/Rome')), datetime(2026, 11, 23, 18, 5, tzinfo=timezone.utc)),
])
def test_parse_instant(value, expected):
    parsed = parse_instant(value)
    assert parsed == expected and parsed.tzinfo is timezone.utc


@pytest.mark.parametrize('value', [None, ''])
def test_parse_instant_empty_is_now(value):
    assert abs(parse_instant(value) - datetime.now(timezone.utc)) < timedelta(seconds=5)


@pytest.mark.parametrize('value, message', [
    ('2026-11-23T19:05', "office_hours_now '2026-11-23T19:05' has no UTC offset, so it is ambiguous across time zones; add an offset such as Z or +01:00"),
    (datetime(2026, 11, 23, 19, 5),
     'office_hours_now 2026-11-23T19:05:00 has no UTC offset, so it is ambiguous across time zones; add an offset such as Z or +01:00'),
    ('2026-11-23', "office_hours_now '2026-11-23' is not an ISO 8601 date and time with an offset, such as 2026-11-23T19:05:00+01:00 or 2026-11-23T18:05Z"),
    ('tomorrow', "office_hours_now 'tomorrow' is not an ISO 8601 date and time with an offset, such as 2026-11-23T19:05:00+01:00 or 2026-11-23T18:05Z"),
    ('2026-02-30T10:00Z', "office_hours_now '2026-02-30T10:00Z' is not a valid date and time (ISO 8601 with an offset, such as 2026-11-23T19:05:00+01:00)"),
    (5, 'office_hours_now must be an ISO 8601 date and time with an offset (such as 2026-11-23T19:05:00+01:00) or an aware datetime, not 5 (int)'),
])
def test_parse_instant_errors(value, message):
    with pytest.raises(InstantError) as error:
        parse_instant(value)
    assert str(error.value) == message


# --- status -----------------------------------------------------------------------------------------------------

def test_status_keys_and_values():
    assert status(site(), at('2026-11-23T19:05:00+01:00')) == {
        'name': 'roma',
        'timezone': 'Europe/Rome',
        'at': '2026-11-23T18:05:00Z',
        'local_time': '2026-11-23T19:05:00+01:00',
        'local_label': 'Mon 2026-11-23 19:05 CET',
        'open': False,
        'state': 'locked',
        'reason': 'closed: after closing (Mon 08:00-18:00)',
        'next_transition': '2026-11-24T08:00:00+01:00',
        'next_state': 'unlocked',
        'next_label': 'Tue 2026-11-24 08:00 CET',
        'hold': None,
    }


@pytest.mark.parametrize('instant, state, reason, next_transition', [
    ('2026-11-23T06:59:59Z', 'locked', 'closed: before opening (Mon 08:00-18:00)', '2026-11-23T08:00:00+01:00'),
    ('2026-11-23T07:00:00Z', 'unlocked', 'open (Mon 08:00-18:00)', '2026-11-23T18:00:00+01:00'),
    ('2026-11-23T16:59:59.999Z', 'unlocked', 'open (Mon 08:00-18:00)', '2026-11-23T18:00:00+01:00'),
    ('2026-11-23T17:00:00Z', 'locked', 'closed: after closing (Mon 08:00-18:00)', '2026-11-24T08:00:00+01:00'),
    ('2026-11-27T17:00:00Z', 'locked', 'closed: after closing (Fri 08:00-18:00)', '2026-11-30T08:00:00+01:00'),
    ('2026-11-28T10:00:00Z', 'locked', 'closed: Sat is not an office day', '2026-11-30T08:00:00+01:00'),
    ('2026-11-29T22:59:00Z', 'locked', 'closed: Sun is not an office day', '2026-11-30T08:00:00+01:00'),
    # Closed date, then a weekend, then a closed range: next opening on 2027-01-01.
    ('2026-12-25T10:00:00Z', 'locked', 'closed: 2026-12-25 is a closed date', '2027-01-01T08:00:00+01:00'),
    ('2026-12-29T10:00:00Z', 'locked', 'closed: 2026-12-29 is a closed date', '2027-01-01T08:00:00+01:00'),
    ('2026-12-24T16:59:00Z', 'unlocked', 'open (Thu 08:00-18:00)', '2026-12-24T18:00:00+01:00'),
    # Summer time: 08:00 CEST is 06:00Z.
    ('2026-07-01T06:00:00Z', 'unlocked', 'open (Wed 08:00-18:00)', '2026-07-01T18:00:00+02:00'),
])
def test_status_roma(instant, state, reason, next_transition):
    result = status(site(), at(instant))
    assert (result['state'], result['open'], result['reason'], result['next_transition']) == (state, state == 'unlocked', reason, next_transition)
    assert result['next_state'] == ('locked' if state == 'unlocked' else 'unlocked')


@pytest.mark.parametrize('raw, instant, expected', [
    # Sydney in its summer (AEDT, +11:00): Tuesday 08:00 local is Monday 21:00Z.
    ({'timezone': 'Australia/Sydney'}, '2026-11-23T20:59:00Z',
     ('Tue 2026-11-24 07:59 AEDT', 'closed: before opening (Tue 08:00-18:00)', '2026-11-24T08:00:00+11:00')),
    ({'timezone': 'Australia/Sydney'}, '2026-11-23T21:00:00Z',
     ('Tue 2026-11-24 08:00 AEDT', 'open (Tue 08:00-18:00)', '2026-11-24T18:00:00+11:00')),
    # Sydney in its winter (AEST, +10:00).
    ({'timezone': 'Australia/Sydney'}, '2026-07-06T22:00:00Z',
     ('Tue 2026-07-07 08:00 AEST', 'open (Tue 08:00-18:00)', '2026-07-07T18:00:00+10:00')),
    # A closed date on the local date while UTC is still the previous day (Australia Day).
    ({'timezone': 'Australia/Sydney', 'closed_dates': ['2026-01-26']}, '2026-01-25T22:00:00Z',
     ('Mon 2026-01-26 09:00 AEDT', 'closed: 2026-01-26 is a closed date', '2026-01-27T08:00:00+11:00')),
    ({'timezone': 'Australia/Sydney', 'closed_dates': ['2026-01-26']}, '2026-01-26T22:00:00Z',
     ('Tue 2026-01-27 09:00 AEDT', 'open (Tue 08:00-18:00)', '2026-01-27T18:00:00+11:00')),
    # A closed date on the local date while UTC is already the next day (an evening call centre).
    ({'timezone': 'America/Sao_Paulo', 'opens': '10:00', 'closes': '23:30', 'closed_dates': ['2026-12-24']}, '2026-12-25T01:00:00Z',
     ('Thu 2026-12-24 22:00 -03', 'closed: 2026-12-24 is a closed date', '2026-12-25T10:00:00-03:00')),
    ({'timezone': 'America/Sao_Paulo', 'opens': '10:00', 'closes': '23:30', 'closed_dates': ['2026-12-24']}, '2026-12-24T01:00:00Z',
     ('Wed 2026-12-23 22:00 -03', 'open (Wed 10:00-23:30)', '2026-12-23T23:30:00-03:00')),
    # Half-hour and 45-minute offsets.
    ({'timezone': 'Asia/Kolkata'}, '2026-11-23T02:29:00Z',
     ('Mon 2026-11-23 07:59 IST', 'closed: before opening (Mon 08:00-18:00)', '2026-11-23T08:00:00+05:30')),
    ({'timezone': 'Asia/Kolkata'}, '2026-11-23T02:30:00Z', ('Mon 2026-11-23 08:00 IST', 'open (Mon 08:00-18:00)', '2026-11-23T18:00:00+05:30')),
    ({'timezone': 'Asia/Kolkata'}, '2026-11-23T12:30:00Z',
     ('Mon 2026-11-23 18:00 IST', 'closed: after closing (Mon 08:00-18:00)', '2026-11-24T08:00:00+05:30')),
    ({'timezone': 'Asia/Kathmandu'}, '2026-11-23T02:14:00Z',
     ('Mon 2026-11-23 07:59 +0545', 'closed: before opening (Mon 08:00-18:00)', '2026-11-23T08:00:00+05:45')),
    ({'timezone': 'Asia/Kathmandu'}, '2026-11-23T02:15:00Z', ('Mon 2026-11-23 08:00 +0545', 'open (Mon 08:00-18:00)', '2026-11-23T18:00:00+05:45')),
    # Adelaide in its summer: +10:30.
    ({'timezone': 'Australia/Adelaide'}, '2026-11-22T21:30:00Z', ('Mon 2026-11-23 08:00 ACDT', 'open (Mon 08:00-18:00)', '2026-11-23T18:00:00+10:30')),
])
def test_status_zones(raw, instant, expected):
    result = status(parse_site(dict({'name': 'x', 'selections': SEL}, **raw)), at(instant))
    assert (result['local_label'], result['reason'], result['next_transition']) == expected


def test_status_takes_any_aware_datetime_and_drops_fractions_in_text():
    instant = datetime(2026, 11, 23, 23, 35, 59, 900000, tzinfo=ZoneInfo('Asia/Kolkata'))
    result = status(site(), instant)
    assert (result['at'], result['local_time'], result['open']) == ('2026-11-23T18:05:59Z', '2026-11-23T19:05:59+01:00', False)


def test_no_next_transition_beyond_the_horizon():
    closed = site(closed_dates=['2026-01-01..2027-12-31'])
    result = status(closed, at('2026-06-01T10:00Z'))
    assert (result['state'], result['next_transition'], result['next_state'], result['next_label']) == ('locked', None, None, None)
    # 400 days after 2027-12-01 10:00Z reach 2029-01-05: the opening of Mon 2028-01-03 is within them.
    assert status(closed, at('2027-12-01T10:00Z'))['next_transition'] == '2028-01-03T08:00:00+01:00'


# --- daylight saving --------------------------------------------------------------------------------------------

def sunday_site(opens, closes, timezone_name='Europe/Rome'):
    return site(timezone=timezone_name, days=['sun'], opens=opens, closes=closes, closed_dates=[])


def test_opening_in_the_skipped_hour_happens_when_the_clock_jumps():
    # Europe/Rome, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z). 02:30 does not exist.
    sunday = sunday_site('02:30', '03:30')
    assert flips(transitions(sunday, at('2026-03-28T00:00Z'), at('2026-03-30T00:00Z'))) == [
        ('2026-03-29T03:00:00+02:00', 'unlocked'), ('2026-03-29T03:30:00+02:00', 'locked')]
    before = status(sunday, at('2026-03-29T00:59:59Z'))
    assert (before['local_label'], before['state'], before['reason']) == ('Sun 2026-03-29 01:59 CET', 'locked', 'closed: before opening (Sun 02:30-03:30)')
    assert (before['next_transition'], before['next_label']) == ('2026-03-29T03:00:00+02:00', 'Sun 2026-03-29 03:00 CEST')
    assert status(sunday, at('2026-03-29T01:00:00Z'))['state'] == 'unlocked'


def test_closing_in_the_skipped_hour_happens_when_the_clock_jumps():
    sunday = sunday_site('01:00', '02:30')
    assert flips(transitions(sunday, at('2026-03-28T00:00Z'), at('2026-03-30T00:00Z'))) == [
        ('2026-03-29T01:00:00+01:00', 'unlocked'), ('2026-03-29T03:00:00+02:00', 'locked')]
    assert status(sunday, at('2026-03-29T00:59:59Z'))['state'] == 'unlocked'
    assert status(sunday, at('2026-03-29T01:00:00Z'))['reason'] == 'closed: after closing (Sun 01:00-02:30)'


def test_hours_wholly_in_the_skipped_hour_never_open():
    sunday = sunday_site('02:15', '02:45')
    assert flips(transitions(sunday, at('2026-03-28T00:00Z'), at('2026-03-30T00:00Z'))) == []
    result = status(sunday, at('2026-03-29T01:00:00Z'))
    assert (result['state'], result['reason']) == ('locked', 'closed: the clock skips Sun 02:15-02:45 on 2026-03-29')
    assert result['next_transition'] == '2026-04-05T02:15:00+02:00'


def test_repeated_hour_happens_once_at_its_first_occurrence():
    # Europe/Rome, 2026-10-25: 03:00 CEST (01:00Z) goes back to 02:00 CET, so 02:30 happens at 00:30Z and 01:30Z.
    sunday = sunday_site('02:30', '03:30')
    assert flips(transitions(sunday, at('2026-10-24T00:00Z'), at('2026-10-26T00:00Z'))) == [
        ('2026-10-25T02:30:00+02:00', 'unlocked'), ('2026-10-25T03:30:00+01:00', 'locked')]
    assert status(sunday, at('2026-10-25T00:29:59Z'))['state'] == 'locked'
    for instant in ('2026-10-25T00:30Z', '2026-10-25T01:29:59Z', '2026-10-25T01:30Z', '2026-10-25T02:29:59Z'):
        result = status(sunday, at(instant))
        assert (result['state'], result['next_transition']) == ('unlocked', '2026-10-25T03:30:00+01:00'), instant
    assert status(sunday, at('2026-10-25T02:30Z'))['state'] == 'locked'


def test_closing_in_the_repeated_hour_closes_at_the_first_occurrence():
    sunday = sunday_site('01:00', '02:30')
    assert flips(transitions(sunday, at('2026-10-24T00:00Z'), at('2026-10-26T00:00Z'))) == [
        ('2026-10-25T01:00:00+02:00', 'unlocked'), ('2026-10-25T02:30:00+02:00', 'locked')]
    # The second 02:30 (CET) is after closing: no reopening.
    assert status(sunday, at('2026-10-25T01:30Z'))['reason'] == 'closed: after closing (Sun 01:00-02:30)'


@pytest.mark.parametrize('zone, day, opens, closes, expected', [
    # America/New_York: 2026-03-08 02:00 EST jumps to 03:00 EDT; 2026-11-01 02:00 EDT goes back to 01:00 EST.
    ('America/New_York', '2026-03-08', '01:30', '02:30', [('2026-03-08T01:30:00-05:00', 'unlocked'), ('2026-03-08T03:00:00-04:00', 'locked')]),
    ('America/New_York', '2026-11-01', '01:30', '02:30', [('2026-11-01T01:30:00-04:00', 'unlocked'), ('2026-11-01T02:30:00-05:00', 'locked')]),
    # Australia/Sydney: 2026-04-05 03:00 AEDT goes back to 02:00 AEST; 2026-10-04 02:00 AEST jumps to 03:00 AEDT.
    ('Australia/Sydney', '2026-04-05', '02:30', '05:00', [('2026-04-05T02:30:00+11:00', 'unlocked'), ('2026-04-05T05:00:00+10:00', 'locked')]),
    ('Australia/Sydney', '2026-10-04', '02:30', '05:00', [('2026-10-04T03:00:00+11:00', 'unlocked'), ('2026-10-04T05:00:00+11:00', 'locked')]),
])
def test_dst_days_elsewhere(zone, day, opens, closes, expected):
    sunday = sunday_site(opens, closes, zone)
    start = datetime.fromisoformat(day + 'T00:00').replace(tzinfo=ZoneInfo(zone))
    assert flips(transitions(sunday, start, start + timedelta(days=1))) == expected


# --- transitions ------------------------------------------------------------------------------------------------

def test_transitions_are_strictly_after_start_and_up_to_end():
    roma = site()
    assert flips(transitions(roma, at('2026-11-23T07:00Z'), at('2026-11-24T07:00Z'))) == [
        ('2026-11-23T18:00:00+01:00', 'locked'), ('2026-11-24T08:00:00+01:00', 'unlocked')]
    assert flips(transitions(roma, at('2026-11-24T07:00Z'), at('2026-11-23T07:00Z'))) == []


@pytest.mark.parametrize('raw, start', [
    ({'timezone': 'Europe/Rome', 'days': ['mon', 'tue', 'sat', 'sun'], 'hours': {'sun': {'opens': '02:30', 'closes': '03:30'}}},
     '2026-03-26T00:00Z'),
    ({'timezone': 'Europe/Rome', 'days': ['mon', 'tue', 'sat', 'sun'], 'hours': {'sun': {'opens': '02:30', 'closes': '03:30'}}},
     '2026-10-22T00:00Z'),
    ({'timezone': 'Australia/Sydney', 'days': list(WEEKDAYS), 'hours': {'sun': {'opens': '02:30', 'closes': '05:00'}},
      'closed_dates': ['2026-04-06']}, '2026-04-02T00:00Z'),
    ({'timezone': 'Asia/Kathmandu', 'opens': '00:00', 'closes': '23:59', 'closed_dates': ['2026-11-24']}, '2026-11-20T00:00Z'),
])
def test_transitions_agree_with_status_minute_by_minute(raw, start):
    parsed = parse_site(dict({'name': 'x', 'selections': SEL}, **raw))
    first = at(start)
    minutes = [first + timedelta(minutes=minute) for minute in range(7 * 1440)]
    states = [status(parsed, instant)['state'] for instant in minutes]
    seen = [(minutes[index], states[index]) for index in range(1, len(minutes)) if states[index] != states[index - 1]]
    expected = list(transitions(parsed, first, minutes[-1]))
    assert [(moment.astimezone(timezone.utc), state) for moment, state in expected] == seen
    assert seen, 'the window should hold transitions'
    # next_transition is the next flip.
    for index in range(0, len(minutes), 97):
        upcoming = [moment for moment, dummy in expected if moment > minutes[index]]
        if upcoming:
            assert status(parsed, minutes[index])['next_transition'] == upcoming[0].isoformat()


def test_transitions_over_a_year_come_in_pairs():
    roma = site(closed_dates=['2026-08-10..2026-08-21'])
    result = list(transitions(roma, at('2025-12-31T23:00Z'), at('2026-12-31T23:00Z')))
    # 261 weekdays in 2026, minus 10 in the summer closure.
    assert len(result) == 2 * 251
    assert [state for dummy, state in result] == ['unlocked', 'locked'] * 251
    assert all(earlier[0] < later[0] for earlier, later in zip(result, result[1:]))


def test_a_skipped_day_has_no_interval_and_no_zero_length_flips():
    # Pacific/Apia skipped 2011-12-30 entirely (from -10:00 to +14:00).
    apia = parse_site({'name': 'apia', 'timezone': 'Pacific/Apia', 'selections': SEL, 'days': list(WEEKDAYS)})
    assert flips(transitions(apia, at('2011-12-29T00:00-10:00'), at('2012-01-01T00:00+14:00'))) == [
        ('2011-12-29T08:00:00-10:00', 'unlocked'), ('2011-12-29T18:00:00-10:00', 'locked'),
        ('2011-12-31T08:00:00+14:00', 'unlocked'), ('2011-12-31T18:00:00+14:00', 'locked')]
    result = status(apia, at('2011-12-29T23:59:59-10:00'))
    assert (result['local_label'], result['reason'], result['next_label']) == (
        'Thu 2011-12-29 23:59 -10', 'closed: after closing (Thu 08:00-18:00)', 'Sat 2011-12-31 08:00 +14')
