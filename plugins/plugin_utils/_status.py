# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The run's status document, per site, and its Prometheus text for node_exporter's textfile collector.

* The document says what one role run wanted and did at each site, from the plan and the report, and carries over from
  the previous document what one run cannot know alone: the last successful run, the last state applied (the Phone
  Lock API cannot be read back), the count of failed runs, and the sites a limited run left out.
* Whatever reaches it passes a mask of the connection's credentials (url userinfo, username, password, their Basic
  token), in every spelling the phones module's own messages could carry them: monitoring users may read it.
* The metrics are rendered from the document only, so both files always say the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timezone
import math

from ansible_collections.imagicle.phonelock.plugins.module_utils.api import PASSWORD_FRAGMENT, TOKEN_FRAGMENT, basic_token, url_secrets
from ansible_collections.imagicle.phonelock.plugins.module_utils.redact import SecretMasker
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._instant import InstantError, parse_instant

FORMAT = 1
PREFIX = 'imagicle_phonelock_'
STATES = ('locked', 'unlocked')
# A site did what the run asked of it: its request succeeded, or its calendar said to leave it alone.
_SUCCESS = ('applied', 'skipped')


class StatusError(Exception):
    """A value the caller passed cannot make a status document."""


def _utc(value):
    """An ISO 8601 instant with an offset (or Z) as an aware UTC datetime; None stays None."""
    if value is None:
        return None
    try:
        return parse_instant(value, 'instant')
    except InstantError:
        return None


def _iso(instant):
    return instant.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def masker(connection):
    """A SecretMasker for the connection options: url userinfo, username, password and their Basic token."""
    connection = connection if isinstance(connection, Mapping) else {}
    url, username, password = (str(connection.get(key) or '') for key in ('url', 'username', 'password'))
    # The url's user:password first, so that it is masked whole before its password is.
    secrets = [(secret, PASSWORD_FRAGMENT) for secret in url_secrets(url)] + [(password, PASSWORD_FRAGMENT)]
    # The username is masked whole only: its fragments would mask ordinary words of the reasons.
    secrets.append((username, len(username)))
    if username or password:
        secrets.append((basic_token(username, password), TOKEN_FRAGMENT))
    return SecretMasker(secrets)


def _masked(value, mask):
    if isinstance(value, str):
        return mask.mask(value)
    if isinstance(value, Mapping):
        return {key: _masked(item, mask) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(item, mask) for item in value]
    return value


def _previous_sites(previous):
    """{name: entry} of a previous document; anything else (no file, another format, a damaged file) carries nothing."""
    if not isinstance(previous, Mapping) or previous.get('format') != FORMAT or not isinstance(previous.get('sites'), list):
        return {}
    return {entry['name']: entry for entry in previous['sites'] if isinstance(entry, Mapping) and isinstance(entry.get('name'), str)}


def _count(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _site(entry, outcome, before, run_time, check_mode):
    """One site's status from its plan entry and report entry, and what the previous document knew of it."""
    errors = [str(error) for error in outcome.get('errors') or []]
    succeeded = outcome['outcome'] in _SUCCESS and not errors
    applied = entry['action'] if outcome['outcome'] == 'applied' and entry['action'] in STATES and not check_mode else None
    last_state, last_state_at = before.get('last_state_applied'), before.get('last_state_applied_at')
    if applied:
        last_state, last_state_at = applied, run_time
    last_success = before.get('last_success')
    if succeeded and not check_mode:
        last_success = run_time
    failed_runs = _count(before.get('failed_runs')) or 0
    if not succeeded and not check_mode:
        failed_runs += 1
    hold = entry.get('hold')
    return {
        'name': entry['name'],
        'in_last_run': True,
        'last_run': run_time,
        'timezone': entry.get('timezone'),
        'local_time': entry.get('local_label'),
        'requested': entry.get('requested'),
        'state_wanted': entry.get('state'),
        'action': entry['action'],
        'outcome': outcome['outcome'],
        'state_applied': applied,
        'reason': entry.get('why'),
        'phones_matched': _count(outcome.get('phones_matched')),
        'phones_changed': _count(outcome.get('phones_changed')),
        'errors': errors,
        'succeeded': succeeded,
        'holds': [dict(hold)] if isinstance(hold, Mapping) else [],
        'next_transition': entry.get('next_transition'),
        'next_state': entry.get('next_state'),
        'last_success': last_success,
        'last_state_applied': last_state,
        'last_state_applied_at': last_state_at,
        # The API cannot be read: the phones are taken to be in the last state a run applied to them.
        'in_wanted_state': entry.get('state') is not None and entry.get('state') == last_state,
        'failed_runs': failed_runs,
    }


def status_document(report, plan, server, playbook=None, at=None, previous=None, sites=None, connection=None, check_mode=False):
    """The run's status: when, where, and per site what was wanted, what was done, and what is known since earlier runs.

    ``report`` and ``plan`` are the office_hours_report and office_hours_plan lists of this run. ``previous`` is the
    previous document (None when there is none). ``sites`` (the role's office_hours_sites) names the sites still
    configured: the previous document's other sites are carried over, the rest dropped. ``connection`` holds the url,
    username and password to mask.
    """
    if not isinstance(report, (list, tuple)) or not isinstance(plan, (list, tuple)) or len(report) != len(plan):
        raise StatusError('the input must be the office_hours_report list and plan the office_hours_plan list of the same run')
    for index, (entry, outcome) in enumerate(zip(plan, report)):
        if not isinstance(entry, Mapping) or not isinstance(outcome, Mapping) or entry.get('name') != outcome.get('name') \
                or 'action' not in entry or 'outcome' not in outcome:
            raise StatusError('plan[%d] and report[%d] are not the entries of the same site of one run' % (index, index))
    if not isinstance(server, str) or not server:
        raise StatusError('server must name the UCX Suite server (the inventory host), not %r' % (server,))
    # The run's instant is the one the plan judged (office_hours_now, or the time it ran), else now.
    judged = [entry['at'] for entry in plan if entry.get('at')]
    try:
        run_instant = _utc(judged[0]) if judged else parse_instant(at, 'at')
    except InstantError as exc:
        raise StatusError(str(exc)) from None
    run_time = _iso(run_instant)
    earlier = _previous_sites(previous)
    entries = [_site(entry, outcome, earlier.get(entry['name'], {}), run_time, bool(check_mode)) for entry, outcome in zip(plan, report)]
    ran = set(entry['name'] for entry in entries)
    configured = None
    if sites is not None:
        configured = set(site.get('name') for site in sites if isinstance(site, Mapping) and isinstance(site.get('name'), str))
    for name, entry in earlier.items():
        if name not in ran and (configured is None or name in configured):
            entries.append(dict(entry, in_last_run=False))
    document = {
        'format': FORMAT,
        'time': run_time,
        'playbook': playbook,
        'server': server,
        'check_mode': bool(check_mode),
        'succeeded': all(entry['succeeded'] for entry in entries if entry['in_last_run']),
        'sites': entries,
    }
    return _masked(document, masker(connection))


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
    instant = _utc(value)
    return int(instant.timestamp()) if instant else None


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
     lambda site: _one(_count(site.get('phones_matched')))),
    ('last_run_phones_changed', 'gauge', 'Phones the server said changed state in the last run of the site.',
     lambda site: _one(_count(site.get('phones_changed')))),
    ('last_run_errors', 'gauge', 'Errors of the site in its last run (failed requests and problems of the site).',
     lambda site: _one(len(site.get('errors') or []))),
    ('failed_runs_total', 'counter', 'Runs of the site that failed, since the status file was first written.',
     lambda site: _one(_count(site.get('failed_runs')) or 0)),
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
