# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin of imagicle.phonelock.phones: refuses filters given as null, sends nothing more after a 401, runs the module.

A module cannot tell a filter given with a null value (``department: "{{ sales_dept }}"`` with ``sales_dept`` unset)
from a filter not given: both arrive as None. Dropping the null would widen the request (every Milano phone instead of
Milano's Sales phones), so the check is made here, on the task's own arguments, before the module runs.

One run, one wrong password: the module stops sending after an HTTP 401 within one run of it, and this plugin carries
that over to the next items of the same loop (the office_hours role sends all its requests as items of one phones task,
which Ansible runs in one worker process per host). A directory-backed account locks out after a handful of failed
logins, so after a 401 from a server no further item sends anything to it with those credentials.
"""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.imagicle.phonelock.plugins.module_utils.selection import null_filter_problems

# (inventory host, url, username) that got an HTTP 401 in this worker process, that is, in this task's loop on that host.
_REFUSED = set()


def _server(args, task_vars):
    """The server and user the task talks to, as far as the controller can tell (options, else the IMAGICLE_* variables)."""
    return (str((task_vars or {}).get('inventory_hostname')), str(args.get('url') or os.environ.get('IMAGICLE_URL') or ''),
            str(args.get('username') or os.environ.get('IMAGICLE_USERNAME') or ''))


def _got_401(result):
    entries = result.get('results') if isinstance(result.get('results'), list) else [result]
    return any(isinstance(entry, dict) and entry.get('status') == 401 for entry in entries)


def _not_sent(args, server):
    message = ('not sent: a previous request of this run to %s got HTTP 401 for user %r, and every further failed login could '
               'lock the account under a lockout policy. Check username and password.' % (server[1] or 'the server', server[2]))
    selections = args.get('selections')
    result = dict(failed=True, changed=False, msg=message)
    if isinstance(selections, list):
        result['results'] = [dict(failed=True, changed=False, msg=message, attempts=0,
                                  **({'label': item['label']} if isinstance(item, dict) and item.get('label') else {}))
                             for item in selections]
    return result


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        problems = null_filter_problems(self._task.args)
        if problems:
            result.update(failed=True, changed=False, msg=' '.join(problems), problems=problems)
            return result
        server = _server(self._task.args, task_vars)
        if server in _REFUSED:
            return merge_hash(result, _not_sent(self._task.args, server))
        wrap_async = self._task.async_val and not self._connection.has_native_async
        outcome = self._execute_module(task_vars=task_vars, wrap_async=wrap_async)
        if _got_401(outcome):
            _REFUSED.add(server)
        return merge_hash(result, outcome)
