# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin of imagicle.phonelock.phones: refuses filters given as null, then runs the module.

A module cannot tell a filter given with a null value (``department: "{{ sales_dept }}"`` with ``sales_dept`` unset)
from a filter not given: both arrive as None. Dropping the null would widen the request (every Milano phone instead of
Milano's Sales phones), so the check is made here, on the task's own arguments, before the module runs.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.imagicle.phonelock.plugins.module_utils.selection import null_filter_problems


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        problems = null_filter_problems(self._task.args)
        if problems:
            result.update(failed=True, changed=False, msg=' '.join(problems), problems=problems)
            return result
        wrap_async = self._task.async_val and not self._connection.has_native_async
        return merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
