# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""office_hours_timer_groups: the filter over _fleet.timer_groups, its documented example and its errors."""

from __future__ import annotations

import hashlib

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_timer_groups import FilterModule, office_hours_timer_groups

# The EXAMPLES' servers: Milano closes at 18:00 in Rome when London closes at 17:00, every week of the year.
SERVERS = {
    'ucx-it': {'sites': [{'name': 'milano', 'timezone': 'Europe/Rome', 'selections': [{'custom_field1': 'Milano'}]}]},
    'ucx-uk': {'sites': [{'name': 'london', 'timezone': 'Europe/London', 'selections': [{'custom_field1': 'London'}],
                          'opens': '07:00', 'closes': '17:00'}]},
}


def name(prefix, state, lines):
    return '%s-%s-%s' % (prefix, 'lock' if state == 'locked' else 'unlock',
                         hashlib.sha256('\n'.join([state] + sorted(lines)).encode()).hexdigest()[:10])


def test_the_filter_is_registered():
    assert FilterModule().filters() == {'office_hours_timer_groups': office_hours_timer_groups}


def test_the_documented_example_with_a_prefix_and_a_horizon():
    locks = ['Mon..Fri *-*-* 17:00:00 Europe/London', 'Mon..Fri *-*-* 18:00:00 Europe/Rome']
    unlocks = ['Mon..Fri *-*-* 07:00:00 Europe/London', 'Mon..Fri *-*-* 08:00:00 Europe/Rome']
    both = dict(servers={'ucx-it': ['milano'], 'ucx-uk': ['london']}, hosts=['ucx-it', 'ucx-uk'], sites=['london', 'milano'])
    expected = [
        dict(unit=name('phones', 'locked', locks), state='locked', playbook='imagicle.phonelock.nightly_lock', on_calendar=locks,
             description='Lock the phones of 2 sites on 2 servers at Mon..Fri *-*-* 17:00:00 Europe/London and 1 more OnCalendar value', **both),
        dict(unit=name('phones', 'unlocked', unlocks), state='unlocked', playbook='imagicle.phonelock.morning_unlock', on_calendar=unlocks,
             description='Unlock the phones of 2 sites on 2 servers at Mon..Fri *-*-* 07:00:00 Europe/London and 1 more OnCalendar value', **both),
    ]
    assert office_hours_timer_groups(SERVERS, 'phones', '2026-12-01', 90) == sorted(expected, key=lambda spec: spec['unit'])


@pytest.mark.parametrize('args, message', [
    ((['ucx-it'],), "office_hours_timer_groups: servers must be a mapping of each UCX Suite server (inventory host) to {sites: its "
                    "office_hours_sites, defaults: its office_hours_defaults}, not ['ucx-it'] (list)"),
    ((dict(SERVERS, **{'ucx-de': {'sites': [{'name': 'Milano', 'timezone': 'Europe/Berlin', 'selections': [{'department': 'x'}]}]}}),),
     'office_hours_timer_groups: ucx-it: office_hours_sites[0] (milano): the name is also used by server ucx-de office_hours_sites[0] (Milano); '
     'site names must be unique across the servers, ignoring case, since office_hours_limit names sites without their server | '
     'ucx-de: office_hours_sites[0] (Milano): the name is also used by server ucx-it office_hours_sites[0] (milano); '
     'site names must be unique across the servers, ignoring case, since office_hours_limit names sites without their server'),
    ((SERVERS, 'phones', None, '90'), "office_hours_timer_groups: horizon must be a whole number of days from 0 to 3660 (default 366), not '90'"),
])
def test_errors_are_filter_errors_with_the_planning_message(args, message):
    with pytest.raises(AnsibleFilterError) as caught:
        office_hours_timer_groups(*args)
    assert caught.value.message == message
