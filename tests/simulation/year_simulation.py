# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every minute of a year, nine sites: the office hours calendar against an independent oracle.

The oracle works from the raw site definitions with its own code: it expands the closed dates into a set of days,
reads each UTC minute's local wall clock (hourly offsets, refined by minute where the offset changes), and takes as
a day's opening (closing) the first UTC minute whose wall clock reads the opening (closing) time or later. That is the
documented rule, reached another way: in a skipped hour the first such minute is the jump, in a repeated hour it is
the first occurrence.

Each minute one office_hours_plan(state=auto) call judges all nine sites (a "late run" at that minute); its entries
carry status() for every site. Checked per site and minute: the state, the action, next_transition/next_state,
closed dates; the decision of a locked and an unlocked run (skip where the calendar disagrees); and the full
office_hours_plan filter with state=locked and unlocked around every transition and at every 61st minute.
The instants where the state flips must equal both transitions() and the oracle's openings and closings.

The odd zones are here too: Australia/Lord_Howe (a 30-minute daylight-saving shift), Asia/Kathmandu (+05:45, no DST)
and Pacific/Chatham (+12:45/+13:45). Two Lord Howe sites nest (a reception desk inside the office): every minute the
auto run's plan must send the inner site's request after the outer site's, with each site's own state; at the sampled
minutes (every 61st and around every transition) the requests of auto, locked, unlocked and limited runs
(office_hours_requests, in their order) are played on the two groups of phones, and every group a request touched must
end in its own site's state (an auto run touches both).

Run it with the collection importable, e.g. from the repository root:
    PYTHONPATH=/tmp/ac python tests/simulation/year_simulation.py
where /tmp/ac/ansible_collections/imagicle/phonelock is this repository (or PYTHONPATH=.build/collections after
``make install``). It exits 0 when nothing mismatched, 1 otherwise. pytest runs it through test_year_simulation().
"""

from __future__ import annotations

import bisect
import multiprocessing
import os
import sys
import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

try:
    from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_plan import office_hours_plan
    from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_requests import office_hours_requests
    from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import transitions
    from ansible_collections.imagicle.phonelock.plugins.plugin_utils._plan import decide
    from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import parse_site
    IMPORT_ERROR = None
except ImportError as exc:
    decide = office_hours_plan = office_hours_requests = parse_site = transitions = None
    IMPORT_ERROR = ('year_simulation: cannot import the imagicle.phonelock collection (%s). Set PYTHONPATH to the folder that holds '
                    'ansible_collections/imagicle/phonelock, for example PYTHONPATH=/tmp/ac, or PYTHONPATH=.build/collections after '
                    'make install.' % exc)

# 2025-12-31 12:00Z to 2026-12-31 12:00Z: both switch days of Europe/Rome, America/New_York and Australia/Sydney.
START = datetime(2025, 12, 31, 12, 0, tzinfo=timezone.utc)
MINUTES = 366 * 1440
# The oracle looks this far beyond the window, so it knows the next transition after its last minute.
MARGIN = 12 * 1440
EVERY = 61  # the full locked/unlocked plan filter runs at every EVERY-th minute (coprime with 60 and 1440, so every minute of the day comes up)
WEEKDAYS = ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')
EPOCH_DAY = date(1970, 1, 1)

DEFAULTS = {'closed_dates': ['2026-01-01', '2026-12-25']}
SITES = [
    # Saturday mornings; summer shutdown; company holidays from the defaults.
    {'name': 'milano', 'timezone': 'Europe/Rome', 'days': ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
     'hours': {'sat': {'opens': '09:00', 'closes': '13:00'}},
     'selections': [{'department': 'Sales', 'custom_field1': 'Milano'}, {'department': 'R&D', 'custom_field1': 'Milano'}],
     'closed_dates': ['2026-04-06', '2026-08-10..2026-08-21', '2026-12-07..2026-12-08']},
    # A Sunday 01:30-02:30 maintenance window: it closes in the skipped hour on 2026-03-08 and opens in the repeated
    # hour on 2026-11-01.
    {'name': 'newyork', 'timezone': 'America/New_York', 'days': ['sun', 'mon', 'tue', 'wed', 'thu', 'fri'],
     'opens': '07:30', 'closes': '17:30', 'hours': {'sun': {'opens': '01:30', 'closes': '02:30'}},
     'selections': [{'custom_field1': 'NYC'}], 'closed_dates': ['2026-07-03', '2026-11-26..2026-11-27']},
    # A Sunday night shift from 02:30: it opens at the jump on 2026-10-04 and at the first 02:30 on 2026-04-05.
    # Australia Day is a closed date whose office hours fall on the previous UTC date.
    {'name': 'sydney', 'timezone': 'Australia/Sydney', 'days': ['mon', 'tue', 'wed', 'thu', 'fri', 'sun'],
     'opens': '08:30', 'closes': '17:30', 'hours': {'sun': {'opens': '02:30', 'closes': '05:00'}},
     'selections': [{'custom_field1': 'Sydney'}], 'closed_dates': ['2026-01-26', '2026-04-03', '2026-04-06', '2026-12-28..2027-01-01']},
    {'name': 'kolkata', 'timezone': 'Asia/Kolkata', 'days': ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
     'opens': '09:30', 'closes': '18:30', 'hours': {'sat': {'opens': '10:00', 'closes': '14:00'}},
     'selections': [{'custom_field1': 'Kolkata'}], 'closed_dates': ['2026-01-26', '2026-08-15', '2026-10-02', '2026-11-09..2026-11-10']},
    # An evening call centre: its late hours on a closed date fall on the next UTC date.
    {'name': 'saopaulo', 'timezone': 'America/Sao_Paulo', 'days': ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
     'opens': '10:00', 'closes': '23:30', 'selections': [{'custom_field1': 'SaoPaulo'}],
     'closed_dates': ['2026-02-16..2026-02-17', '2026-12-24', '2026-12-31']},
    # A 30-minute DST shift: the Sunday 01:45-02:15 window closes in the skipped half hour on 2026-10-04 (02:00 -> 02:30)
    # and opens in the repeated half hour on 2026-04-05 (02:00 -> 01:30).
    {'name': 'lordhowe', 'timezone': 'Australia/Lord_Howe', 'days': ['mon', 'tue', 'wed', 'thu', 'fri', 'sun'],
     'opens': '08:00', 'closes': '17:00', 'hours': {'sun': {'opens': '01:45', 'closes': '02:15'}},
     'selections': [{'custom_field1': 'LordHowe'}], 'closed_dates': ['2026-01-26', '2026-12-25']},
    # Nested in lordhowe (its selection refines lordhowe's, in another case): the reception desk, closed on Wednesdays,
    # open longer and on Saturdays, with closed dates of its own.
    {'name': 'lordhowe-desk', 'timezone': 'Australia/Lord_Howe', 'days': ['mon', 'tue', 'thu', 'fri', 'sat'],
     'opens': '07:00', 'closes': '19:30', 'hours': {'sat': {'opens': '09:00', 'closes': '12:00'}},
     'selections': [{'custom_field1': 'lordhowe', 'custom_field4': 'Reception'}], 'closed_dates': ['2026-06-08', '2026-12-26']},
    # +05:45 all year; offices from Sunday to Friday.
    {'name': 'kathmandu', 'timezone': 'Asia/Kathmandu', 'days': ['sun', 'mon', 'tue', 'wed', 'thu', 'fri'],
     'opens': '09:45', 'closes': '17:15', 'selections': [{'custom_field1': 'Kathmandu'}], 'closed_dates': ['2026-10-20..2026-10-23']},
    # +12:45 / +13:45: a Sunday window entirely in the skipped hour on 2026-09-27 (02:45 -> 03:45) has no open interval;
    # on 2026-04-05 (03:45 -> 02:45) it falls in the repeated hour.
    {'name': 'chatham', 'timezone': 'Pacific/Chatham', 'days': ['mon', 'tue', 'wed', 'thu', 'fri', 'sun'],
     'opens': '08:15', 'closes': '16:45', 'hours': {'sun': {'opens': '02:50', 'closes': '03:30'}},
     'selections': [{'custom_field1': 'Chatham'}], 'closed_dates': ['2026-11-30']},
]
# (outer, inner) site names whose selections nest.
NESTED = [('lordhowe', 'lordhowe-desk')]


# --- the oracle -------------------------------------------------------------------------------------------------

def clock_minutes(text):
    hours, minutes = text.split(':')
    return int(hours) * 60 + int(minutes)


def closed_days(raw):
    """The closed dates of a site, as day numbers since 1970-01-01."""
    days = set()
    for item in DEFAULTS['closed_dates'] + raw.get('closed_dates', []):
        first, dummy, last = item.partition('..')
        day, last_day = date.fromisoformat(first), date.fromisoformat(last or first)
        while day <= last_day:
            days.add((day - EPOCH_DAY).days)
            day += timedelta(days=1)
    return days


def wall_clock(zone, first, count):
    """The local wall clock of each UTC minute first..first+count-1 (minutes since the epoch), in local minutes."""
    def offset(minute):
        utc = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=minute)
        return int(zone.fromutc(utc.replace(tzinfo=zone)).utcoffset().total_seconds()) // 60

    wall = []
    for hour_start in range(first, first + count, 60):
        hour_end = min(hour_start + 60, first + count)
        before, after = offset(hour_start), offset(hour_end - 1)
        if before == after:
            wall.extend(range(hour_start + before, hour_end + before))
        else:
            wall.extend(minute + offset(minute) for minute in range(hour_start, hour_end))
    return wall


def oracle(raw, first, count):
    """The intended open intervals [opening, closing) of a site, as indexes into the minutes first..first+count-1."""
    zone = ZoneInfo(raw['timezone'])
    wall = wall_clock(zone, first, count)
    office = {}
    for name in raw.get('days', WEEKDAYS[:5]):
        override = raw.get('hours', {}).get(name, {})
        office[WEEKDAYS.index(name)] = (clock_minutes(override.get('opens', raw.get('opens', '08:00'))),
                                        clock_minutes(override.get('closes', raw.get('closes', '18:00'))))
    closed = closed_days(raw)
    intervals = []
    pointer = 0
    for day in range(wall[0] // 1440, wall[-1] // 1440 + 1):
        hours = office.get((EPOCH_DAY + timedelta(days=day)).weekday())
        if hours is None or day in closed:
            continue
        ends = []
        for target in (day * 1440 + hours[0], day * 1440 + hours[1]):
            # The first minute whose wall clock reads the target or later.
            while pointer < len(wall) and wall[pointer] < target:
                pointer += 1
            ends.append(pointer)
        if ends[1] < len(wall) and ends[0] < ends[1]:
            intervals.append((ends[0], ends[1]))
    return wall, intervals, closed


def iso_text(minute, wall_minute):
    """Local ISO 8601 text of a UTC minute from its wall clock: formatted here, not by datetime."""
    offset = wall_minute - minute
    local = datetime(1970, 1, 1) + timedelta(minutes=wall_minute)
    sign = '+' if offset >= 0 else '-'
    return '%sT%02d:%02d:00%s%02d:%02d' % (local.date().isoformat(), local.hour, local.minute, sign, abs(offset) // 60, abs(offset) % 60)


def prepare():
    """Per site: the parsed site, the oracle's open minutes of the window, its flips, and the next-flip text."""
    first = int(START.timestamp()) // 60 - MARGIN
    count = MINUTES + 2 * MARGIN
    prepared = []
    for raw in SITES:
        wall, intervals, closed = oracle(raw, first, count)
        expected = bytearray(MINUTES)
        for opens, closes in intervals:
            low, high = max(opens - MARGIN, 0), min(closes - MARGIN, MINUTES)
            if low < high:
                expected[low:high] = b'\x01' * (high - low)
        bounds = sorted(set(bound for interval in intervals for bound in interval))
        flips = [(bound - MARGIN, iso_text(first + bound, wall[bound])) for bound in bounds]
        prepared.append({
            'site': parse_site(raw, DEFAULTS, where='SITES[%d]' % len(prepared)),
            'expected': expected,
            'flips': flips,
            'closed': bytearray(wall_minute // 1440 in closed for wall_minute in wall[MARGIN:MARGIN + MINUTES]),
            'dst_days': len(set(wall[index] // 1440 for hour in range(MARGIN + 60, MARGIN + MINUTES, 60)
                                if wall[hour] - wall[hour - 60] != 60 for index in range(hour - 59, hour + 1)
                                if wall[index] - wall[index - 1] != 1)),
        })
    return prepared


PREPARED = []


# --- the run ----------------------------------------------------------------------------------------------------

def groups_of_phones():
    """For each nested pair: (site number, filters) of the phones of the outer site only and of the inner site's phones."""
    numbers = dict((item['site'].name, number) for number, item in enumerate(PREPARED))
    return [(numbers[name], PREPARED[numbers[name]]['site'].filters[0]) for pair in NESTED for name in pair]


def play(steps, groups):
    """The state each group of phones ends in after the requests, in their order; None for a group no request touched.
    A request touches a group when the group's phones match all of the request's filters."""
    final = [None] * len(groups)
    for step in steps:
        for selection in step['selections']:
            filters = frozenset((key, value.casefold()) for key, value in selection.items())
            for number, (dummy, group) in enumerate(groups):
                if filters <= group:
                    final[number] = step['state']
    return final


def check_minutes(bounds):
    """Check the minutes low..high-1 of the window; return (counts, first mismatches, states per site)."""
    low, high = bounds
    sites = [item['site'] for item in PREPARED]
    counts = dict(mismatches=0, full_runs=0, nested_runs=0)
    problems = []
    states = [bytearray(high - low) for dummy in PREPARED]
    pointers = [bisect.bisect_right(item['flips'], (low, '')) for item in PREPARED]
    near_flip = set(index + delta for item in PREPARED for index, dummy in item['flips'] for delta in (-1, 0))
    runs = {True: ('skip', 'unlocked'), False: ('locked', 'skip')}  # open -> (a locked run, an unlocked run)
    groups = groups_of_phones()
    outers = [pair[0] for pair in NESTED]

    def mismatch(text):
        counts['mismatches'] += 1
        if len(problems) < 20:
            problems.append(text)

    def check_phones(plan, minute, what, every_group):
        # Each group a request touched ends in its own site's state (an auto run touches every group).
        counts['nested_runs'] += 1
        wanted = ['unlocked' if PREPARED[number]['expected'][minute] else 'locked' for number, dummy in groups]
        final = play(office_hours_requests(plan), groups)
        if any(got != want and (got is not None or every_group) for got, want in zip(final, wanted)):
            mismatch('%s %s run: the nested groups of phones end %s, their sites demand %s' % (plan[0]['at'], what, final, wanted))

    pairs = [(groups[index][0], groups[index + 1][0]) for index in range(0, len(groups), 2)]
    for minute in range(low, high):
        instant = START + timedelta(minutes=minute)
        plan = office_hours_plan(sites, 'auto', instant)
        # Every minute: the inner site's requests come after the outer site's (the states are checked below).
        if any(plan[inner]['order'][0] <= plan[outer]['order'][0] or plan[inner]['nested_in'] != [plan[outer]['name']] for outer, inner in pairs):
            mismatch('%s auto run: the nested sites are not ordered after their outer sites: %s' % (
                plan[0]['at'], [(plan[number]['name'], plan[number]['order'], plan[number]['nested_in']) for pair in pairs for number in pair]))
        full = None
        if minute % EVERY == 0 or minute in near_flip:
            check_phones(plan, minute, 'auto', True)
            full = [office_hours_plan(sites, state, instant) for state in ('locked', 'unlocked')]
            counts['full_runs'] += 2 * len(sites)
            for state, whole in zip(('locked', 'unlocked'), full):
                check_phones(whole, minute, state, False)
            for state in ('auto', 'locked', 'unlocked'):
                check_phones(office_hours_plan(sites, state, instant, limit=outers), minute, 'limited %s' % state, state == 'auto')
        for number, entry in enumerate(plan):
            item = PREPARED[number]
            is_open = item['expected'][minute] == 1
            flips = item['flips']
            pointer = pointers[number]
            while flips[pointer][0] <= minute:
                pointer += 1
            pointers[number] = pointer
            states[number][minute - low] = entry['open']
            want = ('unlocked', 'locked') if is_open else ('locked', 'unlocked')
            if (entry['open'], entry['state'], entry['action'], entry['next_transition'], entry['next_state']) != (
                    is_open, want[0], want[0], flips[pointer][1], want[1]):
                mismatch('%s %s: %s (action %s, next %s %s), the oracle says %s (next %s)' % (
                    entry['name'], entry['at'], entry['state'], entry['action'], entry['next_state'], entry['next_transition'],
                    want[0], flips[pointer][1]))
            if item['closed'][minute] and (entry['open'] or not entry['reason'].endswith(('is a closed date', 'is not an office day'))):
                mismatch('%s %s: on a closed date: %s' % (entry['name'], entry['at'], entry['reason']))
            decided = (decide(entry, 'locked', False)[0], decide(entry, 'unlocked', False)[0])
            # A nested site that an explicit run applies with its outer site gets its own state, not a skip: check_phones.
            explicit = [(run[number]['action'], want) for run, want in zip(full or (), runs[is_open]) if not run[number]['nested_in']]
            if decided != runs[is_open] or any(got != want for got, want in explicit):
                mismatch('%s %s: a locked run does %s, an unlocked run %s, the oracle says %s' % (entry['name'], entry['at'], decided[0],
                                                                                                  decided[1], runs[is_open]))
    return counts, problems, [bytes(state) for state in states]


def run(processes=None):
    """Run the simulation; return (number of mismatches, report lines)."""
    began = time.monotonic()
    PREPARED[:] = prepare()
    processes = processes or int(os.environ.get('YEAR_SIMULATION_PROCESSES', 0)) or min(2, os.cpu_count() or 1)
    step = -(-MINUTES // processes)
    chunks = [(low, min(low + step, MINUTES)) for low in range(0, MINUTES, step)]
    if processes > 1 and 'fork' in multiprocessing.get_all_start_methods():
        # fork: the workers inherit PREPARED instead of pickling it.
        with multiprocessing.get_context('fork').Pool(processes) as pool:
            results = pool.map(check_minutes, chunks)
    else:
        results = [check_minutes(chunk) for chunk in chunks]

    counts = dict((key, sum(result[0][key] for result in results)) for key in results[0][0])
    instants = MINUTES * len(PREPARED)
    closed_minutes = sum(sum(item['closed']) for item in PREPARED)
    problems = [problem for result in results for problem in result[1]]
    transitions_total = 0
    for number, item in enumerate(PREPARED):
        states = b''.join(result[2][number] for result in results)
        seen = [index for index in range(1, MINUTES) if states[index] != states[index - 1]]
        oracle_flips = [index for index, dummy in item['flips'] if 0 < index < MINUTES]
        listed = [int((moment - START).total_seconds()) // 60 for moment, dummy in
                  transitions(item['site'], START, START + timedelta(minutes=MINUTES - 1))]
        transitions_total += len(listed)
        if not seen == oracle_flips == listed:
            counts['mismatches'] += 1
            problems.append('%s: %d flips seen by status(), %d by the oracle, %d from transitions()'
                            % (item['site'].name, len(seen), len(oracle_flips), len(listed)))
    lines = [
        'year simulation: %d sites x %s minutes = %s instants checked; %s transitions; %d mismatches'
        % (len(PREPARED), format(MINUTES, ','), format(instants, ','), format(transitions_total, ','), counts['mismatches']),
        '  window %s to %s; DST switch days covered: %d; closed-date minutes: %s'
        % (START.isoformat(), (START + timedelta(minutes=MINUTES)).isoformat(), sum(item['dst_days'] for item in PREPARED),
           format(closed_minutes, ',')),
        '  late runs (plan, state=auto): %s; locked/unlocked run decisions: %s; of them through the full plan filter: %s'
        % (format(instants, ','), format(2 * instants, ','), format(counts['full_runs'], ',')),
        '  nested sites %s: order checked every minute; runs whose requests were played on their '
        'phones (auto, locked, unlocked, limited to the outer site, at the sampled minutes): %s'
        % (', '.join('%s in %s' % (inner, outer) for outer, inner in NESTED), format(counts['nested_runs'], ',')),
        '  %d processes, %.1f s' % (len(chunks) if processes > 1 else 1, time.monotonic() - began),
    ]
    return counts['mismatches'], lines + problems


def run_calendars():
    """The office calendars (holidays, special days, holds) and the schedulers, two years (calendar_simulation.py):
    (problems, report lines). It needs the holidays, icalendar and python-dateutil packages."""
    try:
        import calendar_simulation  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        return 1, ['calendar simulation: cannot run (%s); install holidays, icalendar and python-dateutil '
                   '(tests/tooling/requirements-tools.txt)' % exc]
    lines = []
    began = time.monotonic()
    problems = calendar_simulation.run(SITES[:5], DEFAULTS, report=lines.append)
    lines.append('  %.1f s' % (time.monotonic() - began))
    return problems, lines


def test_year_simulation():
    assert IMPORT_ERROR is None, IMPORT_ERROR
    mismatches, lines = run()
    print('\n'.join(lines))
    assert mismatches == 0, '\n'.join(lines)


def test_calendar_simulation():
    assert IMPORT_ERROR is None, IMPORT_ERROR
    problems, lines = run_calendars()
    print('\n'.join(lines))
    assert problems == 0, '\n'.join(lines)


def main():
    if IMPORT_ERROR:
        print(IMPORT_ERROR, file=sys.stderr)
        return 1
    mismatches, lines = run()
    print('\n'.join(lines))
    problems, lines = run_calendars()
    print('\n'.join(lines))
    return 1 if mismatches or problems else 0


if __name__ == '__main__':
    sys.exit(main())
