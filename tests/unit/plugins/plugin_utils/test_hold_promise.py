# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A hold is a promise (the role's invariants I1, I2, I4, I5): each case is one way the promise broke before."""

from __future__ import annotations

import pytest

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._plan import plan, requests

AT = '2026-12-02T10:00:00+01:00'  # a Wednesday: every office below is open
EMERGENCY = {'state': 'locked', 'from': '2026-12-01T09:00:00+01:00', 'reason': 'toll fraud INC-4711'}


def site(name, *selections, **changes):
    return dict({'name': name, 'timezone': 'Europe/Rome', 'selections': list(selections)}, **changes)


MILANO_HELD = site('milano', {'custom_field1': 'Milano'}, holds=[EMERGENCY])
SALES = site('sales', {'department': 'Sales'})


def sent(entries):
    """(state, selection) of every request the plan sends, in order."""
    return [(step['state'], selection) for step in requests(entries) for selection in step['selections']]


def by_name(entries):
    return dict((entry['name'], entry) for entry in entries)


def test_a_site_that_overlaps_a_held_site_is_withheld():
    # Before: Lock customField1=Milano, then Unlock department=Sales: the held Milano sales phones ended unlocked.
    entries = by_name(plan([MILANO_HELD, SALES], 'auto', AT))
    assert sent(entries.values()) == [('locked', {'custom_field1': 'Milano'})]
    sales = entries['sales']
    assert sales['action'] == 'withheld'
    assert sales['why'] == (
        'withheld: its selection {department: sales} could unlock phones of site milano (selection {custom_field1: milano}), which is '
        'held locked with no end: toll fraud INC-4711 (holds[0]). A hold wins: to unlock these phones, end the hold, or give the '
        'sites selections that differ in one filter value.')
    assert sales['problems'] == [sales['why']]
    # The held site is not blamed for a conflict: the unlock that would have conflicted is not sent.
    assert entries['milano']['problems'] == []


def test_a_limited_unlock_run_is_withheld_by_a_held_site_outside_the_limit():
    # Before: a morning_unlock limited to sales unlocked the held Milano sales phones with no lock at all.
    entries = plan([MILANO_HELD, SALES], 'unlocked', AT, limit='sales')
    assert [(entry['name'], entry['action']) for entry in entries] == [('sales', 'withheld')]
    assert sent(entries) == []


def test_equal_filters_but_for_case_are_the_same_phones():
    entries = by_name(plan([MILANO_HELD, site('milano-all', {'customField1': 'MILANO'})], 'auto', AT))
    assert entries['milano-all']['action'] == 'withheld'
    assert sent(entries.values()) == [('locked', {'custom_field1': 'Milano'})]


def test_an_unlock_that_differs_in_one_filter_value_is_sent():
    entries = by_name(plan([MILANO_HELD, site('roma-sales', {'custom_field1': 'Roma', 'department': 'Sales'})], 'auto', AT))
    assert entries['roma-sales']['action'] == 'unlocked'


def test_an_unlocked_hold_never_withholds_a_lock():
    night = site('sales-night', {'department': 'Sales'}, days=['sat'])
    inventory = dict(EMERGENCY, state='unlocked', reason='stock take')
    entries = by_name(plan([site('milano', {'custom_field1': 'Milano'}, holds=[inventory]), night], 'auto', AT))
    assert entries['sales-night']['action'] == 'locked'
    assert entries['sales-night']['why'].endswith(
        'The lock overrides the unlocked hold of milano (held unlocked with no end: stock take (holds[0])): locking is the safe side.')


def test_a_held_site_that_is_invalid_for_another_reason_still_locks_and_binds():
    # Before: milano-sales was left out as invalid (a typo in closed_dates) and Unlock customField1=Milano unlocked its phones.
    held = site('milano-sales', {'custom_field1': 'Milano', 'department': 'Sales'}, holds=[EMERGENCY], closed_dates=['2026-02-30'])
    entries = by_name(plan([site('milano', {'custom_field1': 'Milano'}), held], 'auto', AT))
    assert entries['milano']['action'] == 'withheld'
    assert 'could unlock phones of site milano-sales' in entries['milano']['why']
    assert entries['milano-sales']['action'] == 'locked'
    assert entries['milano-sales']['problems'] == ["office_hours_sites[1] (milano-sales): closed_dates[0]: '2026-02-30' is not a date "
                                                   "(YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)"]
    assert sent(entries.values()) == [('locked', {'custom_field1': 'Milano', 'department': 'Sales'})]


def test_unreadable_holds_withhold_every_unlock_that_could_reach_the_site():
    held = site('milano-sales', {'custom_field1': 'Milano', 'department': 'Sales'}, holds=[dict(EMERGENCY, until='someday')])
    entries = by_name(plan([site('milano', {'custom_field1': 'Milano'}), site('roma', {'custom_field1': 'Roma'}), held], 'auto', AT))
    assert entries['milano']['action'] == 'withheld'
    assert entries['roma']['action'] == 'unlocked'
    assert entries['milano-sales']['action'] == 'invalid'


def test_unreadable_selections_of_a_held_site_withhold_every_unlock():
    held = site('mystery', {'custom_fieldl': 'Milano'}, holds=[EMERGENCY])
    entries = by_name(plan([site('roma', {'custom_field1': 'Roma'}), held], 'auto', AT))
    assert entries['roma']['action'] == 'withheld'
    assert entries['roma']['why'].startswith('withheld: site mystery is held locked with no end: toll fraud INC-4711 (holds[0]), although '
                                             'the site is not valid')
    assert sent(entries.values()) == []


def test_one_site_s_bad_values_never_stop_the_plan_of_the_others():
    # Before: 'NoneType' object has no attribute 'casefold', and no site was locked anywhere.
    entries = by_name(plan([site('roma', {'custom_field1': 'Roma', 'department': None}), site('napoli', {'custom_field1': 'Napoli'})],
                           'auto', AT))
    assert entries['roma']['action'] == 'invalid'
    assert entries['roma']['problems'] == [
        'office_hours_sites[0] (roma): selections[0].department is null: a null filter would make the selection wider than written. '
        'Give it a value, or leave the key out']
    assert entries['napoli']['action'] == 'unlocked'
    # Before: OverflowError.
    far = site('far', {'custom_field1': 'Far'}, holds=[dict(EMERGENCY, **{'from': '9999-12-31T23:00:00-14:00'})])
    entries = by_name(plan([far, site('napoli', {'custom_field1': 'Napoli'})], 'auto', AT))
    assert entries['far']['action'] == 'invalid'
    assert entries['napoli']['action'] == 'unlocked'


def test_a_held_site_nested_in_an_unlocking_one_is_locked_right_after_its_unlock():
    # Before: Unlock customField1=Milano went out with the other unlocks and the held lock only in a later task; when that
    # lock failed, the held phones stayed unlocked. Now the unlock carries it (the module locks it next, or undoes the unlock).
    held = site('milano-sales', {'custom_field1': 'Milano', 'department': 'Sales'}, holds=[EMERGENCY])
    entries = by_name(plan([site('milano', {'custom_field1': 'Milano'}), held, site('roma', {'custom_field1': 'Roma'})], 'auto', AT))
    assert entries['milano']['action'] == 'unlocked'
    assert entries['milano']['selections'] == [
        {'custom_field1': 'Milano', 'keep_locked': [{'custom_field1': 'Milano', 'department': 'Sales', 'label': 'milano-sales'}]}]
    assert entries['roma']['selections'] == [{'custom_field1': 'Roma'}]
    # The held site is still locked in its own, later request too, which reports it.
    assert sent(entries.values())[-1] == ('locked', {'custom_field1': 'Milano', 'department': 'Sales'})
    # An ordinary nested site keeps today's order and reporting: nothing is attached.
    desk = site('milano-desk', {'custom_field1': 'Milano', 'custom_field4': 'Reception'}, days=['sat'])
    assert by_name(plan([site('milano', {'custom_field1': 'Milano'}), desk], 'auto', AT))['milano']['selections'] == [
        {'custom_field1': 'Milano'}]


def test_holidays_false_in_the_defaults_means_none():
    # Before: refused, although a site accepts it.
    entries = plan([site('roma', {'custom_field1': 'Roma'})], 'auto', AT, defaults={'holidays': False})
    assert (entries[0]['action'], entries[0]['problems']) == ('unlocked', [])


@pytest.mark.parametrize('char, name', [('\x0b', 'U+000B (unnamed)'), ('\x0c', 'U+000C (unnamed)'), ('\x00', 'U+0000 (unnamed)'),
                                        ('\x1b', 'U+001B (unnamed)'), ('\u2028', 'U+2028 (LINE SEPARATOR)'), ('\x85', 'U+0085 (unnamed)'),
                                        ('\u200e', 'U+200E (LEFT-TO-RIGHT MARK)')])
def test_a_reason_with_a_control_character_is_refused_naming_it(char, name):
    # Before: it reached the .ics raw (strict RFC 5545 readers refused the whole file) and the terminal (an ESC sequence).
    hold = dict(EMERGENCY, reason='toll fraud%s[2J' % char)
    entries = by_name(plan([site('roma', {'custom_field1': 'Roma'}, holds=[hold]), site('napoli', {'custom_field1': 'Napoli'})], 'auto', AT))
    assert entries['roma']['problems'] == [
        'office_hours_sites[0] (roma): holds[0].reason contains the control or line-break character %s; it is shown in run summaries, '
        'terminals and the .ics file: write it on one line of printable text' % name]
    special = {'date': '2026-12-24', 'closes': '13:00', 'reason': 'Christmas%sEve' % char}
    entries = by_name(plan([site('roma', {'custom_field1': 'Roma'}, special_days=[special])], 'auto', AT))
    assert entries['roma']['problems'][0].startswith('office_hours_sites[0] (roma): special_days[0].reason contains the control')
