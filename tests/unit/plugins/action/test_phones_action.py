# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The phones action plugin: a filter given as null stops the task before the module runs; anything else runs it."""

from __future__ import annotations

from unittest import mock

import pytest
from ansible.playbook.task import Task

from ansible_collections.imagicle.phonelock.plugins.action.phones import ActionModule


def action_for(args):
    task = Task()
    task.args = args
    connection = mock.MagicMock(has_native_async=False)
    connection._shell.tmpdir = None  # pylint: disable=protected-access
    return ActionModule(task, connection, mock.MagicMock(check_mode=False), loader=None, templar=None, shared_loader_obj=None)


@pytest.mark.parametrize('args', [
    dict(state='locked', department=None, custom_field1='Milano'),
    dict(state='locked', selections=[dict(custom_field1='Milano'), dict(customField1='Roma', department=None)]),
    dict(state='locked', selections=[dict(label='roma', customField1='Roma', department=None)]),
])
def test_a_null_filter_never_reaches_the_module(args):
    action = action_for(args)
    with mock.patch.object(ActionModule, '_execute_module') as execute:
        result = action.run(task_vars={})
    execute.assert_not_called()
    assert result['failed'] is True and result['changed'] is False
    assert 'is null: a filter that is given must have a value.' in result['msg']


@pytest.mark.parametrize('args', [
    dict(state='locked', custom_field1='Milano'),
    # A label is never sent, so a null one widens nothing: the module treats it as no label.
    dict(state='locked', selections=[dict(label=None, custom_field1='Milano'), dict(label='roma', custom_field1='Roma')]),
])
def test_other_arguments_run_the_module(args):
    action = action_for(args)
    with mock.patch.object(ActionModule, '_execute_module', return_value=dict(changed=True, state='locked')) as execute:
        result = action.run(task_vars={})
    execute.assert_called_once()
    assert result['changed'] is True and result['state'] == 'locked'
