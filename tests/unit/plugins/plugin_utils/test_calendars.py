# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Office calendars (issue 13): public holidays, special days and holds, read per site with messages in the user's
coordinates, judged by the calendar and the plan (a hold wins over office_hours_force)."""

from __future__ import annotations

from datetime import datetime

import pytest

from ansible_collections.imagicle.phonelock.plugins.plugin_utils import _holidays
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import parse_instant, status, transitions
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._plan import plan
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import SiteError, parse_site
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._sites import read_sites

pytest.importorskip('holidays')

P = 'office_hours_sites[3] (roma): '


def roma(**changes):
    return dict({'name': 'roma', 'timezone': 'Europe/Rome', 'selections': [{'custom_field1': 'Roma'}]}, **changes)


def problem(raw, defaults=None):
    read = read_sites([roma(name='a'), roma(name='b'), roma(name='c'), raw], defaults)
    return read[3].problem


def at(text):
    return parse_instant(text)


# --- public holidays ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('holidays, message', [
    ({'country': 'XX'}, "holidays.country 'XX' is not a country the holidays package knows; use an ISO 3166-1 alpha-2 code such as IT"),
    ('IT-ZZ', "holidays.subdivision 'ZZ' is not a subdivision of IT in the holidays package; its subdivisions are AG, AL, AN, AO, AP, AQ, "
              "AR, AT, AV, BA, BG, BI ..."),
    ({'country': 'IT', 'categories': ['bank']}, "holidays.categories: 'bank' is not a category of IT in the holidays package; its "
                                                "categories are half_day, public"),
    ({'country': 'IT', 'language': 'it'}, "holidays.language 'it' is not a language of IT in the holidays package; its languages are "
                                          "en_US, it_IT, th"),
    ({'country': 'IT', 'region': 'RM'}, "holidays: unknown key 'region'; the accepted keys are country, subdivision, categories, language"),
    ({'subdivision': 'RM'}, 'holidays.country is required: an ISO 3166-1 alpha-2 country code such as IT, US, AU or IN, not None (NoneType)'),
    (5, 'holidays must be a country code or a dictionary such as {country: IT, subdivision: RM} (or the short form IT-RM), not 5 (int)'),
])
def test_holiday_problems_are_the_sites_in_its_coordinates(holidays, message):
    assert problem(roma(holidays=holidays)) == P + message


def test_without_the_package_only_a_site_with_holidays_is_told_to_install_it(monkeypatch):
    monkeypatch.setattr(_holidays, 'HAS_HOLIDAYS', False)
    read = read_sites([roma(name='milano'), roma(holidays='IT-RM')])
    assert read[0].problem is None
    assert read[1].problem == (
        'office_hours_sites[1] (roma): holidays needs the Python package holidays, which is not installed where the role runs: '
        'pip install "holidays>=0.60,<1.0" (on the control node, or in the execution environment: it is in the collection\'s '
        'requirements.txt)')


def test_holidays_close_the_office_with_their_names_national_or_regional():
    site = parse_site(roma(holidays={'country': 'IT', 'subdivision': 'RM', 'language': 'it_IT'}))
    national = status(site, at('2026-12-08T10:00:00+01:00'))
    assert (national['state'], national['reason']) == ('locked', 'closed: Immacolata Concezione (IT public holiday)')
    assert national['next_label'] == 'Wed 2026-12-09 08:00 CET'
    # Saints Peter and Paul is a holiday of Rome only.
    assert status(site, at('2026-06-29T10:00:00+02:00'))['reason'] == 'closed: Santi Pietro e Paolo (IT-RM public holiday)'
    # Milan works that day.
    assert status(parse_site(roma(holidays='IT-MI')), at('2026-06-29T10:00:00+02:00'))['state'] == 'unlocked'


def test_a_site_keeps_the_defaults_holidays_replaces_them_or_opts_out():
    defaults = {'holidays': 'IT'}
    assert status(parse_site(roma(), defaults), at('2026-12-08T10:00:00+01:00'))['reason'] == 'closed: Immacolata Concezione (IT public holiday)'
    assert status(parse_site(roma(holidays='US-NY'), defaults), at('2026-12-08T10:00:00+01:00'))['state'] == 'unlocked'
    assert status(parse_site(roma(holidays=False), defaults), at('2026-12-08T10:00:00+01:00'))['state'] == 'unlocked'
    assert problem(roma(), {'holidays': 'XX'}) == (
        P + "office_hours_defaults: holidays.country 'XX' is not a country the holidays package knows; use an ISO 3166-1 alpha-2 code such as IT")


def test_a_holiday_on_a_dst_day_has_no_transitions_and_the_same_day_without_it_opens_at_the_jump():
    # Easter Sunday 2027 is 28 March, the day Rome's clocks skip 02:00-03:00; Easter Monday follows.
    hours = dict(days=['mon', 'sun'], hours={'sun': {'opens': '02:30', 'closes': '04:00'}})
    window = (at('2027-03-27T00:00Z'), at('2027-03-30T00:00Z'))
    assert list(transitions(parse_site(roma(holidays='IT', **hours)), *window)) == []
    flips = [(local.isoformat(), state) for local, state in transitions(parse_site(roma(**hours)), *window)]
    assert flips == [('2027-03-28T03:00:00+02:00', 'unlocked'), ('2027-03-28T04:00:00+02:00', 'locked'),
                     ('2027-03-29T08:00:00+02:00', 'unlocked'), ('2027-03-29T18:00:00+02:00', 'locked')]
    easter = status(parse_site(roma(holidays='IT', **hours)), at('2027-03-28T01:30Z'))
    assert (easter['reason'], easter['next_label']) == ('closed: Pasqua (IT public holiday)', 'Sun 2027-04-04 02:30 CEST')


# --- special days -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('special_days, message', [
    ([{'date': '2026-12-24', 'opens': '13:00', 'closes': '08:00'}],
     'special_days[0].opens 13:00 is not before special_days[0].closes 08:00; a special day opens and closes on the same day (no overnight hours)'),
    ([{'date': '2026-12-24', 'opens': '19:00'}],
     'special_days[0].opens 19:00 is not before special_days[0].closes 18:00 (from the site); a special day opens and closes on the same '
     'day (no overnight hours)'),
    ([{'date': '2026-12-24'}], 'special_days[0]: give opens and/or closes ("HH:MM"); a day that is closed belongs in closed_dates'),
    ([{'closes': '13:00'}], 'special_days[0].date is required: a date (YYYY-MM-DD) or an inclusive range (YYYY-MM-DD..YYYY-MM-DD)'),
    ([{'date': '2026-12-31..2026-12-24', 'closes': '13:00'}],
     "special_days[0].date: the range '2026-12-31..2026-12-24' ends before it starts; write the earlier date first"),
    ([{'date': '2026-12-20..2026-12-24', 'closes': '13:00'}, {'date': '2026-12-24', 'closes': '12:00'}],
     'special_days[0] (2026-12-20..2026-12-24) and special_days[1] (2026-12-24) share the date 2026-12-24; give each date one special day'),
    ([{'date': '2026-12-24', 'closes': 780}],
     "special_days[0].closes 780 is a number, not a time of day: YAML reads an unquoted 13:00 as 780; quote it ('13:00')"),
    ([{'date': '2026-12-24', 'closes': '13:00', 'why': 'x'}],
     "special_days[0]: unknown key 'why'; the accepted keys are date, opens, closes, reason"),
])
def test_special_day_problems(special_days, message):
    assert problem(roma(special_days=special_days)) == P + message


def test_special_days_shorten_a_day_and_open_a_saturday_and_a_holiday():
    site = parse_site(roma(holidays={'country': 'IT', 'subdivision': 'RM', 'language': 'it_IT'}, special_days=[
        {'date': '2026-12-24', 'closes': '13:00', 'reason': 'Vigilia di Natale'},
        {'date': '2026-10-17', 'opens': '09:00', 'closes': '12:30', 'reason': 'inventario'},
        {'date': '2026-06-29', 'opens': '09:00', 'closes': '12:00'}]))
    eve = status(site, at('2026-12-24T12:59:00+01:00'))
    assert (eve['reason'], eve['next_label']) == ('open (Thu 08:00-13:00, special day: Vigilia di Natale)', 'Thu 2026-12-24 13:00 CET')
    assert status(site, at('2026-12-24T13:00:00+01:00'))['reason'] == 'closed: after closing (Thu 08:00-13:00, special day: Vigilia di Natale)'
    assert status(site, at('2026-10-17T10:00:00+02:00'))['reason'] == 'open (Sat 09:00-12:30, special day: inventario)'
    assert status(site, at('2026-06-29T10:00:00+02:00'))['reason'] == 'open (Mon 09:00-12:00, special day: special day)'


def test_a_special_day_in_the_skipped_hour_opens_at_the_jump():
    site = parse_site(roma(special_days=[{'date': '2026-03-29', 'opens': '02:30', 'closes': '05:00'}]))
    flips = [(local.isoformat(), state) for local, state in transitions(site, at('2026-03-28T20:00Z'), at('2026-03-29T12:00Z'))]
    assert flips == [('2026-03-29T03:00:00+02:00', 'unlocked'), ('2026-03-29T05:00:00+02:00', 'locked')]


# --- holds --------------------------------------------------------------------------------------------------------

LOCK = {'state': 'locked', 'from': '2026-12-01T10:30:00+01:00', 'until': '2026-12-03T08:00:00+01:00', 'reason': 'toll fraud INC-4711'}
REASON_REQUIRED = ('holds[0]: reason is required: say why the phones are held, for example the incident number ("toll fraud INC-4711"); '
                   "the run's output and summary, the preview and the .ics show it, so whoever sees the hold knows why")


@pytest.mark.parametrize('holds, message', [
    ([dict(LOCK, until='2026-12-01T10:00:00+01:00')],
     'holds[0].until 2026-12-01T10:00:00+01:00 is not after holds[0].from 2026-12-01T10:30:00+01:00; a hold ends after it starts (leave '
     'until out for a hold with no end)'),
    # Past the last instant Python can hold in UTC: an error of the site, not an OverflowError of the whole plan.
    ([dict(LOCK, **{'from': '9999-12-31T23:00:00-14:00'})],
     'holds[0].from 9999-12-31T23:00:00-14:00 is out of range: give an instant between 1970-01-02 and 8999-12-31 (leave from out '
     'for a hold in force from now)'),
    ([dict(LOCK, until='9999-12-31T23:59:00+00:00')],
     'holds[0].until 9999-12-31T23:59:00+00:00 is out of range: give an instant between 1970-01-02 and 8999-12-31 (leave until out '
     'for a hold with no end)'),
    ([dict(LOCK, **{'from': '2026-12-01T10:30:00'})],
     "holds[0].from '2026-12-01T10:30:00' has no UTC offset, so it is ambiguous across time zones; add an offset such as Z or +01:00"),
    ([dict(LOCK, **{'from': '2026-12-01T10:30:15+01:00'})],
     'holds[0].from 2026-12-01T10:30:15+01:00 is not a whole minute; the schedulers fire at whole minutes, so give HH:MM:00'),
    # Issue 22: a missing reason said "not None (NoneType)"; now it says why a reason is needed.
    ([dict((key, value) for key, value in LOCK.items() if key != 'reason')], REASON_REQUIRED),
    ([dict(LOCK, reason=' ')], REASON_REQUIRED),
    ([dict(LOCK, reason=4711)], 'holds[0].reason must be text such as "toll fraud INC-4711", not 4711 (int)'),
    ([dict(LOCK, state='closed')], "holds[0].state must be locked or unlocked, not 'closed'"),
])
def test_hold_problems(holds, message):
    assert problem(roma(holds=holds)) == P + message


def test_a_company_wide_hold_without_reason_is_named_in_the_defaults():
    with pytest.raises(SiteError) as raised:
        plan([roma()], 'auto', '2026-12-02T10:00:00+01:00', defaults={'holds': [{'state': 'locked'}]})
    assert str(raised.value) == 'office_hours_defaults: ' + REASON_REQUIRED


def test_a_hold_wins_over_the_calendar_and_over_forced_runs():
    sites = [roma(holds=[LOCK])]
    entry = plan(sites, 'auto', '2026-12-02T10:00:00+01:00')[0]
    assert (entry['action'], entry['reason'], entry['next_label']) == (
        'locked', 'held locked until Thu 2026-12-03 08:00 CET: toll fraud INC-4711 (holds[0])', 'Thu 2026-12-03 08:00 CET')
    assert entry['hold']['where'] == 'holds[0]'
    forced = plan(sites, 'unlocked', '2026-12-02T10:00:00+01:00', force=True)[0]
    assert (forced['action'], forced['why']) == ('skip', (
        'skipped: the site is held locked until Thu 2026-12-03 08:00 CET: toll fraud INC-4711 (holds[0]); a hold wins over unlocked runs, '
        'office_hours_force included. To unlock the phones, change or end the hold (holds[0]).'))
    # Before and after the hold, the calendar again.
    assert plan(sites, 'auto', '2026-12-01T10:29:00+01:00')[0]['action'] == 'unlocked'
    assert plan(sites, 'auto', '2026-12-03T08:00:00+01:00')[0]['action'] == 'unlocked'


def test_an_unlocked_hold_opens_a_closed_night_across_a_dst_change():
    site = parse_site(roma(holds=[{'state': 'unlocked', 'from': '2026-10-24T20:00:00+02:00', 'until': '2026-10-25T06:00:00+01:00',
                                   'reason': 'inventory'}]))
    flips = [(local.isoformat(), state) for local, state in transitions(site, at('2026-10-24T12:00Z'), at('2026-10-26T12:00Z'))]
    assert flips == [('2026-10-24T20:00:00+02:00', 'unlocked'), ('2026-10-25T06:00:00+01:00', 'locked'),
                     ('2026-10-26T08:00:00+01:00', 'unlocked')]


def test_a_site_nested_in_a_held_site_is_held_with_it_and_a_partly_nested_one_is_refused():
    desk = roma(name='roma-desk', selections=[{'custom_field1': 'roma', 'custom_field4': 'Reception'}], days=['mon', 'tue', 'wed', 'thu', 'fri', 'sat'])
    entries = plan([roma(holds=[LOCK]), desk], 'auto', '2026-12-02T10:00:00+01:00')
    assert [(entry['name'], entry['action']) for entry in entries] == [('roma', 'locked'), ('roma-desk', 'locked')]
    assert entries[1]['reason'] == 'held locked until Thu 2026-12-03 08:00 CET: toll fraud INC-4711 (holds[0] of site roma)'
    partly = dict(desk, selections=[{'custom_field1': 'roma', 'custom_field4': 'Reception'}, {'custom_field1': 'Napoli'}])
    read = read_sites([roma(holds=[LOCK]), partly])
    assert read[1].problem == (
        'office_hours_sites[1] (roma-desk): some of its selections nest in site roma, which has holds, and some do not; a hold of roma '
        'cannot hold only part of this site: split it into a site with the nested selections and one with the others')


# I2: holds combine, they never make a site invalid; at each instant a locked hold in force beats an unlocked one.
UNLOCK = dict(LOCK, state='unlocked', reason='night inventory')


def held_at(site, at, defaults=None):
    entry = plan([site], 'auto', at, defaults=defaults)[0]
    return entry['action'], (entry['hold'] or {}).get('where'), entry['problems']


def test_an_inherited_locked_hold_beats_the_site_s_own_unlocked_hold():
    desk = roma(name='roma-desk', selections=[{'custom_field1': 'roma', 'custom_field4': 'Reception'}],
                holds=[dict(UNLOCK, **{'from': '2026-12-02T09:00:00+01:00', 'until': '2026-12-04T09:00:00+01:00'})])
    entries = plan([roma(holds=[LOCK]), desk], 'auto', '2026-12-02T10:00:00+01:00')
    assert [(entry['action'], entry['hold']['where'], entry['problems']) for entry in entries] == [
        ('locked', 'holds[0]', []), ('locked', 'holds[0] of site roma', [])]
    # Once the lock ends, the desk's own unlocked hold decides.
    later = plan([roma(holds=[LOCK]), desk], 'auto', '2026-12-03T10:00:00+01:00')[1]
    assert (later['action'], later['hold']['where']) == ('unlocked', 'holds[0]')


def test_overlapping_holds_of_one_site_combine_and_locked_wins():
    site = roma(holds=[LOCK, dict(UNLOCK, **{'from': '2026-12-02T09:00:00+01:00', 'until': '2026-12-04T08:00:00+01:00'})])
    assert held_at(site, '2026-12-02T10:00:00+01:00') == ('locked', 'holds[0]', [])
    assert held_at(site, '2026-12-03T10:00:00+01:00') == ('unlocked', 'holds[1]', [])
    # Two open-ended locks: locked, from the first start on.
    assert held_at(roma(holds=[dict(LOCK, until=None), dict(LOCK, **{'from': '2027-01-01T00:00:00Z', 'until': None})]),
                   '2027-06-01T12:00:00+02:00')[:2] == ('locked', 'holds[0]')


def test_a_company_wide_emergency_hold_locks_a_site_with_planned_holds_of_its_own():
    # The site's own planned holds (an unlocked night inventory later, a locked one later still) no longer make it invalid.
    site = roma(holds=[dict(UNLOCK, **{'from': '2026-12-10T18:00:00+01:00', 'until': '2026-12-11T08:00:00+01:00'}),
                       dict(LOCK, **{'from': '2026-12-20T18:00:00+01:00', 'until': '2026-12-21T08:00:00+01:00'})])
    emergency = {'holds': [{'state': 'locked', 'from': '2026-12-02T09:00:00+01:00', 'reason': 'toll fraud INC-4711'}]}
    assert held_at(site, '2026-12-02T10:00:00+01:00', emergency) == ('locked', 'office_hours_defaults.holds[0]', [])
    # During the planned unlocked hold, too: the emergency lock has no end.
    assert held_at(site, '2026-12-10T20:00:00+01:00', emergency) == ('locked', 'office_hours_defaults.holds[0]', [])
    assert held_at(site, '2026-12-10T20:00:00+01:00') == ('unlocked', 'holds[0]', [])


def test_a_company_wide_hold_from_the_defaults_holds_every_site():
    entries = plan([roma(), roma(name='milano')], 'auto', '2026-12-02T10:00:00+01:00',
                   defaults={'holds': [dict(LOCK, reason='company-wide incident')]})
    assert [(entry['action'], entry['hold']['where']) for entry in entries] == [
        ('locked', 'office_hours_defaults.holds[0]'), ('locked', 'office_hours_defaults.holds[0]')]


def test_an_open_ended_hold_has_no_next_transition():
    entry = status(parse_site(roma(holds=[dict(LOCK, until=None)])), datetime.fromisoformat('2026-12-05T10:00:00+01:00'))
    assert (entry['state'], entry['next_transition'], entry['reason']) == (
        'locked', None, 'held locked with no end: toll fraud INC-4711 (holds[0])')


def test_a_run_on_a_holiday_names_the_holiday():
    site = roma(holidays={'country': 'IT', 'language': 'it_IT'})
    entry = plan([site], 'unlocked', '2026-12-08T08:45:00+01:00')[0]
    assert (entry['action'], entry['reason'], entry['why']) == (
        'skip', 'closed: Immacolata Concezione (IT public holiday)',
        'skipped: the office is closed for Immacolata Concezione (IT public holiday) until Wed 08:00; an unlocked run never unlocks a '
        'closed office. Set office_hours_force: true to unlock anyway.')
    assert plan([site], 'auto', '2026-12-08T08:45:00+01:00')[0]['why'] == (
        'auto: the office is closed for Immacolata Concezione (IT public holiday) until Wed 08:00, so its phones are locked.')
