# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: office_hours
short_description: Whether a site's office is open at an instant, and when that changes next
version_added: 1.0.0
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
description:
  - Judges one site of the C(imagicle.phonelock.office_hours) role at one instant, in the site's own time zone and local
    calendar, and says whether its office is open (its phones should be unlocked) or closed (locked), why, and when
    the state changes next.
  - On a local date that is an office day and not a closed date, the office is open from the opening time (inclusive)
    to the closing time (exclusive). There are no overnight offices.
  - A time in the hour skipped by a daylight-saving change happens when the clock jumps past it (C(02:30) on the
    spring day of C(Europe/Rome) is C(03:00) CEST). A time in a repeated hour happens at its first occurrence only, so
    the state changes once per opening and once per closing, never twice.
  - A problem in the site fails the filter with a message that names the site and the key.
positional: at, defaults
options:
  _input:
    description:
      - The site, in the format of one entry of the role variable C(office_hours_sites).
      - C(name) (letters, digits, C(_), C(.), C(-)), C(timezone) and C(selections) (a non-empty list of filter
        dictionaries for M(imagicle.phonelock.phones), checked as the module checks them) are required.
      - C(timezone) is an IANA Area/City name such as C(Europe/Rome). Fixed offsets and legacy names (C(EST), C(MST),
        C(CET), C(Etc/GMT+5), C(UTC)) are refused with the city zone to use, because they ignore the daylight-saving
        changes of the office's city; a misspelt name gets the nearest valid names.
      - C(days) (C(mon) to C(sun)), C(opens) and C(closes) (C("HH:MM"), 24 h; quote them, YAML reads an unquoted
        C(18:00) as a number), C(hours) (per-weekday C(opens)/C(closes) overrides for office days) and C(closed_dates)
        (C(YYYY-MM-DD) or inclusive C(YYYY-MM-DD..YYYY-MM-DD)) are optional.
    type: dict
    required: true
  at:
    description:
      - The instant to judge, as ISO 8601 with an offset (C(2026-11-23T19:05:00+01:00), C(2026-11-23T18:05Z)).
      - A time without an offset is refused, because it means a different instant in every time zone.
      - None or an empty string means now.
    type: str
  defaults:
    description:
      - Role-wide C(days), C(opens), C(closes) and C(closed_dates). The site's own C(days), C(opens) and C(closes)
        override them; its C(closed_dates) are added to them.
      - Without either, the office is open Monday to Friday, 08:00 to 18:00.
    type: dict
'''

EXAMPLES = r'''
- name: Is the Milano office open now?
  ansible.builtin.debug:
    msg: "{{ site | imagicle.phonelock.office_hours }}"
  vars:
    site:
      name: milano
      timezone: Europe/Rome
      selections:
        - {department: Sales, custom_field1: Milano}
      days: [mon, tue, wed, thu, fri, sat]
      hours:
        sat: {opens: "09:00", closes: "13:00"}
      closed_dates:
        - 2026-12-07
        - 2026-08-10..2026-08-21

- name: Judge it at a given instant, with company-wide holidays
  ansible.builtin.debug:
    msg: "{{ (site | imagicle.phonelock.office_hours(at='2026-11-23T19:05:00+01:00', defaults=company)).reason }}"
  vars:
    company:
      opens: "08:30"
      closed_dates: [2026-12-25, 2026-12-26]
    site: {name: roma, timezone: Europe/Rome, selections: [{custom_field1: Roma}]}
  # "closed: after closing (Mon 08:30-18:00)"
'''

RETURN = r'''
_value:
  description: The state of the site at the instant.
  type: dict
  contains:
    name:
      description: The site's name.
      type: str
      sample: milano
    timezone:
      description: The site's time zone, as given.
      type: str
      sample: Europe/Rome
    at:
      description: The instant judged, in UTC, ISO 8601 to the second.
      type: str
      sample: "2026-11-23T18:05:00Z"
    local_time:
      description: The same instant in the site's time zone, ISO 8601 with the offset.
      type: str
      sample: "2026-11-23T19:05:00+01:00"
    local_label:
      description: The same instant for people, with the weekday and the zone's abbreviation.
      type: str
      sample: Mon 2026-11-23 19:05 CET
    open:
      description: Whether the office is open.
      type: bool
      sample: false
    state:
      description: The state the site's phones should be in, V(unlocked) when the office is open, else V(locked).
      type: str
      sample: locked
    reason:
      description:
        - Why, with the local office hours of the day.
        - >-
          One of C(open (Mon 08:00-18:00)), C(closed: before opening (Mon 08:00-18:00)),
          C(closed: after closing (Mon 08:00-18:00)), C(closed: Sun is not an office day),
          C(closed: 2026-12-25 is a closed date), or C(closed: the clock skips Sun 02:15-02:45 on 2026-10-04) when
          both times fall in the hour a daylight-saving change skips.
        - A closed date that is not an office day anyway is reported as not an office day.
      type: str
      sample: "closed: after closing (Mon 08:00-18:00)"
    next_transition:
      description: When the state changes next, local ISO 8601; V(null) when it does not change on the next 400 local dates.
      type: str
      sample: "2026-11-24T08:00:00+01:00"
    next_state:
      description: The state from C(next_transition) on; V(null) when there is none.
      type: str
      sample: unlocked
    next_label:
      description: C(next_transition) for people; V(null) when there is none.
      type: str
      sample: Tue 2026-11-24 08:00 CET
    hold:
      description:
        - The site's hold in force, V(null) when none. Its C(state) is then the site's state, whatever the calendar says.
        - C(where) names it in the user's coordinates (C(holds[0]), C(holds[0] of site roma) for a hold inherited from
          a site this one nests in, C(office_hours_defaults.holds[0])); C(from) and C(until) are local ISO 8601, V(null)
          for an open end.
      type: dict
      version_added: 1.1.0
      sample: {"state": "locked", "reason": "toll fraud INC-4711", "where": "holds[0]", "site": "roma",
               "from": "2026-12-09T07:00:00+01:00", "until": "2026-12-09T12:00:00+01:00"}
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import parse_instant, status
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._instant import InstantError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import SiteError, parse_site


def office_hours(site, at=None, defaults=None):
    """The status of one site at ``at`` (now when empty)."""
    try:
        return status(parse_site(site, defaults), parse_instant(at, 'at'))
    except (SiteError, InstantError) as exc:
        raise AnsibleFilterError('office_hours: %s' % exc) from None


class FilterModule:
    """The office_hours filter."""

    def filters(self):
        return {'office_hours': office_hours}
