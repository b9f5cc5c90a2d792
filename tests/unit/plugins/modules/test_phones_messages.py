# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The phones module's warning for an http:// url, and its messages for IMAGICLE_* variables that are wrong."""

from __future__ import annotations

import sys
from unittest import mock

from ansible.module_utils.common import warnings as ansible_warnings
import pytest

from ansible_collections.imagicle.phonelock.plugins.modules import phones

PASSWORD = 'Cl3ar-Text-Passw0rd'
HTTP_WARNING = ('url http://ucx.example.com:8080/ucx is plain HTTP: every request carries the username and password to '
                'ucx.example.com:8080 unencrypted (HTTP Basic only encodes them), readable by anyone on the network path and by any '
                'proxy. Use an https:// url (with ca_path for an internal CA). No option turns this warning off.')
VARIABLES = ('IMAGICLE_URL', 'IMAGICLE_USERNAME', 'IMAGICLE_PASSWORD', 'IMAGICLE_VALIDATE_CERTS')


@pytest.fixture
def run(run_module, monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def runner(args, check_mode=False):
        # A module's warnings are process-wide: those of the runs of earlier tests must not count.
        ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access
        # Spied on as well as read from result['warnings']: ansible-core 2.19 and later merge equal warnings of one module
        # run, so only the spy can count the calls.
        with mock.patch.object(phones.AnsibleModule, 'warn', autospec=True, side_effect=phones.AnsibleModule.warn) as warn:
            code, result, raw = run_module(phones.main, dict(state='locked', **args), check_mode)
        return code, result, raw, [call.args[1] for call in warn.call_args_list]
    return runner


def shown_warnings(result):
    """The texts of result['warnings']: strings up to ansible-core 2.18, WarningSummary dictionaries since 2.19."""
    return [entry if isinstance(entry, str) else entry['event']['msg'] for entry in result.get('warnings', [])]


def expected_in_result(warnings):
    """What result['warnings'] holds: ansible-core 2.19 and later send a module's warnings to the controller's display instead,
    in a process that has imported the controller (as a test of the action plugin before this one does)."""
    return [] if getattr(sys.modules.get('ansible.module_utils._internal'), 'is_controller', False) else warnings


@pytest.mark.parametrize('check_mode', [False, True])
def test_an_http_url_warns_once_per_task_whatever_the_selections(http, run, check_mode):
    if not check_mode:
        for dummy in range(3):
            http.reply(200, {'matched': 2, 'changed': 2})
    code, result, raw, warned = run(dict(url='http://ucx.example.com:8080/ucx/', username='svc', password=PASSWORD, concurrency=1,
                                         selections=[dict(department='A'), dict(department='B'), dict(custom_field1='Roma')]),
                                    check_mode)
    assert code == 0
    assert len(http.sent) == (0 if check_mode else 3)
    assert warned == [HTTP_WARNING]
    assert shown_warnings(result) == expected_in_result([HTTP_WARNING])
    assert PASSWORD not in raw


def test_an_https_url_and_one_from_the_environment(http, run, monkeypatch):
    http.reply(200, {'matched': 1, 'changed': 1}).reply(200, {'matched': 1, 'changed': 1})
    code, result, dummy, warned = run(dict(url='https://ucx.example.com', username='svc', password=PASSWORD, department='A'))
    assert (code, warned, shown_warnings(result)) == (0, [], [])
    monkeypatch.setenv('IMAGICLE_URL', 'http://ucx.example.com:8080/ucx')
    code, result, dummy, warned = run(dict(username='svc', password=PASSWORD, department='A'))
    assert (code, warned, shown_warnings(result)) == (0, [HTTP_WARNING], expected_in_result([HTTP_WARNING]))


BAD_BOOLEAN = ("the IMAGICLE_VALIDATE_CERTS environment variable is 'maybe', not a boolean: it stands in for the validate_certs "
               "option, which the task does not set. Set it to true or false (Ansible also reads yes, on, 1, y, t and no, off, 0, n, "
               "f, in any case), or unset it for the option's default.")


@pytest.mark.parametrize('check_mode', [False, True])
def test_imagicle_validate_certs_that_is_not_a_boolean_is_named(http, run, monkeypatch, check_mode):
    monkeypatch.setenv('IMAGICLE_VALIDATE_CERTS', 'maybe')
    code, result, dummy, dummy2 = run(dict(url='https://ucx.example.com', username='svc', password=PASSWORD, department='A'), check_mode)
    assert code == 1
    assert http.sent == []
    assert result['msg'] == BAD_BOOLEAN
    assert result['problems'] == [BAD_BOOLEAN]


def test_the_validate_certs_option_wins_over_a_bad_variable(http, run, monkeypatch):
    monkeypatch.setenv('IMAGICLE_VALIDATE_CERTS', 'maybe')
    http.reply(200, {'matched': 1, 'changed': 1})
    code, dummy, dummy2, dummy3 = run(dict(url='https://ucx.example.com', username='svc', password=PASSWORD, department='A',
                                           validate_certs=False))
    assert code == 0
    assert http.sent[0]['verify'] is False


def test_a_connection_from_the_environment_that_is_wrong_names_the_variables(http, run, monkeypatch):
    monkeypatch.setenv('IMAGICLE_URL', 'https://ucx.example.com/fw/Apps/StoneLock/WebAPI/Phones')
    monkeypatch.setenv('IMAGICLE_USERNAME', 'corp:svc')
    monkeypatch.setenv('IMAGICLE_PASSWORD', '')
    code, result, dummy, dummy2 = run(dict(department='A'))
    assert code == 1
    assert http.sent == []
    assert result['problems'] == [
        'url must be the UCX Suite base address (like https://ucx.example.com), not the Phone Lock API address: remove '
        '/fw/Apps/StoneLock/... from it; the module adds the API path itself.',
        'url comes from the IMAGICLE_URL environment variable (the task does not set the url option): correct the variable, or set '
        'the option.',
        "username must be a non-empty UCX Suite user name without ':' (HTTP Basic cannot carry it).",
        'username comes from the IMAGICLE_USERNAME environment variable (the task does not set the username option): correct the '
        'variable, or set the option.',
        'password must not be empty.',
        'password comes from the IMAGICLE_PASSWORD environment variable (the task does not set the password option): correct the '
        'variable, or set the option.',
    ]


def test_an_option_is_not_blamed_on_its_variable(http, run, monkeypatch):
    # The empty username is the option's, not IMAGICLE_USERNAME's; the password from the environment is never shown.
    monkeypatch.setenv('IMAGICLE_USERNAME', 'svc')
    monkeypatch.setenv('IMAGICLE_PASSWORD', PASSWORD)
    code, result, raw, dummy = run(dict(url='https://ucx.example.com', username='', department='A'))
    assert code == 1
    assert result['problems'] == ["username must be a non-empty UCX Suite user name without ':' (HTTP Basic cannot carry it)."]
    assert PASSWORD not in raw
