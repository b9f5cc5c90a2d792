# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What --diff shows for each request."""

from __future__ import annotations

import pytest

from ansible_collections.imagicle.phonelock.plugins.module_utils.diff import request_diffs
from ansible_collections.imagicle.phonelock.plugins.module_utils.redact import SecretMasker

URL = 'https://ucx.example.com/ucx/fw/Apps/StoneLock/WebAPI/Phones/'
UNKNOWN = 'state unknown (the Phone Lock API cannot be read)'


def keep(text):
    return text


def outcome(**fields):
    base = dict(filters={'customField1': 'Milano'}, request_url=URL + 'Lock?customField1=Milano', changed=True, failed=False)
    base.update(fields)
    return base


def test_check_mode_says_before_is_unknown_and_nothing_was_sent():
    diffs = request_diffs('locked', [outcome(), outcome(filters={}, request_url=URL + 'Lock')],
                          ['selections[0] (milano)', 'selections[1]'], True, keep)
    assert diffs == [
        dict(before_header='selections[0] (milano)', after_header='selections[0] (milano)',
             before='phones matching customField1=Milano: %s\n' % UNKNOWN,
             after='phones matching customField1=Milano: locked\n'
                   'request: PUT /ucx/fw/Apps/StoneLock/WebAPI/Phones/Lock?customField1=Milano\n'
                   'not sent: check mode\n'),
        dict(before_header='selections[1]', after_header='selections[1]',
             before='every phone the user can see: %s\n' % UNKNOWN,
             after='every phone the user can see: locked\n'
                   'request: PUT /ucx/fw/Apps/StoneLock/WebAPI/Phones/Lock\n'
                   'not sent: check mode\n'),
    ]


def test_top_level_filters_name_their_own_request():
    diff, = request_diffs('unlocked', [outcome(filters={'department': 'R&D', 'customField4': 'Reception'},
                                               request_url=URL + 'Unlock?department=R%26D&customField4=Reception')],
                          [None], True, keep)
    assert diff['before_header'] == diff['after_header'] == 'phones matching department=R&D, customField4=Reception'
    assert diff['after'].splitlines()[:2] == ['phones matching department=R&D, customField4=Reception: unlocked',
                                              'request: PUT /ucx/fw/Apps/StoneLock/WebAPI/Phones/Unlock?department=R%26D&customField4=Reception']


@pytest.mark.parametrize('fields, lines', [
    (dict(status=200, attempts=1, phones_matched=90, phones_changed=88),
     ['phones matching customField1=Milano: locked', 'sent: HTTP 200, 1 attempt', 'server: 90 phones matched, 88 changed']),
    (dict(status=204, attempts=3),
     ['phones matching customField1=Milano: locked', 'sent: HTTP 204, 3 attempts',
      'server: no counts in the reply, so whether any phone changed is unknown']),
    (dict(status=200, attempts=1, phones_changed=0, changed=False),
     ['phones matching customField1=Milano: locked', 'sent: HTTP 200, 1 attempt', 'server: 0 changed']),
    (dict(status=503, attempts=4, failed=True, changed=False, msg='PUT ... failed: HTTP 503 Service Unavailable'),
     ['phones matching customField1=Milano: state unknown, the request to lock them failed', 'sent: HTTP 503, 4 attempts',
      'failed: PUT ... failed: HTTP 503 Service Unavailable']),
    (dict(attempts=2, failed=True, changed=False, msg='PUT ... failed after 2 attempt(s): cannot reach the server'),
     ['phones matching customField1=Milano: state unknown, the request to lock them failed',
      'failed: PUT ... failed after 2 attempt(s): cannot reach the server']),
    (dict(attempts=0, failed=True, changed=False, msg='PUT ... not sent: the server refused the credentials'),
     ['phones matching customField1=Milano: state unknown, the request to lock them was not sent',
      'failed: PUT ... not sent: the server refused the credentials']),
    (dict(status=200, attempts=1, phones_matched=0, phones_changed=0, failed=True, changed=False, msg='PUT ...: 0 matched'),
     ['phones matching customField1=Milano: state unknown, the request to lock them failed', 'sent: HTTP 200, 1 attempt',
      'server: 0 phones matched, 0 changed', 'failed: PUT ...: 0 matched']),
])
def test_after_a_real_run_the_outcome_and_the_counts(fields, lines):
    diff, = request_diffs('locked', [outcome(**fields)], ['selections[3] (milano)'], False, keep)
    assert diff['before'] == 'phones matching customField1=Milano: %s\n' % UNKNOWN
    after = diff['after'].splitlines()
    assert after.pop(1) == 'request: PUT /ucx/fw/Apps/StoneLock/WebAPI/Phones/Lock?customField1=Milano'
    assert after == lines
    assert diff['after'].endswith('\n')


def test_every_text_that_can_hold_a_secret_goes_through_the_mask():
    password = 'Pässwörd:€42'
    masker = SecretMasker([(password, 8)])
    # The outcome's msg comes masked already (server text by the client, the URL by apply_selection).
    diff, = request_diffs('locked', [outcome(filters={'department': password}, request_url=URL + 'Lock?department=P%C3%A4ssw%C3%B6rd%3A%E2%82%AC42',
                                             status=500, attempts=1, failed=True, msg='server said ********')],
                          ['selections[0] (%s)' % password[:8]], False, masker.mask)
    text = repr(diff)
    for spelling in (password, 'P%C3%A4ssw%C3%B6rd', password[:8]):
        assert spelling not in text
    assert diff['before_header'] == 'selections[0] (********)'
    assert 'request: PUT /ucx/fw/Apps/StoneLock/WebAPI/Phones/Lock?department=********\n' in diff['after']


def test_the_diff_s_own_words_are_never_masked():
    # A password that holds one of the diff's words (8+ characters of it): only the filters, the query and the labels
    # are masked, so the diff stays readable.
    masker = SecretMasker([('my-state unknown (the Phone', 8)])
    diff, = request_diffs('locked', [outcome(status=401, attempts=1, failed=True, msg='Check username and password.')],
                          ['selections[0] (milano)'], False, masker.mask)
    assert diff['before'] == 'phones matching customField1=Milano: %s\n' % UNKNOWN
    assert diff['after'].splitlines()[0] == 'phones matching customField1=Milano: state unknown, the request to lock them failed'
    assert diff['after'].splitlines()[-1] == 'failed: Check username and password.'
