# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures that script the HTTP conversation: every request the code sends is recorded, every reply is scripted."""

from __future__ import annotations

from http.client import responses as REASONS
import io
import json
import threading
import time
from unittest import mock

import pytest
import requests
import requests.adapters
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
import urllib3


# The fixture below replaces time.sleep (the client's backoff); a scripted delay must really pass.
_REAL_SLEEP = time.sleep


class ScriptedAdapter(BaseAdapter):
    """A transport that records prepared requests and answers from a script.

    Answers queued without ``url`` go to requests in the order they arrive; answers queued for a ``url`` go only to
    requests for that URL (in order), which is what a test of concurrent requests needs. Safe for several threads.
    """

    def __init__(self):
        super().__init__()
        self.script = []
        self.routes = {}
        self.sent = []
        self.completed = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def _queue(self, step, url):
        if url:
            self.routes.setdefault(url, []).append(step)
        else:
            self.script.append(step)
        return self

    def reply(self, status=200, body=None, headers=None, url=None, delay=0.0):
        """Queue one answer, given after ``delay`` seconds; a dict body is sent as JSON."""
        return self._queue((status, body, headers or {}, delay), url)

    def fail(self, exc, url=None):
        """Queue a transport error (the request never gets an answer)."""
        return self._queue(exc, url)

    def left(self):
        """The queued answers nobody asked for."""
        return self.script + [step for steps in self.routes.values() for step in steps]

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        with self._lock:
            self.sent.append(dict(method=request.method, url=request.url, headers=dict(request.headers), **kwargs))
            steps = self.routes.get(request.url) or self.script
            assert steps, 'the code sent more requests than the test scripted: %s %s' % (request.method, request.url)
            step = steps.pop(0)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if isinstance(step, Exception):
                raise step
            status, body, headers, delay = step
            if delay:
                _REAL_SLEEP(delay)
            return self._response(request, status, body, headers)
        finally:
            with self._lock:
                self.in_flight -= 1
                self.completed.append(request.url)

    @staticmethod
    def _response(request, status, body, headers):
        """A response whose body is streamed from a real urllib3 response, as the client reads it (``raw``)."""
        if isinstance(body, dict):
            body = json.dumps(body)
            headers = dict({'Content-Type': 'application/json'}, **headers)
        reason = headers.pop('_reason', REASONS.get(status, ''))
        content = body if isinstance(body, bytes) else (body or '').encode('utf-8')
        response = requests.Response()
        response.status_code = status
        response.reason = reason
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(content), headers=headers, status=status, reason=reason,
                                            preload_content=False, decode_content=False)
        response.headers = CaseInsensitiveDict(headers)
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


@pytest.fixture
def http():
    """Every requests.Session made during the test talks to one ScriptedAdapter; time.sleep only records.

    ``http.pools`` records the keyword arguments of every HTTPAdapter the code asked for (its pool size).
    """
    adapter = ScriptedAdapter()
    adapter.sleeps = []
    adapter.pools = []
    real_session = requests.Session

    def session_factory():
        session = real_session()
        session.mount('http://', adapter)
        session.mount('https://', adapter)
        return session

    def adapter_factory(**kwargs):
        adapter.pools.append(kwargs)
        return adapter

    with mock.patch.object(requests, 'Session', session_factory), \
            mock.patch.object(requests.adapters, 'HTTPAdapter', adapter_factory), \
            mock.patch('time.sleep', adapter.sleeps.append):
        yield adapter
    assert not adapter.left(), 'scripted replies left unused: %r' % (adapter.left(),)


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
