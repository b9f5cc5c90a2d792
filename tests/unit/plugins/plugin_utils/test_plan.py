# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The plan with nested sites (the most specific site wins), overlapping sites and sites that are not valid."""

from __future__ import annotations

import pytest

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._nesting import may_overlap, nests, orders
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._plan import plan, requests
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import SiteError

MILANO = {'name': 'milano', 'timezone': 'Europe/Rome', 'closes': '19:00', 'selections': [{'custom_field1': 'Milano'}]}
# The reception of Milano, closed on Wednesdays: its selection refines Milano's (written in another case, as an alias).
RECEPTION = {'name': 'reception', 'timezone': 'Europe/Rome', 'days': ['mon', 'tue', 'thu', 'fri'], 'closes': '19:00',
             'selections': [{'customField1': 'MILANO', 'custom_field4': 'Reception'}]}
SALES = {'name': 'sales', 'timezone': 'America/New_York', 'selections': [{'department': 'Sales'}]}
WEDNESDAY_MORNING = '2026-11-25T08:30:00+01:00'
UNLOCK_MILANO = {'state': 'unlocked', 'order': 0, 'sites': ['milano'], 'selections': [{'custom_field1': 'Milano'}]}
LOCK_RECEPTION = {'state': 'locked', 'order': 1, 'sites': ['reception'], 'selections': [{'customField1': 'MILANO', 'custom_field4': 'Reception'}]}
NESTED_WHY = ('nested: this run sets milano (unlocked), which it nests in, so its own state follows: the office is closed until '
              'Thu 08:00, so its phones are locked.')


def brief(entries):
    return [(entry['name'], entry['action'], entry['order'], entry['nested_in'], entry['why'], entry['problems']) for entry in entries]


def F(**pairs):
    return frozenset(pairs.items())


def test_nesting_is_strict_refinement_and_overlap_is_the_rest():
    assert nests(F(custom_field1='milano', custom_field4='reception'), F(custom_field1='milano'))
    assert not nests(F(custom_field1='milano'), F(custom_field1='milano'))
    assert nests(F(department='sales'), F())  # all_phones holds everyone
    assert may_overlap(F(department='sales'), F(custom_field1='milano'))
    assert may_overlap(F(custom_field1='milano'), F(custom_field1='milano'))  # the same phones, in two sites
    assert not may_overlap(F(custom_field1='milano'), F(custom_field1='roma'))
    assert not may_overlap(F(custom_field1='milano', custom_field4='reception'), F(custom_field1='milano'))
    # a1 holds b1, which holds a2: a2 goes after b1 although a1 is of its own site.
    assert orders([('a', F(x='1')), ('b', F(x='1', y='2')), ('a', F(x='1', y='2', z='3')), ('c', F(w='9'))]) == [0, 1, 2, 0]


def test_auto_sends_the_broader_site_first_and_the_nested_one_after_whatever_their_order_in_the_list():
    entries = plan([RECEPTION, MILANO], 'auto', WEDNESDAY_MORNING)
    assert brief(entries) == [
        ('reception', 'locked', [1], ['milano'], 'auto: the office is closed until Thu 08:00, so its phones are locked.', []),
        ('milano', 'unlocked', [0], [], 'auto: the office is open until 19:00 (Wed 08:00-19:00), so its phones are unlocked.', []),
    ]
    assert requests(entries) == [UNLOCK_MILANO, LOCK_RECEPTION]


@pytest.mark.parametrize('limit', [None, ['milano'], 'MILANO'])
def test_an_unlock_run_re_asserts_the_nested_site_it_would_skip_also_when_limited_to_the_outer_site(limit):
    # The 08:00 unlock timer of milano on a Wednesday: the reception must stay locked.
    entries = plan([MILANO, RECEPTION], 'unlocked', WEDNESDAY_MORNING, limit=limit)
    assert brief(entries) == [
        ('milano', 'unlocked', [0], [], 'unlocked as requested: the office is open until 19:00 (Wed 08:00-19:00).', []),
        ('reception', 'locked', [1], ['milano'], NESTED_WHY, []),
    ]
    assert requests(entries) == [UNLOCK_MILANO, LOCK_RECEPTION]


def test_a_run_limited_to_the_nested_site_acts_on_it_alone():
    entries = plan([MILANO, RECEPTION], 'auto', WEDNESDAY_MORNING, limit=['reception'])
    assert brief(entries) == [('reception', 'locked', [0], [], 'auto: the office is closed until Thu 08:00, so its phones are locked.', [])]


def test_a_forced_run_forces_the_nested_sites_with_the_outer_one():
    entries = plan([MILANO, RECEPTION], 'locked', '2026-11-26T10:00:00+01:00', force=True, limit='milano')
    assert brief(entries) == [
        ('milano', 'locked', [0], [], 'forced: locked although the office is open until 19:00 (Thu 08:00-19:00), because office_hours_force '
                                      'is true.', []),
        ('reception', 'locked', [1], ['milano'], 'forced: locked, with milano (locked), which it nests in: it is part of them, and '
                                                 'office_hours_force is true.', []),
    ]


def test_three_levels_and_all_phones():
    desk = {'name': 'desk', 'timezone': 'Europe/Rome',
            'selections': [{'custom_field1': 'Milano', 'custom_field4': 'Reception', 'department': 'Front'}]}
    everyone = {'name': 'everyone', 'timezone': 'Europe/Rome', 'selections': [{'all_phones': True}]}
    entries = plan([desk, RECEPTION, MILANO, everyone], 'auto', WEDNESDAY_MORNING)
    assert [(entry['name'], entry['order'], entry['nested_in']) for entry in entries] == [
        ('desk', [3], ['reception', 'milano', 'everyone']), ('reception', [2], ['milano', 'everyone']), ('milano', [1], ['everyone']),
        ('everyone', [0], [])]
    assert [(step['order'], step['state'], step['sites']) for step in requests(entries)] == [
        (0, 'unlocked', ['everyone']), (1, 'unlocked', ['milano']), (2, 'locked', ['reception']), (3, 'unlocked', ['desk'])]


def test_overlapping_sites_that_demand_different_states_are_a_problem_of_each_applied_one():
    entries = plan([MILANO, SALES], 'auto', '2026-11-25T21:00:00+01:00')  # Milano closed, New York (15:00) open
    assert brief(entries)[0][:5] == ('milano', 'locked', [0], [], 'auto: the office is closed until Thu 08:00, so its phones are locked.')
    assert entries[0]['problems'] == [
        "its selection {custom_field1: milano} and the selection {department: sales} of site sales may hold the same phones, and neither "
        "nests in the other; now milano demands locked and sales unlocked, so those phones get whichever request runs last. Make one "
        "selection refine the other (add the other's filters to it), or give the shared phones a site of their own whose selection has "
        "both sets of filters."]
    assert entries[1]['problems'][0].startswith('its selection {department: sales} and the selection {custom_field1: milano} of site milano')
    # The same states: nothing to say. Limited to milano: sales is named although it is not in the run.
    assert [entry['problems'] for entry in plan([MILANO, SALES], 'auto', '2026-11-25T16:00:00+01:00')] == [[], []]
    limited = plan([MILANO, SALES], 'locked', '2026-11-25T21:00:00+01:00', limit='milano')
    assert [entry['name'] for entry in limited] == ['milano'] and 'of site sales may hold the same phones' in limited[0]['problems'][0]


def test_a_site_that_is_not_valid_is_left_out_and_the_others_are_planned_also_with_a_limit():
    bad = dict(MILANO, name='bari', timezone='EST', selections=[{'custom_field1': 'Bari'}])
    for limit in (None, 'milano'):
        entries = plan([bad, MILANO], 'auto', WEDNESDAY_MORNING, limit=limit)
        assert [(entry['name'], entry['action'], entry['selections'], entry['local_label']) for entry in entries] == [
            ('bari', 'invalid', [], ''), ('milano', 'unlocked', [{'custom_field1': 'Milano'}], 'Wed 2026-11-25 08:30 CET')]
        assert entries[0]['problems'] == [
            "office_hours_sites[0] (bari): timezone 'EST' is the fixed offset UTC-05:00 with no daylight saving time: an office in a city "
            "that changes its clocks would open and close an hour off for months. Use the zone of the office's city, for example "
            "America/New_York"]
        assert entries[0]['why'] == 'not valid, left out: ' + entries[0]['problems'][0]
    assert requests(entries) == [UNLOCK_MILANO]


@pytest.mark.parametrize('kwargs, message', [
    ({'at': '2026-11-25T08:30'}, "office_hours_now '2026-11-25T08:30' has no UTC offset, so it is ambiguous across time zones; add an "
                                 "offset such as Z or +01:00"),
    ({'limit': 'milano,napoli'}, "office_hours_limit names 'napoli', which matches no site; the sites are milano, reception"),
    ({'limit': 7}, 'office_hours_limit must be a list of site names, or one comma-separated string of them, not 7 (int)'),
    ({'state': 'closed'}, "office_hours_state must be auto, locked or unlocked, not 'closed'"),
])
def test_problems_of_the_whole_run_name_the_roles_variables(kwargs, message):
    with pytest.raises(ValueError) as error:
        plan([MILANO, RECEPTION], **dict({'state': 'auto', 'at': WEDNESDAY_MORNING}, **kwargs))
    assert str(error.value) == message
    assert isinstance(error.value, SiteError) or 'office_hours_now' in message
