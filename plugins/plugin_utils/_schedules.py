# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the schedulers (systemd timers, AWX schedules) need of a site: its two transitions and their local times."""

from __future__ import annotations

# The first part of the name of every timer unit and AWX schedule: PREFIX-SITE-lock, PREFIX-SITE-unlock.
NAME_PREFIX = 'imagicle-phonelock'

# The two transitions of every office day, each run by a shipped playbook:
# (state from then on, short name, playbook, index of its time in Site.weekly's (opens, closes), description).
TRANSITIONS = (
    ('locked', 'lock', 'imagicle.phonelock.nightly_lock', 1, 'Lock the phones of site %s at closing time'),
    ('unlocked', 'unlock', 'imagicle.phonelock.morning_unlock', 0, 'Unlock the phones of site %s at opening time'),
)


def scheduled_transitions(site):
    """(state, short name, playbook, description, {weekday: time}) of each transition of the site, lock first.

    A parsed site has at least one office day, so every transition has times.
    """
    for state, transition, playbook, end, description in TRANSITIONS:
        yield state, transition, playbook, description % site.name, dict((day, hours[end]) for day, hours in site.weekly.items())


def group_by_time(times):
    """[(time, [weekdays])] for {weekday: time}: the days that share a time together, sorted, groups ordered by
    their first weekday."""
    by_time = {}
    for day, at in sorted(times.items()):
        by_time.setdefault(at, []).append(day)
    return sorted(by_time.items(), key=lambda item: item[1][0])
