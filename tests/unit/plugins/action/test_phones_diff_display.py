# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How ansible-core's stdout callbacks show the phones module's diff, alone and in a loop (as the office_hours role runs it).

Here rather than beside the module's tests: ansible-test gives module tests no access to ansible.plugins.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from unittest import mock

import pytest
from ansible.plugins.callback import CallbackBase
from ansible.plugins.callback import default as default_callback

from ansible_collections.imagicle.phonelock.plugins.module_utils.diff import request_diffs
from ansible_collections.imagicle.phonelock.plugins.modules import phones

CONN = dict(url='https://ucx.example.com', username='svc', password='S3cret-Passw0rd')
API = 'https://ucx.example.com/fw/Apps/StoneLock/WebAPI/Phones/'
UNKNOWN = 'state unknown (the Phone Lock API cannot be read)'
SITES = [dict(label='milano', custom_field1='Milano'), dict(label='roma', custom_field1='Roma'), dict(department='IT')]


def plain(text):
    return re.sub(r'\x1b\[[0-9;]*m', '', text)


def test_callbacks_render_the_list_one_diff_per_request():
    outcomes = [dict(filters={'customField1': 'Milano'}, request_url=API + 'Unlock?customField1=Milano', changed=True, failed=False,
                     status=200, attempts=1, phones_matched=90, phones_changed=90),
                dict(filters={'customField1': 'Roma'}, request_url=API + 'Unlock?customField1=Roma', changed=False, failed=False,
                     status=200, attempts=1, phones_matched=60, phones_changed=0)]
    diffs = request_diffs('unlocked', outcomes, ['selections[0] (milano)', 'selections[1] (roma)'], False, str)
    # The default callback and the others share CallbackBase._get_diff, which takes a list.
    shown = plain(CallbackBase()._get_diff(diffs))  # pylint: disable=protected-access
    assert shown == (
        '--- before: selections[0] (milano)\n'
        '+++ after: selections[0] (milano)\n'
        '@@ -1 +1,4 @@\n'
        '-phones matching customField1=Milano: %s\n'
        '+phones matching customField1=Milano: unlocked\n'
        '+request: PUT /fw/Apps/StoneLock/WebAPI/Phones/Unlock?customField1=Milano\n'
        '+sent: HTTP 200, 1 attempt\n'
        '+server: 90 phones matched, 90 changed\n'
        '\n'
        '--- before: selections[1] (roma)\n'
        '+++ after: selections[1] (roma)\n'
        '@@ -1 +1,4 @@\n'
        '-phones matching customField1=Roma: %s\n'
        '+phones matching customField1=Roma: unlocked\n'
        '+request: PUT /fw/Apps/StoneLock/WebAPI/Phones/Unlock?customField1=Roma\n'
        '+sent: HTTP 200, 1 attempt\n'
        '+server: 60 phones matched, 0 changed\n'
        '\n' % (UNKNOWN, UNKNOWN))


@pytest.fixture
def run(run_module, monkeypatch):
    for name in ('IMAGICLE_URL', 'IMAGICLE_USERNAME', 'IMAGICLE_PASSWORD'):
        monkeypatch.delenv(name, raising=False)

    def runner(args, check_mode=False):
        return run_module(phones.main, dict(CONN, _ansible_diff=True, **args), check_mode)
    return runner


def shown_by_the_default_callback(result, loop):
    """What ansible-core's default stdout callback prints for a task's result (a loop item's when ``loop``) in diff mode."""
    callback = default_callback.CallbackModule()
    task = SimpleNamespace(loop=['an item'] if loop else None, _uuid='task-uuid')
    callback._last_task_banner = task._uuid  # pylint: disable=protected-access  # no banner: only the diff
    callback._display = mock.MagicMock()  # pylint: disable=protected-access
    # What the callback is given: a TaskResult (_task, _result) up to ansible-core 2.18, a CallbackTaskResult (task, result) since.
    callback.v2_on_file_diff(SimpleNamespace(_task=task, _result=result, task=task, result=result))
    return plain(''.join(call.args[0] for call in callback._display.display.call_args_list))  # pylint: disable=protected-access


@pytest.mark.parametrize('loop', [False, True])
def test_the_default_callback_shows_one_diff_per_selection(http, run, loop):
    """In a loop the callback reads the entries of an item's results, not the item's diff: each selection carries its own."""
    code, result, dummy = run(dict(state='locked', selections=SITES), check_mode=True)
    assert code == 0
    shown = shown_by_the_default_callback(result, loop)
    headers = ['selections[0] (milano)', 'selections[1] (roma)', 'selections[2]']
    assert re.findall('^--- before: (.*)$', shown, re.M) == headers
    assert re.findall('^[+]{3} after: (.*)$', shown, re.M) == headers
    assert re.findall('^-(phones matching .*)$', shown, re.M) == [
        'phones matching customField1=Milano: ' + UNKNOWN, 'phones matching customField1=Roma: ' + UNKNOWN,
        'phones matching department=IT: ' + UNKNOWN]
    assert shown.count('\n+not sent: check mode\n') == 3


def test_a_loop_item_shows_the_selections_that_changed(http, run):
    http.reply(200, {'matched': 90, 'changed': 90}, url=API + 'Lock?customField1=Milano')
    http.reply(200, {'matched': 13, 'changed': 0}, url=API + 'Lock?customField1=Roma')
    code, result, dummy = run(dict(state='locked', selections=SITES[:2]))
    assert code == 0
    shown = shown_by_the_default_callback(result, loop=True)
    assert re.findall('^--- before: (.*)$', shown, re.M) == ['selections[0] (milano)']
    assert '\n+server: 90 phones matched, 90 changed\n' in shown
