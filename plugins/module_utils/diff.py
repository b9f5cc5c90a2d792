# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What ``--diff`` shows: one entry per request, with what the Phone Lock API lets anyone know before and after it.

The API has no call to read a phone's lock state, so "before" is always unknown, and says so. "After" is the state the
request asked for, the request itself (method, path and query, as sent or as it would be sent), and what came of it:
nothing sent (check mode), the server's status and counts, or why it failed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

UNKNOWN = 'state unknown (the Phone Lock API cannot be read)'
_VERBS = {'locked': 'lock', 'unlocked': 'unlock'}


def request_diffs(state, outcomes, names, check_mode, mask):
    """The result's ``diff``: a list with one before/after entry per outcome, which Ansible shows one after the other.

    ``names`` names each request in the entry's headers (``selections[0] (milano)``); None names it by the phones it acts
    on (the top-level filters). ``mask`` hides the credentials in a text, in every spelling, as in the messages: a filter
    value or a server's reply may hold the password.
    """
    return [_request_diff(state, outcome, name, check_mode, mask) for outcome, name in zip(outcomes, names)]


def label_groups(labels):
    """The selections' indexes, grouped: consecutive selections with the same label (the role's: one site's selections)
    make one group, each selection without a label its own."""
    groups = []
    for index, label in enumerate(labels):
        if groups and label is not None and labels[groups[-1][-1]] == label:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def merged_diff(diffs, indexes):
    """One entry for a group of selections: their lines one after the other, under ``selections[1], selections[2] (label)``."""
    if len(indexes) == 1:
        return diffs[indexes[0]]
    first = 'selections[%d]' % indexes[0]
    # The headers are 'selections[N] (label)', the label masked already: keep the first one's label part.
    header = ', '.join('selections[%d]' % index for index in indexes) + diffs[indexes[0]]['before_header'][len(first):]
    return dict(before_header=header, after_header=header, before=''.join(diffs[index]['before'] for index in indexes),
                after=''.join(diffs[index]['after'] for index in indexes))


def _request_diff(state, outcome, name, check_mode, mask):
    # Masked piece by piece, where a secret can be (a filter value, the query, a label), never the diff's own words;
    # the failure message in it is masked already.
    phones = mask(_phones(outcome['filters']))
    request = mask(_request(outcome))
    before = '%s: %s\n' % (phones, UNKNOWN)
    if check_mode:
        lines = ['%s: %s' % (phones, state), request, 'not sent: check mode']
    else:
        lines = [_after_state(phones, state, outcome), request] + _what_came(outcome)
    after = ''.join(line + '\n' for line in lines)
    header = phones if name is None else mask(name)
    return dict(before_header=header, after_header=header, before=before, after=after)


def _phones(filters):
    """The phones a request acts on, as the server chooses them: the filters joined with AND, by their API names."""
    if not filters:
        return 'every phone the user can see'
    return 'phones matching ' + ', '.join('%s=%s' % item for item in filters.items())


def _request(outcome):
    """The request line: method, path and query (the server's address is the task's url)."""
    parts = urlsplit(outcome['request_url'])
    return 'request: PUT %s%s' % (parts.path, '?' + parts.query if parts.query else '')


def _after_state(phones, state, outcome):
    if not outcome['failed']:
        return '%s: %s' % (phones, state)
    what = 'was not sent' if outcome.get('attempts') == 0 else 'failed'
    return '%s: state unknown, the request to %s them %s' % (phones, _VERBS[state], what)


def _what_came(outcome):
    """The outcome's lines: the answer, the server's counts when its reply gave them, and the failure."""
    lines = []
    if outcome.get('status') is not None:
        attempts = outcome.get('attempts') or 1
        lines.append('sent: HTTP %d, %d attempt%s' % (outcome['status'], attempts, '' if attempts == 1 else 's'))
    counts = []
    if 'phones_matched' in outcome:
        counts.append('%d phones matched' % outcome['phones_matched'])
    if 'phones_changed' in outcome:
        counts.append('%d changed' % outcome['phones_changed'])
    if counts:
        lines.append('server: ' + ', '.join(counts))
    elif not outcome['failed']:
        lines.append('server: no counts in the reply, so whether any phone changed is unknown')
    if outcome['failed']:
        lines.append('failed: ' + outcome['msg'])
    return lines
