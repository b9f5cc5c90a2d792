# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The office_hours, office_hours_plan, office_hours_report and office_hours_limit filters, called as Ansible calls them."""

from __future__ import annotations

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.imagicle.phonelock.plugins.filter import office_hours, office_hours_limit, office_hours_plan, office_hours_report

office_hours_filter = office_hours.FilterModule().filters()['office_hours']
plan_filter = office_hours_plan.FilterModule().filters()['office_hours_plan']
report_filter = office_hours_report.FilterModule().filters()['office_hours_report']
limit_filter = office_hours_limit.FilterModule().filters()['office_hours_limit']

MILANO = {'name': 'milano', 'timezone': 'Europe/Rome',
          'selections': [{'department': 'Sales', 'custom_field1': 'Milano'}, {'department': 'R&D', 'custom_field1': 'Milano'}]}
SYDNEY = {'name': 'sydney', 'timezone': 'Australia/Sydney', 'selections': [{'custom_field1': 'Sydney'}]}
NEWYORK = {'name': 'newyork', 'timezone': 'America/New_York', 'selections': [{'custom_field1': 'NYC'}]}
SITES = [MILANO, SYDNEY, NEWYORK]
# Milano 19:05 CET (closed), Sydney Tue 05:05 AEDT (closed), New York 13:05 EST (open).
EVENING = '2026-11-23T19:05:00+01:00'
# Milano 13:00 CET (open), Sydney 23:00 AEDT (closed), New York 07:00 EST (closed).
NOON = '2026-11-23T12:00:00Z'
STATUS_KEYS = {'name', 'timezone', 'at', 'local_time', 'local_label', 'open', 'state', 'reason', 'next_transition', 'next_state', 'next_label', 'hold'}


def filter_error(function, *args, **kwargs):
    with pytest.raises(AnsibleFilterError) as error:
        function(*args, **kwargs)
    return error.value.message


def test_filter_modules_map_their_names():
    assert office_hours_filter is office_hours.office_hours
    assert plan_filter is office_hours_plan.office_hours_plan
    assert report_filter is office_hours_report.office_hours_report


# --- office_hours -----------------------------------------------------------------------------------------------

def test_office_hours():
    assert office_hours_filter(MILANO, at=EVENING, defaults={'closes': '20:00'}) == {
        'name': 'milano', 'timezone': 'Europe/Rome', 'at': '2026-11-23T18:05:00Z', 'local_time': '2026-11-23T19:05:00+01:00',
        'local_label': 'Mon 2026-11-23 19:05 CET', 'open': True, 'state': 'unlocked', 'reason': 'open (Mon 08:00-20:00)',
        'next_transition': '2026-11-23T20:00:00+01:00', 'next_state': 'locked', 'next_label': 'Mon 2026-11-23 20:00 CET', 'hold': None}


@pytest.mark.parametrize('site, at, message', [
    (dict(MILANO, timezone='Europe/Milan'), EVENING,
     "office_hours: site (milano): timezone 'Europe/Milan' is not an IANA time zone name; did you mean Europe/Minsk or Europe/Tirane or "
     "Europe/Riga?"),
    (MILANO, '2026-11-23T19:05',
     "office_hours: at '2026-11-23T19:05' has no UTC offset, so it is ambiguous across time zones; add an offset such as Z or +01:00"),
    ('milano', EVENING, "office_hours: site: a site must be a dictionary with name, timezone and selections, not 'milano'"),
])
def test_office_hours_errors(site, at, message):
    assert filter_error(office_hours_filter, site, at=at) == message


# --- office_hours_plan ------------------------------------------------------------------------------------------

def summary(plan):
    return [(entry['name'], entry['action'], entry['why']) for entry in plan]


def test_plan_entries_hold_the_status_and_the_decision():
    plan = plan_filter(SITES, at=EVENING)
    assert [set(entry) for entry in plan] == [STATUS_KEYS | {'requested', 'action', 'why', 'selections', 'order', 'nested_in', 'problems'}] * 3
    assert [(entry['order'], entry['nested_in'], entry['problems']) for entry in plan] == [([0, 0], [], []), ([0], [], []), ([0], [], [])]
    assert plan[0]['selections'] == MILANO['selections'] and plan[0]['selections'] is not MILANO['selections']
    assert plan[0]['requested'] == 'auto'
    assert plan[1]['local_label'] == 'Tue 2026-11-24 05:05 AEDT'
    assert len(set(entry['at'] for entry in plan)) == 1


def test_plan_auto_follows_the_calendar():
    assert summary(plan_filter(SITES, 'auto', EVENING)) == [
        ('milano', 'locked', 'auto: the office is closed until Tue 08:00, so its phones are locked.'),
        ('sydney', 'locked', 'auto: the office is closed until 08:00, so its phones are locked.'),
        ('newyork', 'unlocked', 'auto: the office is open until 18:00 (Mon 08:00-18:00), so its phones are unlocked.'),
    ]
    # force changes nothing for auto.
    assert plan_filter(SITES, 'auto', EVENING, force=True) == plan_filter(SITES, 'auto', EVENING)


def test_plan_locked_skips_open_offices():
    assert summary(plan_filter(SITES, 'locked', NOON)) == [
        ('milano', 'skip', 'skipped: the office is open until 18:00 (Mon 08:00-18:00); a locked run never locks an open office. '
                           'Set office_hours_force: true to lock anyway.'),
        ('sydney', 'locked', 'locked as requested: the office is closed until Tue 08:00.'),
        ('newyork', 'locked', 'locked as requested: the office is closed until 08:00.'),
    ]


def test_plan_unlocked_skips_closed_offices():
    assert summary(plan_filter(SITES, 'unlocked', NOON)) == [
        ('milano', 'unlocked', 'unlocked as requested: the office is open until 18:00 (Mon 08:00-18:00).'),
        ('sydney', 'skip', 'skipped: the office is closed until Tue 08:00; an unlocked run never unlocks a closed office. '
                           'Set office_hours_force: true to unlock anyway.'),
        ('newyork', 'skip', 'skipped: the office is closed until 08:00; an unlocked run never unlocks a closed office. '
                            'Set office_hours_force: true to unlock anyway.'),
    ]


@pytest.mark.parametrize('force', [True, 'yes', 'true'])
def test_plan_force_applies_against_the_calendar(force):
    assert summary(plan_filter(SITES, 'locked', NOON, force=force))[0] == (
        'milano', 'locked', 'forced: locked although the office is open until 18:00 (Mon 08:00-18:00), because office_hours_force is true.')
    assert summary(plan_filter(SITES, 'unlocked', NOON, force=force))[1] == (
        'sydney', 'unlocked', 'forced: unlocked although the office is closed until Tue 08:00, because office_hours_force is true.')


def test_plan_says_when_far_ahead_or_never():
    closure = dict(MILANO, closed_dates=['2026-12-24..2027-01-03'])
    assert plan_filter([closure], 'auto', '2026-12-24T10:00+01:00')[0]['why'] == (
        'auto: the office is closed until Mon 2027-01-04 08:00, so its phones are locked.')
    closed = dict(MILANO, closed_dates=['2026-01-01..2027-12-31'])
    assert plan_filter([closed], 'unlocked', '2026-06-01T10:00Z')[0]['why'] == (
        'skipped: the office is closed, with no opening in the next 400 days; an unlocked run never unlocks a closed office. '
        'Set office_hours_force: true to unlock anyway.')


@pytest.mark.parametrize('limit, names', [
    (None, ['milano', 'sydney', 'newyork']),
    ([], ['milano', 'sydney', 'newyork']),
    ('', ['milano', 'sydney', 'newyork']),
    (['Sydney'], ['sydney']),
    (['newyork', 'milano'], ['milano', 'newyork']),
    ('newyork, MILANO', ['milano', 'newyork']),
])
def test_plan_limit(limit, names):
    assert [entry['name'] for entry in plan_filter(SITES, at=EVENING, limit=limit)] == names


def test_plan_uses_the_defaults():
    plan = plan_filter([MILANO], at=EVENING, defaults={'closes': '20:00', 'closed_dates': ['2026-11-24']})
    assert (plan[0]['action'], plan[0]['next_label']) == ('unlocked', 'Mon 2026-11-23 20:00 CET')
    assert plan_filter([MILANO], at='2026-11-24T10:00+01:00', defaults={'closed_dates': ['2026-11-24']})[0]['reason'] == (
        'closed: 2026-11-24 is a closed date')


@pytest.mark.parametrize('sites, kwargs, message', [
    (SITES, {'state': 'lock'}, "office_hours_plan: office_hours_state must be auto, locked or unlocked, not 'lock'"),
    (SITES, {'force': 'maybe'}, "office_hours_plan: office_hours_force must be a boolean (true or false), not 'maybe'"),
    ([], {}, 'office_hours_plan: office_hours_sites must be a non-empty list of sites, not an empty list'),
    ({'name': 'milano'}, {}, 'office_hours_plan: office_hours_sites must be a non-empty list of sites, not dict'),
    (SITES, {'limit': ['roma']}, "office_hours_plan: office_hours_limit names 'roma', which matches no site; the sites are milano, sydney, newyork"),
    (SITES, {'limit': ['roma', 'milano', 'napoli']},
     "office_hours_plan: office_hours_limit names 'roma', 'napoli', which match no site; the sites are milano, sydney, newyork"),
    (SITES, {'limit': {'milano': True}},
     "office_hours_plan: office_hours_limit must be a list of site names, or one comma-separated string of them, not {'milano': True} (dict)"),
    (SITES, {'at': 'now'}, "office_hours_plan: office_hours_now 'now' is not an ISO 8601 date and time with an offset, such as 2026-11-23T19:05:00+01:00 "
                           "or 2026-11-23T18:05Z"),
    (SITES, {'defaults': {'opens': 8}}, "office_hours_plan: office_hours_defaults: opens 8 is a number, not a time of day: YAML reads an unquoted 00:08 as 8; "
                                        "quote it ('00:08')"),
])
def test_plan_errors(sites, kwargs, message):
    assert filter_error(plan_filter, sites, **dict({'at': EVENING}, **kwargs)) == message


# --- office_hours_report ----------------------------------------------------------------------------------------

def sent(matched, changed, **extra):
    return dict({'filters': {}, 'request_url': 'https://ucx/x', 'changed': changed > 0, 'failed': False, 'status': 200, 'attempts': 1,
                 'phones_matched': matched, 'phones_changed': changed}, **extra)


FAILED = {'filters': {}, 'request_url': 'https://ucx/x', 'changed': False, 'failed': True, 'status': 503, 'attempts': 4,
          'msg': 'PUT https://ucx/x failed: HTTP 503 Service Unavailable after 4 attempts'}
# Milano and Sydney are locked (2 + 1 selections), New York unlocked (1 selection).
LOCKED = {'changed': True, 'state': 'locked', 'results': [sent(40, 38), sent(21, 20), sent(12, 12)]}
UNLOCKED = {'changed': True, 'state': 'unlocked', 'results': [sent(30, 30)]}


def outcomes(report):
    return [(line['name'], line['action'], line['outcome'], line['selections'], line['phones_matched'], line['phones_changed'], line['errors'])
            for line in report]


def test_report_applied():
    report = report_filter(plan_filter(SITES, at=EVENING), locked=LOCKED, unlocked=UNLOCKED)
    assert outcomes(report) == [('milano', 'locked', 'applied', 2, 61, 58, []), ('sydney', 'locked', 'applied', 1, 12, 12, []),
                                ('newyork', 'unlocked', 'applied', 1, 30, 30, [])]
    assert [line['line'] for line in report] == [
        'milano   Mon 2026-11-23 19:05 CET   locked   2 selections, 61 phones matched, 58 changed; closed: after closing (Mon 08:00-18:00)',
        'sydney   Tue 2026-11-24 05:05 AEDT  locked   1 selection, 12 phones matched, 12 changed; closed: before opening (Tue 08:00-18:00)',
        'newyork  Mon 2026-11-23 13:05 EST   unlocked 1 selection, 30 phones matched, 30 changed; open (Mon 08:00-18:00)',
    ]
    assert [set(line) for line in report] == [{'name', 'action', 'outcome', 'why', 'local_label', 'selections', 'phones_matched',
                                               'phones_changed', 'errors', 'line'}] * 3
    assert report[0]['why'] == 'auto: the office is closed until Tue 08:00, so its phones are locked.'


def test_report_one_failed_selection():
    locked = dict(LOCKED, failed=True, msg='1 of 3 selections failed (the others were applied): ...',
                  results=[sent(40, 38), FAILED, sent(12, 12)])
    report = report_filter(plan_filter(SITES, at=EVENING), locked=locked, unlocked=UNLOCKED)
    assert outcomes(report) == [('milano', 'locked', 'failed', 2, 40, 38, [FAILED['msg']]), ('sydney', 'locked', 'applied', 1, 12, 12, []),
                                ('newyork', 'unlocked', 'applied', 1, 30, 30, [])]
    assert report[0]['line'] == ('milano   Mon 2026-11-23 19:05 CET   failed   1 of 2 selections failed: ' + FAILED['msg']
                                 + '; closed: after closing (Mon 08:00-18:00)')


@pytest.mark.parametrize('unlocked', [None, {'changed': False, 'skipped': True, 'skip_reason': 'Conditional result was False'}])
def test_report_task_not_run(unlocked):
    report = report_filter(plan_filter(SITES, at=EVENING), locked=LOCKED, unlocked=unlocked)
    assert outcomes(report)[2] == ('newyork', 'unlocked', 'not run', 1, None, None, [])
    assert report[2]['line'] == 'newyork  Mon 2026-11-23 13:05 EST   not run  the unlocked task did not run; open (Mon 08:00-18:00)'


@pytest.mark.parametrize('locked', [
    {'failed': True, 'msg': 'url is required', 'problems': ['url is required']},
    # As registered under failed_when: false.
    {'failed': False, 'failed_when_result': False, 'msg': 'url is required', 'problems': ['url is required']},
])
def test_report_whole_task_failure(locked):
    report = report_filter(plan_filter(SITES, at=EVENING), locked=locked, unlocked=UNLOCKED)
    assert outcomes(report)[:2] == [('milano', 'locked', 'failed', 2, None, None, ['url is required']),
                                    ('sydney', 'locked', 'failed', 1, None, None, ['url is required'])]
    assert report[1]['line'] == ('sydney   Tue 2026-11-24 05:05 AEDT  failed   the locked task failed: url is required; '
                                 'closed: before opening (Tue 08:00-18:00)')


def test_report_check_mode():
    would = {'filters': {}, 'request_url': 'https://ucx/x', 'changed': True, 'failed': False}
    report = report_filter(plan_filter(SITES, at=EVENING), locked={'changed': True, 'results': [would] * 3},
                           unlocked={'changed': True, 'results': [would]})
    assert outcomes(report)[0] == ('milano', 'locked', 'applied', 2, None, None, [])
    assert report[0]['line'] == ('milano   Mon 2026-11-23 19:05 CET   locked   2 selections (check mode: no request sent); '
                                 'closed: after closing (Mon 08:00-18:00)')


def test_report_skipped_sites():
    plan = plan_filter(SITES, 'locked', EVENING)
    report = report_filter(plan, locked=LOCKED, unlocked=None)
    assert outcomes(report)[2] == ('newyork', 'skip', 'skipped', 1, None, None, [])
    assert plan[2]['why'].startswith('skipped: the office is open until 18:00')
    assert report[2]['line'] == ('newyork  Mon 2026-11-23 13:05 EST   skipped  the office is open until 18:00 (Mon 08:00-18:00); '
                                 'a locked run never locks an open office. Set office_hours_force: true to lock anyway.')


@pytest.mark.parametrize('plan, locked, message', [
    ('x', None, "office_hours_report: the input must be the list office_hours_plan returned, not 'x'"),
    ([{'name': 'milano'}], None, 'office_hours_report: plan[0] is not an office_hours_plan entry (it needs name, action, why, local_label, reason, '
                                 'selections)'),
    (None, {'results': [sent(1, 1)]}, "office_hours_report: the locked result has 1 result but the plan has 3 locked selections; pass the "
                                      "registered result of the phones task that ran exactly those"),
])
def test_report_errors(plan, locked, message):
    assert filter_error(report_filter, plan or plan_filter(SITES, at=EVENING), locked=locked) == message


def test_report_forced_line_says_forced():
    # New York is open at 13:05; a forced lock applies there, and its line says the calendar was overridden.
    plan = plan_filter(SITES, 'locked', EVENING, force=True)
    locked = {'changed': True, 'results': [sent(40, 38), sent(21, 20), sent(12, 12), sent(30, 30)]}
    report = report_filter(plan, locked=locked, unlocked=None)
    assert report[2]['line'] == ('newyork  Mon 2026-11-23 13:05 EST   locked   1 selection, 30 phones matched, 30 changed; forced: locked although '
                                 'the office is open until 18:00 (Mon 08:00-18:00), because office_hours_force is true.')


# --- issue 12, through the filters the role calls ----------------------------------------------------------------

RECEPTION = {'name': 'reception', 'timezone': 'Europe/Rome', 'days': ['mon', 'tue', 'thu', 'fri'],
             'selections': [{'custom_field1': 'Milano', 'department': 'Sales', 'custom_field4': 'Reception'}]}


@pytest.mark.parametrize('limit', [None, 'milano'])
def test_plan_unlock_on_wednesday_re_asserts_the_closed_reception_after_milano(limit):
    plan = plan_filter([RECEPTION, MILANO], 'unlocked', '2026-11-25T08:30:00+01:00', limit=limit)
    assert [(entry['name'], entry['action'], entry['order']) for entry in plan] == [('reception', 'locked', [1]), ('milano', 'unlocked', [0, 0])]


def test_plan_leaves_out_one_bad_site_and_plans_the_others():
    bad = dict(SYDNEY, selections=[{'customfield1': 'Sydney'}])
    plan = plan_filter([MILANO, NEWYORK, dict(NEWYORK, name='boston'), bad], 'auto', EVENING)
    assert [(entry['name'], entry['action']) for entry in plan] == [('milano', 'locked'), ('newyork', 'unlocked'), ('boston', 'unlocked'),
                                                                    ('sydney', 'invalid')]
    assert plan[3]['problems'] == [
        'office_hours_sites[3] (sydney): selections[0].customfield1 is not a filter of imagicle.phonelock.phones (did you mean custom_field1?); '
        'the filters are department, custom_field1 ... custom_field10 (or customField1 ... customField10) and all_phones']


@pytest.mark.parametrize('zone, message', [
    ('EST', "office_hours: site (milano): timezone 'EST' is the fixed offset UTC-05:00 with no daylight saving time: an office in a city "
            "that changes its clocks would open and close an hour off for months. Use the zone of the office's city, for example "
            "America/New_York"),
    ('Etc/GMT+5', "office_hours: site (milano): timezone 'Etc/GMT+5' is the fixed offset UTC-05:00 (POSIX signs are inverted: Etc/GMT+5 "
                  "is 5 hours behind UTC) with no daylight saving time: an office in a city that changes its clocks would open and close "
                  "an hour off for months. Use the zone of the office's city, for example America/New_York"),
    ('America/New_Yrok', "office_hours: site (milano): timezone 'America/New_Yrok' is not an IANA time zone name; did you mean "
                         "America/New_York or America/Nuuk or America/Nome?"),
])
def test_office_hours_refuses_fixed_offsets_and_suggests_zones(zone, message):
    assert filter_error(office_hours_filter, dict(MILANO, timezone=zone), at=EVENING) == message


def test_the_documented_line_is_the_real_line():
    # The sample in RETURN and the comment in EXAMPLES show what a user reads: both must be what the filter prints.
    documented = yaml.safe_load(office_hours_report.RETURN)['_value']['contains']['line']['sample']
    report = report_filter(plan_filter([MILANO], at=EVENING), locked={'changed': True, 'state': 'locked', 'results': [sent(40, 38), sent(21, 20)]})
    assert report[0]['line'] == documented
    assert '# - "%s"' % documented in office_hours_report.EXAMPLES


# --- office_hours_limit with several servers ----------------------------------------------------------------------

def test_limit_filter_gives_each_server_its_sites_and_the_plan_of_the_others_nothing_to_refuse():
    servers = {'ucx-emea': [MILANO], 'ucx-apac': [SYDNEY, NEWYORK]}
    assert limit_filter('sydney', servers=servers, server='ucx-apac') == ['sydney']
    assert limit_filter('sydney', servers=servers, server='ucx-emea') == []
    # What the role plans on the server that has the site.
    assert [entry['name'] for entry in plan_filter([SYDNEY, NEWYORK], at=EVENING, limit=limit_filter('sydney', servers=servers, server='ucx-apac'))] == [
        'sydney']
    assert filter_error(limit_filter, 'sydney,berlin', servers=servers, server='ucx-emea') == (
        "office_hours_limit names 'berlin', which matches no site of any UCX Suite server of this run; "
        "the sites are milano (ucx-emea); sydney, newyork (ucx-apac)")
    assert filter_error(limit_filter, {'sydney': True}, servers=servers, server='ucx-emea') == (
        "office_hours_limit must be a list of site names, or one comma-separated string of them, not {'sydney': True} (dict)")
