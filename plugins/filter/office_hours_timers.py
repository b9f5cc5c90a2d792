# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: office_hours_timers
short_description: The systemd timers that lock and unlock each office_hours site at its transition times
version_added: 1.0.0
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
description:
  - Turns the sites of the C(imagicle.phonelock.office_hours) role into timer specifications, two for each site.
    The C(-lock) timer fires at each office day's closing time, the C(-unlock) timer at each office day's opening time,
    in the site's time zone.
  - Office days that share a time become one C(OnCalendar) value. Weekdays are written as systemd writes them in its
    normalized form (three or more contiguous days as a range C(Mon..Fri), otherwise a comma list C(Sat,Sun), no
    weekday at all when every day of the week shares the time), always followed by the site's time zone,
    so C(systemd-analyze calendar) reports each value unchanged as its normalized form.
  - Closed dates and public holidays add nothing. The weekly timers fire on every office day, and the role's run on a
    closed day or a holiday finds the office closed and leaves the phones locked.
  - A transition that the weekly values miss (a special day's other hours or opening, a hold's start or end) within
    O(horizon) days from O(horizon_start), and before the same date a year later (the days the AWX schedules of the
    C(imagicle.phonelock.office_hours_rrules) filter cover), gets a dated value of its own, C(YYYY-MM-DD HH:MM:SS ZONE),
    after the weekly ones, in the C(-lock) or C(-unlock) timer of the state it sets. A transition at a wall-clock time
    that occurs twice that day (the hour repeated when clocks go back) is written as its UTC instant,
    C(YYYY-MM-DD HH:MM:SS UTC), since systemd reads a repeated local time as its first occurrence. Rerun the role's C(timers) entry point at least once
    within the horizon (and after every change of the calendar) so that the dated values stay ahead. Each run writes
    exactly the current set.
  - Every site is validated, also those that O(limit) leaves out, as the C(imagicle.phonelock.office_hours_plan) filter
    reads them (site names unique ignoring case). Any problem fails the filter, with one message that names every
    problem in the user's coordinates, the site's position and name first (C(office_hours_sites[3]) and C(milano)), so the
    schedulers never get a partial set.
  - The C(imagicle.phonelock.office_hours) role's C(timers) entry point uses this filter to write the unit files.
positional: defaults, prefix, limit, horizon_start, horizon
extends_documentation_fragment:
  - imagicle.phonelock.office_hours_sites
  - imagicle.phonelock.office_hours_sites.limit
options:
  prefix:
    description:
      - The first part of every unit name, C(PREFIX-SITE-lock) and C(PREFIX-SITE-unlock).
      - A letter or digit, then letters, digits, C(_), C(.) or C(-).
    type: str
    default: imagicle-phonelock
  horizon_start:
    description:
      - The first local date of the dated values, C(YYYY-MM-DD). Default today, in each site's time zone.
    type: str
    version_added: 1.1.0
  horizon:
    description:
      - How many days from O(horizon_start) get dated values for the transitions that the weekly values miss, at most up
        to the day before the same date a year later.
      - V(0) gives none.
    type: int
    default: 366
    version_added: 1.1.0
'''

EXAMPLES = r'''
- name: Show the timers of the sites
  vars:
    sites:
      - name: milano
        timezone: Europe/Rome
        selections: [{custom_field1: Milano}]
        days: [mon, tue, wed, thu, fri, sat]
        opens: "08:00"
        closes: "19:00"
        hours: {sat: {opens: "09:00", closes: "13:00"}}
  ansible.builtin.debug:
    msg: "{{ sites | imagicle.phonelock.office_hours_timers }}"
  # [{"unit": "imagicle-phonelock-milano-lock", "site": "milano", "state": "locked",
  #   "playbook": "imagicle.phonelock.nightly_lock", "timezone": "Europe/Rome",
  #   "on_calendar": ["Mon..Fri *-*-* 19:00:00 Europe/Rome", "Sat *-*-* 13:00:00 Europe/Rome"],
  #   "description": "Lock the phones of site milano at closing time"},
  #  {"unit": "imagicle-phonelock-milano-unlock", "site": "milano", "state": "unlocked",
  #   "playbook": "imagicle.phonelock.morning_unlock", "timezone": "Europe/Rome",
  #   "on_calendar": ["Mon..Fri *-*-* 08:00:00 Europe/Rome", "Sat *-*-* 09:00:00 Europe/Rome"],
  #   "description": "Unlock the phones of site milano at opening time"}]

- name: Only the timers of two sites, with role-wide defaults and another unit name prefix
  ansible.builtin.debug:
    msg: "{{ office_hours_sites | imagicle.phonelock.office_hours_timers(office_hours_defaults, 'phones', ['milano', 'roma']) }}"
'''

RETURN = r'''
_value:
  description:
    - Two timers for each site (a site has at least one office day), sites in their given order, for each site the
      C(locked) timer first.
  type: list
  elements: dict
  contains:
    unit:
      description: The unit name without its C(.timer) or C(.service) suffix.
      type: str
      sample: imagicle-phonelock-milano-lock
    site:
      description: The site's name.
      type: str
      sample: milano
    state:
      description: What the timer's run does to the site's phones.
      type: str
      choices: [locked, unlocked]
      sample: locked
    playbook:
      description: The shipped playbook that does it.
      type: str
      choices: [imagicle.phonelock.nightly_lock, imagicle.phonelock.morning_unlock]
      sample: imagicle.phonelock.nightly_lock
    timezone:
      description: The site's IANA time zone, the last word of every C(on_calendar) value.
      type: str
      sample: Europe/Rome
    on_calendar:
      description:
        - The timer's C(OnCalendar) values, the weekly ones ordered by their first weekday, then the dated ones
          (special days, holds) in date order.
      type: list
      elements: str
      sample: ["Mon..Fri *-*-* 19:00:00 Europe/Rome", "Sat *-*-* 13:00:00 Europe/Rome"]
    description:
      description: A one-line description for the units.
      type: str
      sample: Lock the phones of site milano at closing time
'''

from datetime import datetime

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._schedules import (
    HORIZON_DAYS, NAME_PREFIX, PREFIX_RE, UNIT_NAME_MAX, dated_values, horizon_days, parse_start, scheduled_transitions,
    weekly_values)
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import SiteError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._sites import parse_sites

DEFAULT_PREFIX = NAME_PREFIX


def office_hours_timers(sites, defaults=None, prefix=DEFAULT_PREFIX, limit=None, horizon_start=None, horizon=HORIZON_DAYS):
    """The timer specifications of the sites (see DOCUMENTATION)."""
    try:
        days = horizon_days(horizon, 'office_hours_timers')
        first = parse_start(horizon_start, 'office_hours_timers: horizon_start', bounded=True) if horizon_start not in (None, '') else None
    except ValueError as exc:
        raise AnsibleFilterError(to_text(exc)) from None
    if not isinstance(prefix, str) or not PREFIX_RE.match(prefix):
        raise AnsibleFilterError('office_hours_timers: the prefix %r is not a valid unit name prefix: use a letter or '
                                 'digit, then letters, digits, "_", "." or "-"' % (prefix,))
    try:
        selected = parse_sites(sites, defaults, limit)
    except SiteError as exc:
        raise AnsibleFilterError('office_hours_timers: %s' % to_text(exc))

    timers = []
    for site in selected:
        dated = dated_values(site, first or datetime.now(site.zone).date(), days)
        for state, suffix, playbook, description, times in scheduled_transitions(site):
            unit = '%s-%s-%s' % (prefix, site.name, suffix)
            if len(unit + '.service') > UNIT_NAME_MAX:
                raise AnsibleFilterError('office_hours_timers: the unit name %s.service is longer than systemd allows '
                                         '(%d characters): use a shorter prefix or site name' % (unit, UNIT_NAME_MAX))
            timers.append(dict(
                unit=unit,
                site=site.name,
                state=state,
                playbook=playbook,
                timezone=site.timezone,
                on_calendar=weekly_values(times, site.timezone) + [line for to, line, dummy in dated if to == state],
                description=description,
            ))
    return timers


class FilterModule(object):
    def filters(self):
        return {'office_hours_timers': office_hours_timers}
