# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run status: what one run's document inherits from the previous one, and its Prometheus text.

Shared by the office_hours_status and office_hours_metrics filters (controller) and the status_file module (target),
which merges under a lock so that runs of one server at the same instant never lose each other's sites.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

FORMAT = 1
PREFIX = 'imagicle_phonelock_'
STATES = ('locked', 'unlocked')


class StatusError(Exception):
    """A value the caller passed cannot make a status document."""


def count(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def previous_sites(previous):
    """{name: entry} of a previous document; anything else (no file, another format, a damaged file) carries nothing."""
    if not isinstance(previous, Mapping) or previous.get('format') != FORMAT or not isinstance(previous.get('sites'), list):
        return {}
    return {entry['name']: entry for entry in previous['sites'] if isinstance(entry, Mapping) and isinstance(entry.get('name'), str)}


def carry(entry, before):
    """A site's entry of this run, as made with nothing known before, with what ``before`` (its previous entry) knew:
    the last success, the last state applied and the failed runs are kept until this run replaces them."""
    site = dict(entry)
    if not site.get('last_success'):
        site['last_success'] = before.get('last_success')
    if not site.get('state_applied'):
        site['last_state_applied'] = before.get('last_state_applied')
        site['last_state_applied_at'] = before.get('last_state_applied_at')
    site['failed_runs'] = (count(before.get('failed_runs')) or 0) + (count(entry.get('failed_runs')) or 0)
    # The API cannot be read: the phones are taken to be in the last state a run applied to them.
    site['in_wanted_state'] = site.get('state_wanted') is not None and site.get('state_wanted') == site.get('last_state_applied')
    return site


def merge(previous, document, configured=None):
    """``document`` (this run's, made with nothing known before) with what ``previous`` knew: its sites of this run carry
    their history over, and its other sites stay, as left out of the last run, while ``configured`` (names of the sites
    still configured; None keeps all) names them."""
    if not isinstance(document, Mapping) or document.get('format') != FORMAT or not isinstance(document.get('sites'), list):
        raise StatusError('the run must be a status document of format %d (the office_hours_status filter returns one)' % FORMAT)
    earlier = previous_sites(previous)
    entries = [carry(site, earlier.get(site.get('name'), {})) for site in document['sites'] if isinstance(site, Mapping) and site.get('in_last_run')]
    ran = set(site['name'] for site in entries)
    kept = set(configured) if configured is not None else None
    for name, site in earlier.items():
        if name not in ran and (kept is None or name in kept):
            entries.append(dict(site, in_last_run=False))
    merged = dict(document)
    merged['sites'] = entries
    merged['succeeded'] = all(site.get('succeeded') for site in entries if site.get('in_last_run'))
    return merged


# --- Prometheus text format (https://prometheus.io/docs/instrumenting/exposition_formats/) ---------------------------

def _label_value(value):
    return str(value).replace('\\', '\\\\').replace('\n', '\\n').replace('"', '\\"')


def _number(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, float) and not math.isfinite(value):
        return '+Inf' if value > 0 else ('-Inf' if value < 0 else 'NaN')
    return repr(value) if isinstance(value, float) else str(value)


def _seconds(value):
    """Unix seconds of an ISO 8601 instant with an offset or Z; None for anything else (no offset: no instant)."""
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value[:-1] + '+00:00' if value.endswith(('Z', 'z')) else value)
    except ValueError:
        return None
    return int(instant.timestamp()) if instant.tzinfo is not None and instant.utcoffset() is not None else None


def _states(value):
    return [({'state': state}, state == value) for state in STATES]


def _holds(holds):
    return [({'state': state}, sum(1 for hold in holds if isinstance(hold, Mapping) and hold.get('state') == state)) for state in STATES]


def _one(value):
    return [({}, value)] if value is not None else []


# (name, type, help, samples of one site: [(extra labels, value)]); a sample with no value is left out.
METRICS = (
    ('last_run_timestamp_seconds', 'gauge', 'When the last role run that included the site judged its calendar (Unix time).',
     lambda site: _one(_seconds(site.get('last_run')))),
    ('last_success_timestamp_seconds', 'gauge',
     'When the last run that applied or rightly skipped the site ran (Unix time); kept from earlier runs when a run fails.',
     lambda site: _one(_seconds(site.get('last_success')))),
    ('last_run_success', 'gauge', '1 when the last run of the site succeeded, 0 when it failed, left it out or withheld it.',
     lambda site: _one(bool(site.get('succeeded')))),
    ('wanted_state', 'gauge', '1 for the state the site\'s calendar (or a hold in force) wanted at the last run, 0 for the other.',
     lambda site: _states(site['state_wanted']) if site.get('state_wanted') in STATES else []),
    ('applied_state', 'gauge', '1 for the last state a run applied to the site\'s phones, 0 for the other; none before the first.',
     lambda site: _states(site['last_state_applied']) if site.get('last_state_applied') in STATES else []),
    ('in_wanted_state', 'gauge', '1 when the last state applied is the state wanted at the last run, else 0 (also when unknown).',
     lambda site: _one(bool(site.get('in_wanted_state')))),
    ('last_run_phones_matched', 'gauge', 'Phones the server said matched the site\'s selections in the last run.',
     lambda site: _one(count(site.get('phones_matched')))),
    ('last_run_phones_changed', 'gauge', 'Phones the server said changed state in the last run of the site.',
     lambda site: _one(count(site.get('phones_changed')))),
    ('last_run_errors', 'gauge', 'Errors of the site in its last run (failed requests and problems of the site).',
     lambda site: _one(len(site.get('errors') or []))),
    ('failed_runs_total', 'counter', 'Runs of the site that failed, since the status file was first written.',
     lambda site: _one(count(site.get('failed_runs')) or 0)),
    ('holds_active', 'gauge', 'Holds in force on the site at the last run, by the state they hold.',
     lambda site: _holds(site.get('holds') or [])),
    ('next_transition_timestamp_seconds', 'gauge', 'When the site\'s calendar changes state next, as of the last run (Unix time).',
     lambda site: _one(_seconds(site.get('next_transition')))),
)


def metrics_text(document):
    """The Prometheus text exposition (format 0.0.4) of a status document: every metric, one sample per site and label set."""
    if not isinstance(document, Mapping) or document.get('format') != FORMAT or not isinstance(document.get('sites'), list):
        raise StatusError('the input must be a status document of format %d (the office_hours_status filter returns one)' % FORMAT)
    server = str(document.get('server'))
    lines = []
    for name, kind, text, samples in METRICS:
        lines += ['# HELP %s%s %s' % (PREFIX, name, text.replace('\\', '\\\\')), '# TYPE %s%s %s' % (PREFIX, name, kind)]
        for site in document['sites']:
            if not isinstance(site, Mapping):
                continue
            for extra, value in samples(site):
                labels = dict({'server': server, 'site': site.get('name')}, **extra)
                lines.append('%s%s{%s} %s' % (PREFIX, name, ','.join('%s="%s"' % (key, _label_value(item)) for key, item in labels.items()),
                                              _number(value)))
    return '\n'.join(lines) + '\n'
