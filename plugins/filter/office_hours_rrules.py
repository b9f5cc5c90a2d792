# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: office_hours_rrules
short_description: The AWX schedules that lock and unlock each office_hours site at its transition times
version_added: 1.0.0
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
description:
  - Turns the sites of the C(imagicle.phonelock.office_hours) role into AWX schedule specifications, two for each
    site. The C(lock) schedule runs at each office day's closing time, the C(unlock) schedule at each office day's
    opening time, in the site's time zone. The AWX sibling of the C(imagicle.phonelock.office_hours_timers) filter.
  - Each C(rrule) is written in the form the AWX API takes, C(DTSTART;TZID=ZONE:YYYYMMDDTHHMMSS) (the site's local
    wall-clock time, neither C(Z) nor an offset) followed by one or more C(RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=...)
    parts, so the schedule keeps its local time across daylight-saving changes.
  - It holds only what AWX accepts, in AWX's own reading (python-dateutil). Weekly rules with C(INTERVAL=1), weekday
    names without numeric prefixes, whole minutes. There is no C(EXDATE), C(RDATE), C(EXRULE) or C(COUNT), and the
    weekly rules have no C(UNTIL), so the schedules never end (only the dated parts below have an C(UNTIL)).
  - Office days that share a time are one C(RRULE). When office days have different times (C(hours)), the schedule
    holds one C(RRULE) per distinct time, each with its C(BYHOUR) and C(BYMINUTE), under a single C(DTSTART). So there
    is always exactly one schedule per site and transition. Several C(RRULE) parts in one rrule need AWX 21.0 or later.
  - C(DTSTART) is the first of these times on or after O(start), in the site's local calendar, so python-dateutil
    and AWX agree on the first run.
  - Closed dates and public holidays add nothing. The schedules run on every office day, and the role's run on a closed
    day or a holiday finds the office closed and leaves the phones locked.
  - A transition that the weekly rules miss (a special day's other hours or opening, a hold's start or end) on the local
    dates from O(horizon_start) for O(horizon) days, and before the same date a year later, gets an C(RRULE) part of its
    own, C(FREQ=YEARLY;INTERVAL=1;BYMONTH=M;BYMONTHDAY=D;BYHOUR=H;BYMINUTE=M;UNTIL=...Z), which runs exactly once (no
    C(RDATE), which AWX refuses). A site with such parts gets C(DTSTART) at the first of its times on or after
    O(horizon_start), and C(BYHOUR) and C(BYMINUTE) in every part. A site without any keeps the rrule it had.
    Rerun C(imagicle.phonelock.awx_setup) within the horizon, and after every change of the calendar, to keep them ahead.
  - A dated transition at the second occurrence of a wall-clock time repeated when clocks go back (a hold that ends at
    C(2027-10-31T02:30:00+01:00) in C(Europe/Rome)) cannot be a part of the site's rrule. python-dateutil, which AWX
    uses to read it, expands every local time of a C(TZID) rule at its first occurrence, an hour early. Such a transition
    gets a one-off schedule of its own, C(imagicle-phonelock-SITE-lock-at-YYYYMMDDTHHMMSSZ), whose rrule is its UTC
    instant, C(DTSTART:YYYYMMDDTHHMMSSZ RRULE:FREQ=DAILY;INTERVAL=1;COUNT=1). It comes after its site's weekly
    schedules, and C(imagicle.phonelock.awx_setup) removes it once a later run no longer returns it.
  - Daylight-saving time. A weekly time in the repeated hour of an autumn change runs once, at its first occurrence, as the
    role's calendar has it. A time in the hour skipped by a spring change (C(02:30) on the spring Sunday of
    C(Europe/Rome)) does not exist on that one day. python-dateutil expands it to an instant an hour (on
    C(Australia/Lord_Howe) half an hour) off, which can be the instant of the other schedule, and AWX skips it, because
    it never schedules a nonexistent local time. The role's calendar makes that transition happen when the clock jumps
    (C(03:00)), and within the horizon that instant gets a dated part of its own, so AWX launches it then. With
    O(horizon=0) that day the site's phones change state at its next transition, or at the next run of
    C(imagicle.phonelock.reconcile) when one is scheduled.
  - No instant launches both the lock and the unlock schedule of a site, as AWX launches them (tested across the
    spring changes of C(Australia/Lord_Howe) and C(America/Santiago)).
  - Every site is validated, also those that O(limit) leaves out, as the C(imagicle.phonelock.office_hours_plan) filter
    reads them (site names unique ignoring case). Any problem fails the filter, with one message that names every
    problem in the user's coordinates, the site's position and name first (C(office_hours_sites[3]) and C(milano)), so the
    schedulers never get a partial set.
positional: start, defaults, limit, horizon_start, horizon
extends_documentation_fragment:
  - imagicle.phonelock.office_hours_sites
  - imagicle.phonelock.office_hours_sites.limit
options:
  start:
    description:
      - The local date the schedules start on, C(YYYY-MM-DD) (a YAML date works too). Each schedule's C(DTSTART) is
        the first office day on or after it, in each site's own calendar.
      - Required, with no default such as today, so that the same sites always give the same rrules. Keep the same
        date on every run and M(awx.awx.schedule) changes a schedule only when its site's office hours change.
      - A date in the past is fine; AWX runs a schedule first at its next occurrence after now.
    type: str
    required: true
  horizon_start:
    description:
      - The first local date of the dated C(RRULE) parts, C(YYYY-MM-DD). Default today in each site's time zone, and
        never before O(start).
    type: str
    version_added: 1.1.0
  horizon:
    description:
      - How many days from O(horizon_start) get dated C(RRULE) parts, at most up to the day before the same date a
        year later (so a yearly part runs once). V(0) gives none.
    type: int
    default: 366
    version_added: 1.1.0
'''

EXAMPLES = r'''
- name: Show the AWX schedules of a site open Monday to Friday, 08:00 to 18:00
  vars:
    sites:
      - name: roma
        timezone: Europe/Rome
        selections: [{custom_field1: Roma}]
  ansible.builtin.debug:
    msg: "{{ sites | imagicle.phonelock.office_hours_rrules('2026-11-30') }}"
  # [{"site": "roma", "transition": "lock", "state": "locked", "playbook": "imagicle.phonelock.nightly_lock",
  #   "timezone": "Europe/Rome", "name": "imagicle-phonelock-roma-lock",
  #   "description": "Lock the phones of site roma at closing time",
  #   "rrule": "DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR",
  #   "times": [{"days": ["mon", "tue", "wed", "thu", "fri"], "time": "18:00"}]},
  #  {"site": "roma", "transition": "unlock", "state": "unlocked", "playbook": "imagicle.phonelock.morning_unlock",
  #   "timezone": "Europe/Rome", "name": "imagicle-phonelock-roma-unlock",
  #   "description": "Unlock the phones of site roma at opening time",
  #   "rrule": "DTSTART;TZID=Europe/Rome:20261130T080000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR",
  #   "times": [{"days": ["mon", "tue", "wed", "thu", "fri"], "time": "08:00"}]}]

- name: Office days with different times give one RRULE per time
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
    msg: "{{ (sites | imagicle.phonelock.office_hours_rrules('2026-11-30'))[0].rrule }}"
  # One line, broken here at its spaces:
  #   DTSTART;TZID=Europe/Rome:20261130T190000
  #   RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;BYHOUR=19;BYMINUTE=0
  #   RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=SA;BYHOUR=13;BYMINUTE=0

- name: One AWX schedule per site and transition, each running its own site only
  awx.awx.schedule:
    name: "{{ item.name }}"
    description: "{{ item.description }}"
    unified_job_template: "{{ 'Lock phones' if item.state == 'locked' else 'Unlock phones' }}"
    rrule: "{{ item.rrule }}"
    extra_data:
      office_hours_limit: ["{{ item.site }}"]
    state: present
  loop: "{{ office_hours_sites | imagicle.phonelock.office_hours_rrules(start='2026-11-30', defaults=office_hours_defaults) }}"
  loop_control:
    label: "{{ item.name }}"
'''

RETURN = r'''
_value:
  description:
    - Two schedules for each site (a site has at least one office day), sites in their given order, for each site
      the C(lock) schedule first, then the site's one-off schedules (see the description), in time order.
  type: list
  elements: dict
  contains:
    site:
      description: The site's name.
      type: str
      sample: milano
    transition:
      description: Which transition the schedule runs, at closing time (V(lock)) or at opening time (V(unlock)).
      type: str
      choices: [lock, unlock]
      sample: lock
    state:
      description: What the schedule's run does to the site's phones.
      type: str
      choices: [locked, unlocked]
      sample: locked
    playbook:
      description: The shipped playbook that does it, for the job template the schedule launches.
      type: str
      choices: [imagicle.phonelock.nightly_lock, imagicle.phonelock.morning_unlock]
      sample: imagicle.phonelock.nightly_lock
    timezone:
      description: The site's IANA time zone, the C(TZID) of the rrule.
      type: str
      sample: Europe/Rome
    name:
      description:
        - A schedule name, C(imagicle-phonelock-SITE-lock) or C(imagicle-phonelock-SITE-unlock), the same as the
          systemd timers of the role. It depends on the site and the transition only, so changed office hours update
          the schedule of that name.
        - A one-off schedule's name adds its UTC instant, C(imagicle-phonelock-SITE-lock-at-20271031T013000Z).
      type: str
      sample: imagicle-phonelock-milano-lock
    at:
      description:
        - The instant of a one-off schedule, in ISO 8601 with the site's UTC offset at that instant.
        - Weekly schedules do not have it.
      type: str
      returned: for a one-off schedule only
      sample: "2027-10-31T02:30:00+01:00"
      version_added: 1.2.0
    description:
      description: A one-line description for the schedule.
      type: str
      sample: Lock the phones of site milano at closing time
    rrule:
      description:
        - The schedule's rrule, C(DTSTART;TZID=...) then, separated by spaces, one C(RRULE) per distinct time.
        - With a single time the C(RRULE) has no C(BYHOUR) or C(BYMINUTE) (the time is C(DTSTART)'s); with several,
          every C(RRULE) has both.
      type: str
      sample: "DTSTART;TZID=Europe/Rome:20261130T180000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR"
    times:
      description: The local times of the schedule, the office days that share each one, ordered by their first weekday.
      type: list
      elements: dict
      sample: [{"days": ["mon", "tue", "wed", "thu", "fri"], "time": "19:00"}, {"days": ["sat"], "time": "13:00"}]
      contains:
        days:
          description: The office days, C(mon) to C(sun).
          type: list
          elements: str
        time:
          description: The local time, C(HH:MM).
          type: str
'''

from datetime import datetime, timedelta, timezone as _timezone

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import WEEKDAYS
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._schedules import (
    HORIZON_DAYS, NAME_PREFIX, dated_transitions, group_by_time, horizon_days, horizon_last_day, parse_start, scheduled_transitions)
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import SiteError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._sites import parse_sites
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._zones import is_second_occurrence

RRULE_WEEKDAYS = ('MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU')
_START_TEXT = 'the local date the schedules start on, YYYY-MM-DD (for example 2026-11-30)'


def _parse_start(value):
    if value is None or value == '':
        raise AnsibleFilterError('office_hours_rrules: start is required: %s' % _START_TEXT)
    try:
        return parse_start(value, 'office_hours_rrules: start')
    except ValueError:
        shown = repr(value) if isinstance(value, str) else '%s (%s)' % (value, type(value).__name__)
        raise AnsibleFilterError('office_hours_rrules: start %s is not a date: use %s' % (shown, _START_TEXT))


def _first(start, groups):
    return min(datetime.combine(start + timedelta(days=(day - start.weekday()) % 7), at) for at, days in groups for day in days)


def rrule(timezone, groups, start, dated=()):
    """AWX's rrule for group_by_time's [(time, [weekdays])] in an IANA zone: DTSTART at the first of the times on or
    after the local date ``start``, then one weekly RRULE per distinct time (with BYHOUR and BYMINUTE when there are
    several), then one yearly RRULE that runs once for each of ``dated`` (aware local datetimes, after ``start``)."""
    try:
        first = min([_first(start, groups)] + [local.replace(tzinfo=None) for local in dated])
    except OverflowError:
        raise AnsibleFilterError('office_hours_rrules: start %s is too late: the schedules would start after 9999-12-31'
                                 % start.isoformat()) from None
    # Formatted by hand: strftime does not zero-pad years before 1000 on every platform.
    parts = ['DTSTART;TZID=%s:%04d%02d%02dT%02d%02d00' % (timezone, first.year, first.month, first.day, first.hour, first.minute)]
    for at, days in groups:
        rule = 'RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=%s' % ','.join(RRULE_WEEKDAYS[day] for day in days)
        if len(groups) > 1 or dated:
            rule += ';BYHOUR=%d;BYMINUTE=%d' % (at.hour, at.minute)
        parts.append(rule)
    for local in dated:
        until = local.astimezone(_timezone.utc)
        parts.append('RRULE:FREQ=YEARLY;INTERVAL=1;BYMONTH=%d;BYMONTHDAY=%d;BYHOUR=%d;BYMINUTE=%d;UNTIL=%04d%02d%02dT%02d%02d%02dZ'
                     % (local.month, local.day, local.hour, local.minute, until.year, until.month, until.day, until.hour, until.minute,
                        until.second))
    return ' '.join(parts)


def once(site, state, transition, playbook, local):
    """The one-off schedule of a dated transition that no TZID rule can express: the RRULE runs once, at the UTC instant."""
    stamp = local.astimezone(_timezone.utc).strftime('%Y%m%dT%H%M%SZ')
    return dict(
        site=site.name,
        transition=transition,
        state=state,
        playbook=playbook,
        timezone=site.timezone,
        name='%s-%s-%s-at-%s' % (NAME_PREFIX, site.name, transition, stamp),
        at=local.isoformat(),
        description='%s the phones of site %s at %s (the second %s of that day)'
                    % ('Lock' if state == 'locked' else 'Unlock', site.name, local.isoformat(), local.strftime('%H:%M')),
        rrule='DTSTART:%s RRULE:FREQ=DAILY;INTERVAL=1;COUNT=1' % stamp,
        times=[],
    )


def _horizon(site, start, horizon_start, days):
    """(first date, last date) of the dated parts: from horizon_start (today in the site's zone), never before start, for
    ``days`` days and before the same date a year later, so that each yearly part has one occurrence after DTSTART."""
    first = max(start, horizon_start or datetime.now(site.zone).date())
    return first, horizon_last_day(first, days)


def office_hours_rrules(sites, start=None, defaults=None, limit=None, horizon_start=None, horizon=HORIZON_DAYS):
    """The AWX schedule specifications of the sites (see DOCUMENTATION)."""
    first_day = _parse_start(start)
    try:
        days = horizon_days(horizon, 'office_hours_rrules')
        from_day = parse_start(horizon_start, 'office_hours_rrules: horizon_start', bounded=True) if horizon_start not in (None, '') else None
    except ValueError as exc:
        raise AnsibleFilterError(to_text(exc)) from None
    try:
        selected = parse_sites(sites, defaults, limit)
    except SiteError as exc:
        raise AnsibleFilterError('office_hours_rrules: %s' % to_text(exc)) from None

    schedules = []
    for site in selected:
        dated, seconds = [], []
        if days:
            first, last = _horizon(site, first_day, from_day, days)
            dated = dated_transitions(site, first, last)
        for state, transition, playbook, description, times in scheduled_transitions(site):
            groups = group_by_time(times)
            mine = [local for local, to in dated if to == state and not is_second_occurrence(local)]
            seconds.extend((local, state, transition, playbook) for local, to in dated if to == state and is_second_occurrence(local))
            schedules.append(dict(
                site=site.name,
                transition=transition,
                state=state,
                playbook=playbook,
                timezone=site.timezone,
                name='%s-%s-%s' % (NAME_PREFIX, site.name, transition),
                description=description,
                rrule=rrule(site.timezone, groups, first if mine else first_day, mine),
                times=[dict(days=[WEEKDAYS[day] for day in days], time=at.strftime('%H:%M')) for at, days in groups],
            ))
        schedules.extend(once(site, state, transition, playbook, local) for local, state, transition, playbook
                         in sorted(seconds, key=lambda item: item[0].timestamp()))
    return schedules


class FilterModule(object):
    def filters(self):
        return {'office_hours_rrules': office_hours_rrules}
