# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A calendar people can look at: each site's locked periods over a horizon as iCalendar (RFC 5545) events, written
by the ``icalendar`` package with a VTIMEZONE per site zone, so Outlook or a shared calendar shows them at the office's
local times. Also the next transitions of a site with their reasons, for a preview.

Both read the sites as the runs do (``_sites.read_sites``): a site with a problem of its own (a typo, a ``holidays``
key while the holidays package is missing) is that site's error, and the other sites are still shown."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import status, transitions
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._holds import boundaries, hold_at
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._sites import read_sites, select, unforeseen
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._zones import is_second_occurrence

try:
    import icalendar
    HAS_ICALENDAR = True
except ImportError:
    icalendar = None
    HAS_ICALENDAR = False

REQUIREMENT = 'icalendar>=6.1,<8'
PRODID = '-//imagicle.phonelock//office_hours calendar//EN'


def read(sites, defaults, limit):
    """The sites as the runs read them: (every ReadSite, in order, the numbers of those ``office_hours_limit`` names).
    SiteError only for what concerns every site (office_hours_sites not a list, bad defaults, a limit naming no site)."""
    entries = read_sites(sites, defaults)
    chosen = set(id(entry) for entry in select(entries, limit))
    return entries, [number for number, entry in enumerate(entries) if id(entry) in chosen]


def locked_periods(site, start, end):
    """[(first instant, end instant, reasons, further)] of the site's locked periods that overlap [start, end), clipped
    to it. reasons: every reason within the period (see ``period_reasons``); further: the period is clipped at ``end`` by a
    locked hold with no end, so its end is the window's, not an unlock."""
    periods = []
    opened_at = start if status(site, start)['state'] == 'locked' else None
    for local, state in transitions(site, start, end - timedelta(seconds=1)):
        if state == 'locked':
            opened_at = local
        elif opened_at is not None:
            periods.append((opened_at, local, period_reasons(site, opened_at, local), False))
            opened_at = None
    if opened_at is not None:
        last = end.astimezone(site.zone)
        hold = hold_at(site.holds, int(last.timestamp()) - 1) if site.holds else None
        periods.append((opened_at, last, period_reasons(site, opened_at, last), hold is not None and hold.end is None))
    return periods


def period_reasons(site, first, last):
    """Each distinct reason of the locked period [first, last) once, in time order, after the local date it first
    applies: ['Thu 2027-03-25 closed: after closing (Thu 08:00-18:00)', 'Fri 2027-03-26 closed: Karfreitag (DE public
    holiday)', ...]. The reason changes only at a local midnight or where a hold starts or ends, and not at all while
    one hold decides."""
    first_ts, last_ts = int(first.timestamp()), int(last.timestamp())
    instants = set([first_ts] + [ts for ts in boundaries(site.holds) if first_ts < ts < last_ts])
    day = first.astimezone(site.zone).date() + timedelta(days=1)
    while True:
        # fold=0: a midnight the clock skips is read as the first instant of that date (the jump).
        midnight = int(datetime.combine(day, time()).replace(tzinfo=site.zone).timestamp())
        if midnight >= last_ts:
            break
        if not site.holds or hold_at(site.holds, midnight) is None:
            instants.add(midnight)
        day += timedelta(days=1)
    found = {}
    for ts in sorted(instants):
        entry = status(site, datetime.fromtimestamp(ts, site.zone))
        found.setdefault(entry['reason'], entry['local_label'][:14])
    return ['%s %s' % (label, reason) for reason, label in found.items()]


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


def _description(reasons, further):
    # An event must end somewhere: a hold with no end ends at the export's horizon, which must not read as an unlock.
    lines = (['Locked until further notice: the hold has no end; this event ends where the exported calendar ends, not at an unlock.']
             if further else [])
    return '\n'.join(lines + list(reasons))


def ics(entries, start, end, problems=()):
    """The iCalendar text of the locked periods of ``entries`` (valid ReadSites) in [start, end): one VEVENT per period,
    DTSTART and DTEND with the site's TZID, a VTIMEZONE for each zone. ``problems`` names the sites left out (as the runs
    leave them out), in the calendar's description; a site whose periods cannot be worked out is added to them.
    Deterministic: the same sites and window give the same text."""
    problems = list(problems)
    events = []
    stamp = start.astimezone(timezone.utc)
    for entry in entries:
        site = entry.site
        try:
            periods = locked_periods(site, start, end)
        except Exception as exc:  # pylint: disable=broad-except  # a value no check foresaw: this site's problem, as in the runs
            problems.append(unforeseen(entry.where, entry.name, exc))
            continue
        for first, last, reasons, further in periods:
            event = icalendar.Event()
            event.add('uid', '%s-%d@imagicle.phonelock' % (site.name, int(first.timestamp())))
            event.add('dtstamp', stamp)
            event.add('summary', 'Phones locked: %s' % site.name)
            event.add('description', _description(reasons, further))
            event.add('dtstart', _when(first, site.zone))
            event.add('dtend', _when(last, site.zone))
            event.add('categories', ['Phone Lock'])
            events.append(event)
    calendar = icalendar.Calendar()
    calendar.add('prodid', PRODID)
    calendar.add('version', '2.0')
    calendar.add('x-wr-calname', 'Phone Lock: locked periods')
    if problems:
        text = 'Not in this calendar, because not valid: %s' % ' | '.join(problems)
        # A calendar's DESCRIPTION is RFC 7986; X-WR-CALDESC is the older name that many calendar programs show.
        calendar.add('description', text)
        calendar.add('x-wr-caldesc', text)
    for event in events:
        calendar.add_component(event)
    calendar.add_missing_timezones(first_date=(start - timedelta(days=366)).date(), last_date=(end + timedelta(days=366)).date())
    return calendar.to_ical().decode('utf-8')
