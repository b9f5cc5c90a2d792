# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The run's status document, per site, and its Prometheus text for node_exporter's textfile collector.

* The document says what one role run wanted and did at each site, from the plan and the report, and carries over from
  the previous document what one run cannot know alone: the last successful run, the last state applied (the Phone
  Lock API cannot be read back), the count of failed runs, and the sites a limited run left out. That carrying over
  lives in module_utils/status.py, which the status_file module also runs, under a lock, on the file itself.
* Whatever reaches it passes a mask of the connection's credentials (url userinfo, username, password, their Basic
  token), in every spelling the phones module's own messages could carry them: monitoring users may read it.
* The metrics are rendered from the document only, so both files always say the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timezone

from ansible_collections.imagicle.phonelock.plugins.module_utils.api import PASSWORD_FRAGMENT, TOKEN_FRAGMENT, basic_token, url_secrets
from ansible_collections.imagicle.phonelock.plugins.module_utils.redact import SecretMasker
from ansible_collections.imagicle.phonelock.plugins.module_utils.status import FORMAT, STATES, StatusError, count, merge, metrics_text
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._instant import InstantError, parse_instant

__all__ = ['FORMAT', 'StatusError', 'masker', 'metrics_text', 'status_document']

# A site did what the run asked of it: its request succeeded, or its calendar said to leave it alone.
_SUCCESS = ('applied', 'skipped')


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


def _site(entry, outcome, run_time, check_mode):
    """One site's status in this run alone, from its plan entry and report entry (module_utils.status.carry adds what
    earlier runs knew)."""
    errors = [str(error) for error in outcome.get('errors') or []]
    succeeded = outcome['outcome'] in _SUCCESS and not errors
    applied = entry['action'] if outcome['outcome'] == 'applied' and entry['action'] in STATES and not check_mode else None
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
        'phones_matched': count(outcome.get('phones_matched')),
        'phones_changed': count(outcome.get('phones_changed')),
        'errors': errors,
        'succeeded': succeeded,
        'holds': [dict(hold)] if isinstance(hold, Mapping) else [],
        'next_transition': entry.get('next_transition'),
        'next_state': entry.get('next_state'),
        'last_success': run_time if succeeded and not check_mode else None,
        'last_state_applied': applied,
        'last_state_applied_at': run_time if applied else None,
        'in_wanted_state': False,
        'failed_runs': 0 if succeeded or check_mode else 1,
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
    configured = None
    if sites is not None:
        configured = [site.get('name') for site in sites if isinstance(site, Mapping) and isinstance(site.get('name'), str)]
    document = {
        'format': FORMAT,
        'time': run_time,
        'playbook': playbook,
        'server': server,
        'check_mode': bool(check_mode),
        'succeeded': True,
        'sites': [_site(entry, outcome, run_time, bool(check_mode)) for entry, outcome in zip(plan, report)],
    }
    return _masked(merge(previous, document, configured), masker(connection))
