# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The status_file module: the merge with the previous file, under a lock that concurrent runs of one server share.

Here, not under modules/: it builds its documents with the controller-side filters, which ansible-test keeps out of
the modules context."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import subprocess
import sys
from unittest import mock

from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.imagicle.phonelock.plugins.modules import status_file
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._plan import plan as make_plan
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._status import status_document
from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_report import office_hours_report

AT = '2026-11-23T19:05:00+01:00'


def _site(name):
    return {'name': name, 'timezone': 'Europe/Rome', 'selections': [{'custom_field1': name}]}


def run_document(names, at=AT, fail=False, configured=None):
    """A run's document as the role makes it (no previous file): each named site locked, or its request failed."""
    sites = [_site(name) for name in names]
    plan = make_plan(sites, 'locked', at, False, None, None)
    outcome = 'HTTP Error 503: Service Unavailable' if fail else [{'phones_matched': 3, 'phones_changed': 2, 'attempts': 1}] * len(names)
    applied = {'results': [dict({'item': {'state': 'locked', 'sites': list(names)}},
                                **({'failed': True, 'msg': outcome} if fail else {'results': outcome}))]}
    report = office_hours_report(plan, applied=applied)
    return status_document(report, plan, 'ucx-emea', at=at, sites=[_site(name) for name in (configured or names)])


def test_a_run_merges_into_the_previous_file_site_by_site(tmp_path, run_module):
    path, metrics = tmp_path / 'ucx-emea.json', tmp_path / 'ucx-emea.prom'
    args = {'path': str(path), 'metrics_path': str(metrics), 'sites': ['milano', 'roma']}
    code, first, dummy = run_module(status_file.main, dict(args, run=run_document(['milano', 'roma'])))
    assert code == 0 and first['changed'] is True
    # An hour later milano fails: its last success stays the first run's, its failed runs count 1; roma is kept.
    code, second, dummy = run_module(status_file.main, dict(args, run=run_document(['milano'], at='2026-11-23T20:05:00+01:00', fail=True)))
    assert code == 0
    written = json.loads(path.read_text(encoding='utf-8'))
    assert written == second['status']
    sites = {site['name']: site for site in written['sites']}
    assert sites['milano']['in_last_run'] is True and sites['milano']['succeeded'] is False
    assert sites['milano']['last_success'] == '2026-11-23T18:05:00Z'
    assert sites['milano']['last_run'] == '2026-11-23T19:05:00Z'
    assert sites['milano']['failed_runs'] == 1
    assert (sites['milano']['last_state_applied'], sites['milano']['in_wanted_state']) == ('locked', True)
    assert sites['roma']['in_last_run'] is False and sites['roma']['last_success'] == '2026-11-23T18:05:00Z'
    assert written['succeeded'] is False
    samples = {(sample.name, sample.labels['site']): sample.value
               for family in text_string_to_metric_families(metrics.read_text(encoding='utf-8')) for sample in family.samples
               if 'state' not in sample.labels}
    assert samples[('imagicle_phonelock_failed_runs_total', 'milano')] == 1
    assert samples[('imagicle_phonelock_last_success_timestamp_seconds', 'milano')] == 1795457100
    assert samples[('imagicle_phonelock_last_run_success', 'roma')] == 1
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644 and stat.S_IMODE(os.stat(metrics).st_mode) == 0o644
    # Nothing but the two files and the lock: no temporary file left behind.
    assert sorted(os.listdir(tmp_path)) == ['.ucx-emea.json.lock', 'ucx-emea.json', 'ucx-emea.prom']


def test_a_site_no_longer_configured_is_dropped(tmp_path, run_module):
    path = tmp_path / 'status.json'
    run_module(status_file.main, {'path': str(path), 'run': run_document(['milano', 'roma'])})
    code, result, dummy = run_module(status_file.main, {'path': str(path), 'run': run_document(['milano']), 'sites': ['milano']})
    assert code == 0
    assert [site['name'] for site in result['status']['sites']] == ['milano']


def test_check_mode_writes_nothing(tmp_path, run_module):
    path = tmp_path / 'status.json'
    code, result, dummy = run_module(status_file.main, {'path': str(path), 'run': run_document(['milano'])}, check_mode=True)
    assert code == 0 and result['changed'] is True
    assert not path.exists()


def test_a_damaged_previous_file_warns_and_carries_nothing(tmp_path, run_module):
    path = tmp_path / 'status.json'
    path.write_text('{"format": 1, "sites": [', encoding='utf-8')
    # Spied on: ansible-core 2.19 and later may send a module's warnings to the controller's display, not the result.
    with mock.patch.object(status_file.AnsibleModule, 'warn', autospec=True) as warn:
        code, result, dummy = run_module(status_file.main, {'path': str(path), 'run': run_document(['milano'])})
    assert code == 0
    warned = [call.args[1] for call in warn.call_args_list]
    assert len(warned) == 1 and warned[0].startswith('path %s is not JSON (' % path)
    assert warned[0].endswith('so nothing is carried over from it: the last successful runs and the failed runs start again')
    assert [site['name'] for site in result['status']['sites']] == ['milano']


def test_bad_arguments_name_the_option(tmp_path, run_module):
    path = tmp_path / 'status.json'
    code, result, dummy = run_module(status_file.main, {'path': str(path), 'metrics_path': str(path), 'run': run_document(['milano'])})
    assert (code, result['msg']) == (1, 'path and metrics_path are the same file (%s): give each its own' % path)
    missing = tmp_path / 'no' / 'status.json'
    code, result, dummy = run_module(status_file.main, {'path': str(missing), 'run': run_document(['milano'])})
    assert (code, result['msg']) == (1, 'path %s: its folder %s does not exist; create it (the timers entry point creates its own)'
                                     % (missing, missing.parent))
    code, result, dummy = run_module(status_file.main, {'path': str(path), 'run': {'sites': []}})
    assert (code, result['msg']) == (1, 'run: the run must be a status document of format 1 (the office_hours_status filter returns one)')
    assert not path.exists()


_WRITER = r'''
import json, sys
from ansible_collections.imagicle.phonelock.plugins.modules import status_file
sys.argv = ['status_file', sys.argv[1]]
status_file.main()
'''


def _write_one(args):
    """One run of the module in a process of its own, as one ansible-playbook run of one site would."""
    folder, name = args
    args_file = os.path.join(folder, '%s.args' % name)
    with open(args_file, 'w', encoding='utf-8') as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': {'path': os.path.join(folder, 'status', 'ucx-emea.json'), 'run': run_document([name])}}, handle)
    return subprocess.run([sys.executable, '-c', _WRITER, args_file], capture_output=True, text=True, check=False,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))).returncode


def test_concurrent_runs_of_one_server_keep_every_site(tmp_path):
    # Twelve sites open at 08:00: twelve services run at once, each for its own site, each merging into the one file.
    (tmp_path / 'status').mkdir()
    names = ['site%02d' % index for index in range(12)]
    with multiprocessing.get_context('spawn').Pool(12) as pool:
        codes = pool.map(_write_one, [(str(tmp_path), name) for name in names])
    assert codes == [0] * 12
    written = json.loads((tmp_path / 'status' / 'ucx-emea.json').read_text(encoding='utf-8'))
    assert sorted(site['name'] for site in written['sites']) == names
    assert sum(1 for site in written['sites'] if site['in_last_run']) == 1
    assert all(site['last_success'] == '2026-11-23T18:05:00Z' for site in written['sites'])
