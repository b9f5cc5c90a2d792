# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures that script the HTTP conversation: every request the code sends is recorded, every reply is scripted."""

from __future__ import annotations

from http.client import responses as REASONS
import json
from unittest import mock

import pytest
import requests
from requests.adapters import BaseAdapter


class ScriptedAdapter(BaseAdapter):
    """A transport that records prepared requests and answers from a script, in order."""

    def __init__(self):
        super().__init__()
        self.script = []
        self.sent = []

    def reply(self, status=200, body=None, headers=None):
        """Queue one answer; a dict body is sent as JSON."""
        self.script.append((status, body, headers or {}))
        return self

    def fail(self, exc):
        """Queue a transport error (the request never gets an answer)."""
        self.script.append(exc)
        return self

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        self.sent.append(dict(method=request.method, url=request.url, headers=dict(request.headers), **kwargs))
        assert self.script, 'the code sent more requests than the test scripted: %s %s' % (request.method, request.url)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        status, body, headers = step
        response = requests.Response()
        response.status_code = status
        response.reason = REASONS.get(status, '')
        if isinstance(body, dict):
            body = json.dumps(body)
            headers = dict({'Content-Type': 'application/json'}, **headers)
        response._content = (body or '').encode('utf-8')  # pylint: disable=protected-access
        response.headers.update(headers)
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


@pytest.fixture
def http():
    """Every requests.Session made during the test talks to one ScriptedAdapter; time.sleep only records."""
    adapter = ScriptedAdapter()
    adapter.sleeps = []
    real_session = requests.Session

    def session_factory():
        session = real_session()
        session.mount('http://', adapter)
        session.mount('https://', adapter)
        return session

    with mock.patch.object(requests, 'Session', session_factory), mock.patch('time.sleep', adapter.sleeps.append):
        yield adapter
    assert not adapter.script, 'scripted replies left unused: %r' % (adapter.script,)


def _module_args(args):
    try:  # ansible-core 2.19 and later
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core 2.16 to 2.18
        from ansible.module_utils import basic
        return mock.patch.object(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode('utf-8'))
    return patch_module_args(args)


@pytest.fixture
def run_module(capsys):
    """Run a module's main() with the given arguments; return (exit code, parsed JSON result, raw stdout)."""
    def run(main, args, check_mode=False):
        args = dict(args, _ansible_check_mode=check_mode)
        with _module_args(args), pytest.raises(SystemExit) as exit_info:
            main()
        out = capsys.readouterr().out
        return exit_info.value.code, json.loads(out), out
    return run
