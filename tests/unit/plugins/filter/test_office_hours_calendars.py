# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The schedulers, the preview and the .ics export know the office calendars (issue 13): a special day's other hours
and a hold's start get dated timer values and one-shot AWX rrule parts, a rerun converges, the .ics parses back."""

from __future__ import annotations

from datetime import datetime

import pytest
from dateutil.rrule import rrulestr

from ansible.errors import AnsibleFilterError

from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_preview import office_hours_preview
from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_rrules import office_hours_rrules
from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_timers import office_hours_timers
from ansible_collections.imagicle.phonelock.plugins.plugin_utils import _holidays

icalendar = pytest.importorskip('icalendar')
pytest.importorskip('holidays')

from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_ics import office_hours_ics  # noqa: E402 pylint: disable=wrong-import-position

ROMA = {'name': 'roma', 'timezone': 'Europe/Rome', 'selections': [{'custom_field1': 'Roma'}], 'holidays': 'IT',
        'special_days': [{'date': '2026-12-24', 'closes': '13:00', 'reason': 'Vigilia'}],
        'holds': [{'state': 'locked', 'from': '2026-12-01T10:30:00+01:00', 'until': '2026-12-03T08:00:00+01:00', 'reason': 'INC-4711'}]}


def test_timers_get_dated_values_for_what_the_weekly_values_miss_only():
    timers = office_hours_timers([ROMA], horizon_start='2026-11-30')
    assert [(timer['unit'], timer['on_calendar']) for timer in timers] == [
        ('imagicle-phonelock-roma-lock', ['Mon..Fri *-*-* 18:00:00 Europe/Rome', '2026-12-01 10:30:00 Europe/Rome',
                                          '2026-12-24 13:00:00 Europe/Rome']),
        # the hold ends at 08:00 on a Thursday: the weekly unlock runs then; the holidays need nothing
        ('imagicle-phonelock-roma-unlock', ['Mon..Fri *-*-* 08:00:00 Europe/Rome'])]


def test_timers_converge_a_rerun_after_the_hold_changes_gives_exactly_the_new_set():
    first = office_hours_timers([ROMA], horizon_start='2026-11-30')
    assert office_hours_timers([ROMA], horizon_start='2026-11-30') == first
    ended = dict(ROMA, holds=[dict(ROMA['holds'][0], until='2026-12-01T15:00:00+01:00')])
    timers = office_hours_timers([ended], horizon_start='2026-11-30')
    assert [timer['on_calendar'][1:] for timer in timers] == [
        ['2026-12-01 10:30:00 Europe/Rome', '2026-12-24 13:00:00 Europe/Rome'], ['2026-12-01 15:00:00 Europe/Rome']]
    # Past transitions drop out as the horizon moves on; horizon 0 gives the weekly values only.
    assert office_hours_timers([ROMA], horizon_start='2026-12-02')[0]['on_calendar'][1:] == ['2026-12-24 13:00:00 Europe/Rome']
    assert office_hours_timers([ROMA], horizon_start='2026-11-30', horizon=0)[0]['on_calendar'] == ['Mon..Fri *-*-* 18:00:00 Europe/Rome']


def test_rrules_get_one_shot_yearly_parts_that_dateutil_runs_exactly_once():
    lock, unlock = office_hours_rrules([ROMA], '2026-01-05', horizon_start='2026-11-30')
    assert lock['rrule'] == (
        'DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;BYHOUR=18;BYMINUTE=0 '
        'RRULE:FREQ=YEARLY;INTERVAL=1;BYMONTH=12;BYMONTHDAY=1;BYHOUR=10;BYMINUTE=30;UNTIL=20261201T093000Z '
        'RRULE:FREQ=YEARLY;INTERVAL=1;BYMONTH=12;BYMONTHDAY=24;BYHOUR=13;BYMINUTE=0;UNTIL=20261224T120000Z')
    # Without dated parts the schedule is as it was, from start.
    assert unlock['rrule'] == 'DTSTART;TZID=Europe/Rome:20260105T080000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR'
    first, last = datetime.fromisoformat('2026-11-30T00:00:00+01:00'), datetime.fromisoformat('2028-01-01T00:00:00+01:00')
    runs = rrulestr(lock['rrule'], forceset=True).between(first, last, inc=True)
    odd = [run.isoformat() for run in runs if run.hour != 18]
    assert odd == ['2026-12-01T10:30:00+01:00', '2026-12-24T13:00:00+01:00']


def test_a_bad_horizon_is_named():
    with pytest.raises(AnsibleFilterError) as raised:
        office_hours_timers([ROMA], horizon=-1)
    assert str(raised.value) == 'office_hours_timers: horizon must be a whole number of days from 0 to 3660 (default 366), not -1'
    with pytest.raises(AnsibleFilterError) as raised:
        office_hours_rrules([ROMA], '2026-01-05', horizon_start='next week')
    assert str(raised.value) == "office_hours_rrules: horizon_start 'next week' is not a date: use YYYY-MM-DD (for example 2026-11-30)"


def test_the_preview_lists_the_next_transitions_with_their_reasons():
    preview = office_hours_preview([ROMA], at='2026-12-07T19:00:00+01:00', count=3)
    assert preview[0]['lines'] == [
        'Wed 2026-12-09 08:00 CET  unlocked  open (Wed 08:00-18:00)',
        'Wed 2026-12-09 18:00 CET  locked    closed: after closing (Wed 08:00-18:00)',
        'Thu 2026-12-10 08:00 CET  unlocked  open (Thu 08:00-18:00)']
    # The holiday that keeps Tuesday closed is named.
    assert preview[0]['reason'] == 'closed: after closing (Mon 08:00-18:00); Tue 2026-12-08 closed: Immacolata Concezione (IT public holiday)'
    held = office_hours_preview([ROMA], at='2026-12-01T09:00:00+01:00', count=1)[0]['lines']
    assert held == ['Tue 2026-12-01 10:30 CET  locked    held locked until Thu 2026-12-03 08:00 CET: INC-4711 (holds[0])']


def test_the_ics_parses_back_to_the_locked_periods_with_the_sites_tzid():
    text = office_hours_ics([ROMA], at='2026-12-07T00:00:00+01:00', days=3)
    parsed = icalendar.Calendar.from_ical(text)
    events = [(str(event['SUMMARY']), event['DTSTART'].params['TZID'], event['DTSTART'].dt.isoformat(), event['DTEND'].dt.isoformat(),
               str(event['DESCRIPTION'])) for event in parsed.walk('VEVENT')]
    assert events == [
        ('Phones locked: roma', 'Europe/Rome', '2026-12-07T00:00:00+01:00', '2026-12-07T08:00:00+01:00',
         'Mon 2026-12-07 closed: before opening (Mon 08:00-18:00)'),
        ('Phones locked: roma', 'Europe/Rome', '2026-12-07T18:00:00+01:00', '2026-12-09T08:00:00+01:00',
         'Mon 2026-12-07 closed: after closing (Mon 08:00-18:00)\nTue 2026-12-08 closed: Immacolata Concezione (IT public holiday)\n'
         'Wed 2026-12-09 closed: before opening (Wed 08:00-18:00)'),
        ('Phones locked: roma', 'Europe/Rome', '2026-12-09T18:00:00+01:00', '2026-12-10T00:00:00+01:00',
         'Wed 2026-12-09 closed: after closing (Wed 08:00-18:00)')]
    assert [str(zone['TZID']) for zone in parsed.walk('VTIMEZONE')] == ['Europe/Rome']
    # The same sites and window give the same text.
    assert office_hours_ics([ROMA], at='2026-12-07T00:00:00+01:00', days=3) == text


def test_an_ics_time_at_the_second_occurrence_of_a_repeated_hour_is_written_in_utc():
    # RFC 5545 reads a TZID time that occurs twice as its first occurrence: a night inventory (held unlocked) ending at
    # the second 02:30 of 2027-10-31 in Rome starts its locked period at 01:30 UTC, not an hour early.
    night = dict(ROMA, holidays=False, holds=[{'state': 'unlocked', 'from': '2027-10-30T20:00:00+02:00', 'until': '2027-10-31T02:30:00+01:00',
                                               'reason': 'inventory'}])
    text = office_hours_ics([night], at='2027-10-30T00:00:00+02:00', days=3)
    starts = [event['DTSTART'] for event in icalendar.Calendar.from_ical(text).walk('VEVENT')]
    assert [(item.to_ical().decode(), item.params.get('TZID')) for item in starts] == [
        ('20271030T000000', 'Europe/Rome'), ('20271031T013000Z', None), ('20271101T180000', 'Europe/Rome')]
    assert starts[1].dt.timestamp() == datetime.fromisoformat('2027-10-31T02:30:00+01:00').timestamp()


# --- issue 22: the preview and the .ics judge sites as the runs do; every reason of a locked period; holds with no end -----

PARIS = {'name': 'paris', 'timezone': 'Europe/Paris', 'selections': [{'custom_field1': 'Paris'}]}
BERLIN = {'name': 'berlin', 'timezone': 'Europe/Berlin', 'selections': [{'custom_field1': 'Berlin'}], 'holidays': 'DE-BE'}
NO_PACKAGE = ('office_hours_sites[1] (berlin): holidays needs the Python package holidays, which is not installed where the role runs: '
              'pip install "holidays>=0.60,<1.0" (on the control node, or in the execution environment: it is in the collection\'s '
              'requirements.txt)')


def events(text):
    return [(str(event['SUMMARY']), event['DTSTART'].dt.isoformat(), event['DTEND'].dt.isoformat(), str(event['DESCRIPTION']))
            for event in icalendar.Calendar.from_ical(text).walk('VEVENT')]


@pytest.mark.parametrize('limit', ['paris', None])
def test_without_the_holidays_package_the_preview_shows_paris_and_names_berlin_s_problem(monkeypatch, limit):
    # The runs refuse only the sites that need the package; so does the preview, also when it is limited to paris.
    monkeypatch.setattr(_holidays, 'HAS_HOLIDAYS', False)
    preview = office_hours_preview([PARIS, BERLIN], at='2026-12-07T19:00:00+01:00', count=1, limit=limit)
    assert [(entry['name'], entry['state'], entry['lines'], entry['problems']) for entry in preview] == [
        ('paris', 'locked', ['Tue 2026-12-08 08:00 CET  unlocked  open (Tue 08:00-18:00)'], []),
        ('berlin', None, ['not valid, left out: ' + NO_PACKAGE], [NO_PACKAGE])]


def test_a_held_site_that_is_not_valid_shows_its_hold_as_the_runs_apply_it(monkeypatch):
    monkeypatch.setattr(_holidays, 'HAS_HOLIDAYS', False)
    held = dict(BERLIN, holds=[{'state': 'locked', 'from': '2026-12-01T10:30:00+01:00', 'reason': 'toll fraud INC-4711'}])
    entry = office_hours_preview([PARIS, held], at='2026-12-07T19:00:00+01:00', count=1)[1]
    assert (entry['state'], entry['reason'], entry['problems']) == (
        'locked', 'held locked with no end: toll fraud INC-4711 (holds[0]), although the site is not valid (%s)' % NO_PACKAGE, [NO_PACKAGE])


@pytest.mark.parametrize('limit', ['paris', None])
def test_without_the_holidays_package_the_ics_writes_paris_and_names_berlin_in_its_description(monkeypatch, limit):
    monkeypatch.setattr(_holidays, 'HAS_HOLIDAYS', False)
    text = office_hours_ics([PARIS, BERLIN], at='2026-12-07T00:00:00+01:00', days=1, limit=limit)
    calendar = icalendar.Calendar.from_ical(text)
    assert events(text) == [
        ('Phones locked: paris', '2026-12-07T00:00:00+01:00', '2026-12-07T08:00:00+01:00', 'Mon 2026-12-07 closed: before opening (Mon 08:00-18:00)'),
        ('Phones locked: paris', '2026-12-07T18:00:00+01:00', '2026-12-08T00:00:00+01:00', 'Mon 2026-12-07 closed: after closing (Mon 08:00-18:00)')]
    assert str(calendar['X-WR-CALDESC']) == str(calendar['DESCRIPTION']) == 'Not in this calendar, because not valid: ' + NO_PACKAGE


def test_an_ics_event_over_easter_names_every_reason_inside_it():
    # Thursday 18:00 to Tuesday 08:00: Good Friday and Easter Monday are named, not only "after closing".
    text = office_hours_ics([BERLIN], at='2026-04-02T12:00:00+02:00', days=5)
    assert events(text)[0] == ('Phones locked: berlin', '2026-04-02T18:00:00+02:00', '2026-04-07T08:00:00+02:00', '\n'.join([
        'Thu 2026-04-02 closed: after closing (Thu 08:00-18:00)', 'Fri 2026-04-03 closed: Karfreitag (DE public holiday)',
        'Sat 2026-04-04 closed: Sat is not an office day', 'Sun 2026-04-05 closed: Sun is not an office day',
        'Mon 2026-04-06 closed: Ostermontag (DE public holiday)', 'Tue 2026-04-07 closed: before opening (Tue 08:00-18:00)']))


def test_an_ics_event_of_a_hold_with_no_end_says_until_further_notice():
    closing = dict(PARIS, holds=[{'state': 'locked', 'from': '2026-12-08T10:00:00+01:00', 'reason': 'site closed INC-9'},
                                 {'state': 'locked', 'from': '2026-12-01T10:00:00+01:00', 'until': '2026-12-01T20:00:00+01:00', 'reason': 'drill'}])
    assert events(office_hours_ics([closing], at='2026-12-01T09:00:00+01:00', days=9))[-2:] == [
        # A hold with an end names it; the calendar's reasons resume when it ends.
        ('Phones locked: paris', '2026-12-07T18:00:00+01:00', '2026-12-08T08:00:00+01:00',
         'Mon 2026-12-07 closed: after closing (Mon 08:00-18:00)\nTue 2026-12-08 closed: before opening (Tue 08:00-18:00)'),
        ('Phones locked: paris', '2026-12-08T10:00:00+01:00', '2026-12-10T09:00:00+01:00',
         'Locked until further notice: the hold has no end; this event ends where the exported calendar ends, not at an unlock.\n'
         'Tue 2026-12-08 held locked with no end: site closed INC-9 (holds[0])')]
    # A hold that ends after closing: its reason, then the calendar's from its end on.
    assert events(office_hours_ics([closing], at='2026-12-01T09:00:00+01:00', days=1))[0] == (
        'Phones locked: paris', '2026-12-01T10:00:00+01:00', '2026-12-02T08:00:00+01:00',
        'Tue 2026-12-01 held locked until Tue 2026-12-01 20:00 CET: drill (holds[1])\nTue 2026-12-01 closed: after closing (Tue 08:00-18:00)\n'
        'Wed 2026-12-02 closed: before opening (Wed 08:00-18:00)')


@pytest.mark.parametrize('start', ['0001-01-01', '9999-12-31'])
def test_a_horizon_start_out_of_range_is_named_not_a_traceback(start):
    # Before, the dated values of the timers ran past the dates Python holds: OverflowError.
    for plan in (lambda: office_hours_timers([ROMA], horizon_start=start), lambda: office_hours_rrules([ROMA], '2026-01-05', horizon_start=start)):
        with pytest.raises(AnsibleFilterError) as raised:
            plan()
        assert str(raised.value).endswith('horizon_start %s is out of range: give a date from 1970-01-02 to 8999-12-31' % start)
