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
    reads a C(TZID) time that occurs twice as its first occurrence.
  - "The event's summary is C(Phones locked: SITE)."
  - "The event's description lists every reason within the period (a closing, a public holiday, a closed date, a day
    that is not an office day, a hold), each once, in time order, one per line after the local date it first applies:
    C(Fri 2026-04-03 closed: Karfreitag (DE public holiday))."
  - A period that a locked hold with no end keeps locked ends at the end of the window, which is not an unlock; its
    description starts with C(Locked until further notice).
  - Public holidays, special days and holds are in it, as the role's runs apply them.
  - Written by the C(icalendar) Python package (pip install "icalendar>=6.1,<8"), needed only for this filter.
  - Sites are judged as the role's runs judge them (the C(imagicle.phonelock.office_hours_plan) filter). A site with a
    problem of its own (a bad value, C(holidays) while the C(holidays) Python package is missing) has no events, and
    the calendar's description (C(DESCRIPTION) and C(X-WR-CALDESC)) names it and its problem, also when O(limit) leaves
    it out; the other sites are still written. The C(imagicle.phonelock.office_hours_preview) filter lists the same
    problems, and the C(imagicle.phonelock.preview) playbook fails on them after writing the file.
  - Bad O(defaults), sites that are not a list, and a O(limit) that names no site fail the filter.
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
  description:
    - The iCalendar text, one C(VEVENT) per locked period of each valid site, C(CRLF) line ends.
    - When a site is not valid, the calendar's C(DESCRIPTION) and C(X-WR-CALDESC) start with C(Not in this calendar, because not valid).
  type: str
  sample: "BEGIN:VCALENDAR\r\nPRODID:-//imagicle.phonelock//office_hours calendar//EN\r\nVERSION:2.0\r\n..."
'''

from datetime import timedelta

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import parse_instant
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._instant import InstantError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._ics import HAS_ICALENDAR, REQUIREMENT, ics, read
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import SiteError


def office_hours_ics(sites, defaults=None, at=None, days=366, limit=None):
    """The iCalendar text of the sites' locked periods (see DOCUMENTATION)."""
    if not HAS_ICALENDAR:
        raise AnsibleFilterError('office_hours_ics needs the Python package icalendar where the playbook runs: pip install "%s"' % REQUIREMENT)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
        raise AnsibleFilterError('office_hours_ics: days must be a whole number of days from 1 to 3660, not %r' % (days,))
    try:
        start = parse_instant(at, 'at')
        entries, chosen = read(sites, defaults, limit)
    except (SiteError, InstantError) as exc:
        raise AnsibleFilterError('office_hours_ics: %s' % to_text(exc)) from None
    # As the runs: a site that is not valid is left out and named, also outside the limit; the others are written.
    problems = [entry.problem for entry in entries if entry.problem]
    return ics([entries[number] for number in chosen if entries[number].site is not None], start, start + timedelta(days=days), problems)


class FilterModule(object):
    def filters(self):
        return {'office_hours_ics': office_hours_ics}
