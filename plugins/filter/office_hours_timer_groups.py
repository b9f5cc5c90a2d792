# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: office_hours_timer_groups
short_description: The systemd timers of a fleet of UCX Suite servers, one for each group of transitions at the same instants
version_added: 1.2.0
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
description:
  - Plans the timers of many UCX Suite servers (inventory hosts) at once, so that the transitions that happen at the same
    instant run as one C(ansible-playbook) run over the servers concerned instead of one process per server and site.
  - Each site of each server gets the C(OnCalendar) values that the C(imagicle.phonelock.office_hours_timers) filter
    gives it (same validation, same O(horizon) semantics), split into single values (one weekday, time and zone, or one
    dated value). Values that fire at exactly the same UTC instants over the planning window (from the day before
    O(horizon_start) to 401 days later) are one group, also across zones (C(Mon 18:00 Europe/Rome), C(Mon 18:00 Europe/Paris)
    and C(Mon 17:00 Europe/London) are one; C(Mon 12:00 America/New_York) is not, since the United States and Europe
    change their clocks on different weeks).
  - Instants are systemd's. A local time repeated when clocks go back fires at its first occurrence; a local time that
    does not exist (skipped when clocks go forward) does not fire that day.
  - The weekly groups of one state whose sites are exactly the same (on the same servers) are one timer, and so are the
    dated groups. Weekly and dated values are never in one timer, so a hold or a special day never renames a weekly timer.
    The values are written in systemd's normalized form as C(imagicle.phonelock.office_hours_timers) writes them
    (C(Mon..Fri), C(Sat,Sun), no weekday for every day), and each value belongs to exactly one timer of its state. For
    every site, the timers that name it fire exactly when its own timer would, and at most one of them at any instant.
  - A timer is named after its state and its values only, C(PREFIX-lock-) or C(PREFIX-unlock-) and the first 10 hexadecimal
    digits of a SHA-256 of them. A server added or removed with the same schedules as other servers changes only the
    C(servers), C(hosts), C(sites) and C(description) of the timers, never their names; a site with its own dated values (a
    special day, a hold) gets a timer of its own for them, and the weekly timers keep their names.
  - Any problem fails the filter with one message that names every problem, each with its server first, then the site's
    position and name (C(ucx-emea), C(office_hours_sites[3]), C(milano)), so the schedulers never get a partial set. Site names must be
    unique ignoring case across all the servers, since C(office_hours_limit) names sites without their server.
positional: prefix, horizon_start, horizon
options:
  _input:
    description:
      - The servers, each inventory host mapped to its sites, C({sites, defaults}).
      - C(sites) is the server's C(office_hours_sites) (required; V(null) for a server without sites, which gets no timers),
        C(defaults) its C(office_hours_defaults).
    type: dict
    required: true
  prefix:
    description:
      - The first part of every unit name, C(PREFIX-lock-<10 hex>) and C(PREFIX-unlock-<10 hex>).
      - A letter or digit, then letters, digits, C(_), C(.) or C(-).
    type: str
    default: imagicle-phonelock
  horizon_start:
    description:
      - The first local date of the dated values, C(YYYY-MM-DD), from V(1970-01-02) to V(8999-12-31). Default today, in
        each site's time zone.
    type: str
  horizon:
    description:
      - How many days from O(horizon_start) get dated values for the transitions that the weekly values miss, at most up
        to the day before the same date a year later.
      - V(0) gives none.
    type: int
    default: 366
seealso:
  - plugin: imagicle.phonelock.office_hours_timers
    plugin_type: filter
'''

EXAMPLES = r'''
- name: Show the timers of two servers whose offices close at the same instant
  vars:
    servers:
      ucx-it:
        sites: [{name: milano, timezone: Europe/Rome, selections: [{custom_field1: Milano}]}]
      ucx-uk:
        sites: [{name: london, timezone: Europe/London, selections: [{custom_field1: London}], opens: "07:00", closes: "17:00"}]
  ansible.builtin.debug:
    msg: "{{ servers | imagicle.phonelock.office_hours_timer_groups }}"
  # [{"unit": "imagicle-phonelock-lock-...", "state": "locked", "playbook": "imagicle.phonelock.nightly_lock",
  #   "on_calendar": ["Mon..Fri *-*-* 17:00:00 Europe/London", "Mon..Fri *-*-* 18:00:00 Europe/Rome"],
  #   "description": "Lock the phones of 2 sites on 2 servers at Mon..Fri *-*-* 17:00:00 Europe/London and 1 more OnCalendar value",
  #   "servers": {"ucx-it": ["milano"], "ucx-uk": ["london"]}, "hosts": ["ucx-it", "ucx-uk"], "sites": ["london", "milano"]},
  #  {"unit": "imagicle-phonelock-unlock-...", "state": "unlocked", ...}]

- name: The same with another unit name prefix, dated values from 1 December 2026 for 90 days
  ansible.builtin.debug:
    msg: "{{ servers | imagicle.phonelock.office_hours_timer_groups('phones', '2026-12-01', 90) }}"
'''

RETURN = r'''
_value:
  description:
    - One timer for each group of transitions of one state with the same sites, sorted by unit name.
  type: list
  elements: dict
  contains:
    unit:
      description: The unit name without its C(.timer) or C(.service) suffix.
      type: str
      sample: imagicle-phonelock-lock-3f9a0c12be
    state:
      description: What the timer's run does to the phones of its sites.
      type: str
      choices: [locked, unlocked]
      sample: locked
    playbook:
      description: The shipped playbook that does it.
      type: str
      choices: [imagicle.phonelock.nightly_lock, imagicle.phonelock.morning_unlock]
      sample: imagicle.phonelock.nightly_lock
    on_calendar:
      description:
        - The timer's C(OnCalendar) values, the weekly ones by zone, first weekday and time, then the dated ones in the order
          of their instants.
      type: list
      elements: str
      sample: ["Mon..Fri *-*-* 17:00:00 Europe/London", "Mon..Fri *-*-* 18:00:00 Europe/Rome"]
    description:
      description: A one-line description for the units.
      type: str
      sample: Lock the phones of 2 sites on 2 servers at Mon..Fri *-*-* 17:00:00 Europe/London and 1 more OnCalendar value
    servers:
      description: The sites of each server that the timer's run acts on, names sorted.
      type: dict
      sample: {"ucx-it": ["milano"], "ucx-uk": ["london"]}
    hosts:
      description: The servers (inventory hosts) of the run, sorted.
      type: list
      elements: str
      sample: [ucx-it, ucx-uk]
    sites:
      description: The names of all the sites of the run, sorted (unique across the servers).
      type: list
      elements: str
      sample: [london, milano]
'''

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._fleet import FleetError, timer_groups
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._schedules import HORIZON_DAYS, NAME_PREFIX


def office_hours_timer_groups(servers, prefix=NAME_PREFIX, horizon_start=None, horizon=HORIZON_DAYS):
    """The timers of a fleet of servers, grouped by instant (see DOCUMENTATION)."""
    try:
        return timer_groups(servers, prefix, horizon_start, horizon)
    except FleetError as exc:
        raise AnsibleFilterError('office_hours_timer_groups: %s' % to_text(exc)) from None


class FilterModule(object):
    def filters(self):
        return {'office_hours_timer_groups': office_hours_timer_groups}
