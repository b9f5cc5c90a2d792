#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: status_file
short_description: Write a run's status file and Prometheus metrics, merged with the previous file under a lock
version_added: 1.2.0
description:
  - Writes the status document of one C(imagicle.phonelock.office_hours) run (the C(imagicle.phonelock.office_hours_status)
    filter's result) to O(path) as JSON, and its Prometheus text to O(metrics_path) for node_exporter's textfile collector.
  - The run's document carries only the sites of this run. The module reads the previous file and carries over what one
    run cannot know alone, per site - the last successful run, the last state applied, the count of failed runs - and
    keeps the previous file's other sites (those still named in O(sites)), marked as left out of the last run.
  - Reading, merging and writing happen under an exclusive lock (C(flock) on a hidden C(.NAME.lock) file beside O(path)),
    so runs of one server that end at the same moment (timers of several sites firing at one opening time) never lose
    each other's sites.
  - Each file is written whole to a temporary file in its own folder, then renamed over the old one, so a reader (the
    textfile collector) never sees half a file. The temporary files start with a dot and end in C(.tmp), which the
    collector does not read.
  - The C(imagicle.phonelock.office_hours) role runs it after every run when O(path) is set (C(office_hours_status_path)).
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
extends_documentation_fragment:
  - imagicle.phonelock.attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the previous file and returns the merged document, writes nothing.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - C(changed) is whether either file's content changed. A document's time differs from one run to the next, so a
        new run's document always changes the files; the role reports the task as unchanged, since it is bookkeeping.
options:
  path:
    description:
      - The JSON status file. Its folder must exist.
    type: path
    required: true
  metrics_path:
    description:
      - The Prometheus text file, for example in node_exporter's textfile collector folder; it should end in C(.prom).
      - Omitted writes none.
    type: path
  run:
    description:
      - This run's status document, as the C(imagicle.phonelock.office_hours_status) filter returns it (format 1).
    type: dict
    required: true
  sites:
    description:
      - The names of the sites still configured. The previous file's sites that this run left out are kept only if
        named here; omitted keeps them all.
    type: list
    elements: str
  mode:
    description:
      - The mode of both files. The default lets a monitoring user read them; they hold no credential.
    type: raw
    default: "0644"
'''

EXAMPLES = r'''
- name: Keep the status of the run, with what earlier runs knew
  imagicle.phonelock.status_file:
    path: /var/lib/imagicle-phonelock/ucx-emea.json
    metrics_path: /var/lib/prometheus/node-exporter/imagicle_phonelock_ucx-emea.prom
    run: "{{ office_hours_report | imagicle.phonelock.office_hours_status(plan=office_hours_plan, server=inventory_hostname) }}"
    sites: "{{ office_hours_sites | map(attribute='name') | list }}"
'''

RETURN = r'''
status:
  description: The merged document, as written to O(path).
  returned: success
  type: dict
  sample: {"format": 1, "server": "ucx-emea", "succeeded": true, "time": "2026-12-07T07:00:00Z", "sites": []}
path:
  description: The status file.
  returned: success
  type: str
  sample: /var/lib/imagicle-phonelock/ucx-emea.json
metrics_path:
  description: The metrics file, when one was asked for.
  returned: when O(metrics_path) is set
  type: str
  sample: /var/lib/prometheus/node-exporter/imagicle_phonelock_ucx-emea.prom
'''

import fcntl
import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.imagicle.phonelock.plugins.module_utils.status import StatusError, merge, metrics_text


def _read(path):
    try:
        with open(path, encoding='utf-8') as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _write(path, text, mode):
    """Writes text to a new file in path's folder, then renames it over path: a reader sees the old or the new file."""
    folder, name = os.path.split(path)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix='.%s.' % name, suffix='.tmp')
    try:
        with os.fdopen(handle, 'w', encoding='utf-8') as stream:
            stream.write(text)
            stream.flush()
            os.fchmod(stream.fileno(), mode)
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def main():
    module = AnsibleModule(
        argument_spec={
            'path': {'type': 'path', 'required': True},
            'metrics_path': {'type': 'path'},
            'run': {'type': 'dict', 'required': True},
            'sites': {'type': 'list', 'elements': 'str'},
            'mode': {'type': 'raw', 'default': '0644'},
        },
        supports_check_mode=True,
    )
    path, metrics_path = module.params['path'], module.params['metrics_path']
    if metrics_path and os.path.abspath(metrics_path) == os.path.abspath(path):
        module.fail_json(msg='path and metrics_path are the same file (%s): give each its own' % path)
    for option, value in (('path', path), ('metrics_path', metrics_path)):
        if value and not os.path.isdir(os.path.dirname(os.path.abspath(value))):
            module.fail_json(msg='%s %s: its folder %s does not exist; create it (the timers entry point creates its own)'
                             % (option, value, os.path.dirname(os.path.abspath(value))))
    try:
        mode = int(module.params['mode'], 8) if isinstance(module.params['mode'], str) else int(module.params['mode'])
    except (TypeError, ValueError):
        module.fail_json(msg='mode must be an octal mode such as "0644", not %r' % (module.params['mode'],))

    folder, name = os.path.split(os.path.abspath(path))
    warnings = []
    try:
        lock = os.open(os.path.join(folder, '.%s.lock' % name), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        module.fail_json(msg='path %s: cannot open its lock file in %s: %s' % (path, folder, to_native(exc.strerror or exc)))
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old_text = _read(path)
        previous = None
        if old_text:
            try:
                previous = json.loads(old_text)
            except ValueError as exc:
                warnings.append('path %s is not JSON (%s), so nothing is carried over from it: the last successful runs and '
                                'the failed runs start again' % (path, exc))
        try:
            status = merge(previous, module.params['run'], module.params['sites'])
            metrics = metrics_text(status) if metrics_path else None
        except StatusError as exc:
            module.fail_json(msg='run: %s' % exc)
        text = json.dumps(status, indent=2, sort_keys=True, ensure_ascii=False) + '\n'
        changed = text != old_text or (metrics_path is not None and metrics != _read(metrics_path))
        if changed and not module.check_mode:
            _write(path, text, mode)
            if metrics_path:
                _write(metrics_path, metrics, mode)
    except OSError as exc:
        module.fail_json(msg='cannot write %s: %s' % (exc.filename or path, to_native(exc.strerror or exc)))
    finally:
        os.close(lock)
    for warning in warnings:
        module.warn(warning)
    result = {'changed': changed, 'status': status, 'path': path}
    if metrics_path:
        result['metrics_path'] = metrics_path
    module.exit_json(**result)


if __name__ == '__main__':
    main()
