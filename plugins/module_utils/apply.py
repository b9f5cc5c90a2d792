# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Applying a lock or unlock to selections, and what the server's reply means for ``changed``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.imagicle.phonelock.plugins.module_utils.api import PhoneLockError
from ansible_collections.imagicle.phonelock.plugins.module_utils.selection import api_filters, encode_query


def _count(body, key):
    # bool is an int in Python; a JSON true is not a count.
    value = body.get(key) if body else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _no_match_message(action, filters, mask):
    what = mask(', '.join('%s=%s' % item for item in filters.items())) or 'every phone'
    return ('the server matched 0 phones for %s, so no phone was %s. Check the values: one may match no user (a typo, or a '
            'value of another site), and a Phone Lock "Manage Department User" account sees only its own department\'s users.'
            % (what, 'locked' if action == 'Lock' else 'unlocked'))


def apply_selection(client, action, selection, check_mode, fail_on_no_match=False):
    """Send one request for an already validated selection; return its outcome as a result dict.

    Never raises: whatever goes wrong becomes this selection's failure, so the other selections are still reported.
    A reply that says 0 phones matched gives the outcome a ``warning`` (or fails it, with ``fail_on_no_match``).
    An unlock with ``keep_locked`` is followed at once by those locks, and undone when one of them fails (_keep_locked).
    """
    outcome = _masked(client, _apply(client, action, selection, check_mode, fail_on_no_match))
    if selection.get('keep_locked') and action == 'Unlock':
        _keep_locked(client, selection, outcome, check_mode)
    return outcome


def _keep_locked(client, selection, outcome, check_mode):
    """Fail closed around a held site nested in an unlocked one: lock each kept selection right after the unlock (also
    after a failed unlock, which may have unlocked some phones); if one still fails, lock the whole selection again."""
    outcome['relocked'] = False
    if outcome['failed'] and 400 <= outcome.get('status', 0) < 500:
        # The server refused the unlock (a wrong password, no permission): it unlocked nothing, so nothing to keep.
        outcome['keep_locked'] = []
        return
    kept = [_masked(client, _apply(client, 'Lock', item, check_mode, False)) for item in selection['keep_locked']]
    outcome['keep_locked'] = kept
    failed = [item for item in kept if item['failed']]
    if not failed or check_mode:
        return
    again = _masked(client, _apply(client, 'Lock', dict(selection, label=None), check_mode, False))
    outcome['relocked'] = True
    held = '; '.join('%s: %s' % (item['label'], item['msg']) if item.get('label') else item['msg'] for item in failed)
    if again['failed']:
        verdict = ('and locking this selection again failed too (%s): ITS PHONES MAY BE UNLOCKED, held ones included. Lock them '
                   'by hand now' % again['msg'])
    else:
        verdict = 'so this selection was locked again (%s): its held phones stay locked, and so do the others' % again['request_url']
    outcome.update(changed=True, failed=True, msg='PUT %s was sent, but a held selection inside it could not be locked again (%s), %s.'
                   % (outcome['request_url'], held, verdict))


def _masked(client, outcome):
    # A filter value may hold the password (a slip, or a probe): the URL carries it percent-encoded, which Ansible's own
    # masking of results does not recognise. Only the URL is masked: the messages' own words must stay readable (a
    # fragment of the password may well be a word such as 'password'), and the server's text in them is masked already.
    url = outcome['request_url']
    shown = client.redact(url)
    if shown != url:
        outcome['request_url'] = shown
        for key in ('msg', 'warning'):
            if key in outcome:
                outcome[key] = outcome[key].replace(url, shown)
    return outcome


def _apply(client, action, selection, check_mode, fail_on_no_match):
    # A label only names the selection in the results, the diff and the messages: it is never sent.
    outcome = dict(label=selection['label']) if selection.get('label') is not None else {}
    outcome.update(filters=api_filters(selection), request_url=client.url_for(action, encode_query(selection)))
    if check_mode:
        # The API cannot be read, so any request would (as far as we can know) change something.
        outcome.update(changed=True, failed=False)
        return outcome
    try:
        status, body, attempts = client.put(outcome['request_url'])
    except PhoneLockError as exc:
        outcome.update(changed=False, failed=True, msg=str(exc), attempts=exc.attempts)
        if exc.status is not None:
            outcome['status'] = exc.status
        return outcome
    except Exception as exc:  # pylint: disable=broad-except  # one selection's bug must not lose the others' results
        outcome.update(changed=False, failed=True,
                       msg='PUT %s failed: unexpected %s: %s. Whether the server applied it is unknown; please report this '
                           'as a bug of imagicle.phonelock.' % (outcome['request_url'], type(exc).__name__, client.mask(str(exc))))
        return outcome
    outcome.update(status=status, attempts=attempts, failed=False)
    matched, changed = _count(body, 'matched'), _count(body, 'changed')
    if matched is not None:
        outcome['phones_matched'] = matched
    if changed is not None:
        outcome['phones_changed'] = changed
    # Without a count the reply cannot tell us, so a successful request is reported as a change.
    outcome['changed'] = changed > 0 if changed is not None else True
    if matched == 0:
        message = _no_match_message(action, outcome['filters'], client.redact)
        if fail_on_no_match:
            outcome.update(failed=True, msg='PUT %s: %s (fail_on_no_match is true)' % (outcome['request_url'], message))
        else:
            outcome['warning'] = message
    return outcome


def apply_selections(client, action, selections, check_mode, concurrency, fail_on_no_match=False):
    """Apply every selection, at most ``concurrency`` requests in flight at once; outcomes in the order of ``selections``.

    Each selection gets exactly what apply_selection gives it (its own retries, its own outcome), so one failure
    never stops the others. The client must allow ``concurrency`` simultaneous calls (PhoneLockClient's connections).
    An unlock with ``keep_locked`` goes first, alone: nothing else is in flight between it and its held locks.
    """
    def apply(selection):
        return apply_selection(client, action, selection, check_mode, fail_on_no_match)

    outcomes = [None] * len(selections)
    guarded = [index for index, selection in enumerate(selections) if action == 'Unlock' and selection.get('keep_locked')]
    for index in guarded:
        outcomes[index] = apply(selections[index])
    rest = [index for index in range(len(selections)) if index not in guarded]
    workers = min(concurrency, len(rest))
    if check_mode or workers <= 1:
        # Nothing to overlap: no thread at all.
        done = [apply(selections[index]) for index in rest]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            # map() hands the selections out in order and yields the outcomes in that order, whatever finishes first.
            done = list(pool.map(lambda index: apply(selections[index]), rest))
    for index, outcome in zip(rest, done):
        outcomes[index] = outcome
    return outcomes
