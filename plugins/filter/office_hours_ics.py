# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: office_hours_ics
short_description: Each office_hours site's locked periods as an iCalendar (.ics) file
version_added: 1.1.0
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
description:
  - Turns the sites of the C(imagicle.phonelock.office_hours) role into iCalendar text (RFC 5545) that Outlook, Google
    Calendar or a shared calendar can import, for facility and security staff.
  - One event per locked period of each site that overlaps the window from O(at) for O(days) days (clipped to it), with
    the site's time zone as C(TZID) of C(DTSTART) and C(DTEND) and a C(VTIMEZONE) for each zone. A start or end at the
    second occurrence of a local time repeated when clocks go back is written in UTC (C(20271031T013000Z)), since RFC 5545
    reads a C(TZID) time that occurs twice as its first occurrence. The event's summary is
    C(Phones locked - SITE) (written with a colon), its description the reason at the period's start (a closing, a public holiday, a hold).
  - Public holidays, special days and holds are in it, as the role's runs apply them.
  - Written by the C(icalendar) Python package (pip install "icalendar>=6.1,<8"), needed only for this filter.
  - Every site is validated as for the C(imagicle.phonelock.office_hours_plan) filter; any problem fails the filter.
positional: defaults, at, days, limit
requirements:
  - icalendar >= 6.1 (Python package)
extends_documentation_fragment:
  - imagicle.phonelock.office_hours_sites
  - imagicle.phonelock.office_hours_sites.limit
options:
  at:
    description:
      - The start of the window, an ISO 8601 date and time with an offset (C(2026-12-01T00:00:00+01:00)). Default now.
    type: str
  days:
    description: The length of the window, in days (1 to 3660).
    type: int
    default: 366
'''

EXAMPLES = r'''
- name: Write the locked periods of the next year for the facility team's calendar
  ansible.builtin.copy:
    content: "{{ office_hours_sites | imagicle.phonelock.office_hours_ics(office_hours_defaults) }}"
    dest: /srv/www/phonelock/locked.ics
    mode: "0644"
'''

RETURN = r'''
_value:
  description: The iCalendar text, one C(VEVENT) per locked period, C(CRLF) line ends.
  type: str
  sample: "BEGIN:VCALENDAR\r\nPRODID:-//imagicle.phonelock//office_hours calendar//EN\r\nVERSION:2.0\r\n..."
'''

from datetime import timedelta

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import parse_instant
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._instant import InstantError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._ics import HAS_ICALENDAR, REQUIREMENT, ics
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import SiteError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._sites import parse_sites


def office_hours_ics(sites, defaults=None, at=None, days=366, limit=None):
    """The iCalendar text of the sites' locked periods (see DOCUMENTATION)."""
    if not HAS_ICALENDAR:
        raise AnsibleFilterError('office_hours_ics needs the Python package icalendar where the playbook runs: pip install "%s"' % REQUIREMENT)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
        raise AnsibleFilterError('office_hours_ics: days must be a whole number of days from 1 to 3660, not %r' % (days,))
    try:
        start = parse_instant(at, 'at')
        selected = parse_sites(sites, defaults, limit)
    except (SiteError, InstantError) as exc:
        raise AnsibleFilterError('office_hours_ics: %s' % to_text(exc)) from None
    return ics(selected, start, start + timedelta(days=days))


class FilterModule(object):
    def filters(self):
        return {'office_hours_ics': office_hours_ics}
