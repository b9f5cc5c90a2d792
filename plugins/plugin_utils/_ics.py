# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A calendar people can look at: each site's locked periods over a horizon as iCalendar (RFC 5545) events, written
by the ``icalendar`` package with a VTIMEZONE per site zone, so Outlook or a shared calendar shows them at the office's
local times. Also the next transitions of a site with their reasons, for a preview."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import status, transitions
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._zones import is_second_occurrence

try:
    import icalendar
    HAS_ICALENDAR = True
except ImportError:
    icalendar = None
    HAS_ICALENDAR = False

REQUIREMENT = 'icalendar>=6.1,<8'
PRODID = '-//imagicle.phonelock//office_hours calendar//EN'


def locked_periods(site, start, end):
    """[(first instant, end instant or None, reason)] of the site's locked periods that overlap [start, end), clipped
    to it; reason is the calendar's (or the hold's) at the period's first instant."""
    current = status(site, start)
    periods = []
    opened_at = start if current['state'] == 'locked' else None
    reason = current['reason']
    for local, state in transitions(site, start, end - timedelta(seconds=1)):
        if state == 'locked':
            opened_at, reason = local, status(site, local)['reason']
        elif opened_at is not None:
            periods.append((opened_at, local, reason))
            opened_at = None
    if opened_at is not None:
        periods.append((opened_at, end.astimezone(site.zone), reason))
    return periods


def next_transitions(site, start, count):
    """[{at, label, state, reason, closed_days}] of the site's next ``count`` transitions after ``start``, with the
    calendar's (or the hold's) reason for the state it enters, searched over the next 400 days. ``closed_days`` lists
    what keeps a locked stretch's office days closed (a holiday, a closed date), as 'Tue 2026-12-08 closed: ...'."""
    flips = []
    for local, state in transitions(site, start, start + timedelta(days=400)):
        flips.append((local, state))
        if len(flips) > count:
            break
    found = []
    for number, (local, state) in enumerate(flips[:count]):
        entry = status(site, local)
        closed = []
        if state == 'locked':
            until = flips[number + 1][0] if number + 1 < len(flips) else local + timedelta(days=7)
            day = local.date() + timedelta(days=1)
            while day < until.date():
                # A day the same hold covers says nothing new.
                closed += [text for text in closed_day(site, day) if not text.endswith(entry['reason'])]
                day += timedelta(days=1)
        reason = entry['reason'] + ''.join('; %s' % text for text in closed)
        found.append({'at': local.isoformat(), 'label': entry['local_label'], 'state': state, 'reason': reason, 'closed_days': closed})
    return found


def closed_day(site, day):
    """['Tue 2026-12-08 closed: ...'] when an office day is closed by a holiday, a closed date or a hold; else []."""
    if day.weekday() not in site.weekly:
        return []
    noon = datetime.combine(day, time(12)).replace(tzinfo=site.zone)
    entry = status(site, noon)
    if entry['reason'].startswith(('closed: before opening', 'closed: after closing', 'open')):
        return []
    return ['%s %s' % (entry['local_label'][:14], entry['reason'])]


def _when(instant, zone):
    """DTSTART or DTEND: local time with the site's TZID, or UTC at the second occurrence of a repeated local time,
    which RFC 5545 reads as the first occurrence."""
    local = instant.astimezone(zone)
    return instant.astimezone(timezone.utc) if is_second_occurrence(local) else local


def ics(sites, start, end):
    """The iCalendar text of the locked periods of ``sites`` in [start, end): one VEVENT per period, DTSTART and DTEND
    with the site's TZID, a VTIMEZONE for each zone. Deterministic: the same sites and window give the same text."""
    calendar = icalendar.Calendar()
    calendar.add('prodid', PRODID)
    calendar.add('version', '2.0')
    calendar.add('x-wr-calname', 'Phone Lock: locked periods')
    stamp = start.astimezone(timezone.utc)
    for site in sites:
        for first, last, reason in locked_periods(site, start, end):
            event = icalendar.Event()
            event.add('uid', '%s-%d@imagicle.phonelock' % (site.name, int(first.timestamp())))
            event.add('dtstamp', stamp)
            event.add('summary', 'Phones locked: %s' % site.name)
            event.add('description', reason)
            event.add('dtstart', _when(first, site.zone))
            event.add('dtend', _when(last, site.zone))
            event.add('categories', ['Phone Lock'])
            calendar.add_component(event)
    calendar.add_missing_timezones(first_date=(start - timedelta(days=366)).date(), last_date=(end + timedelta(days=366)).date())
    return calendar.to_ical().decode('utf-8')
