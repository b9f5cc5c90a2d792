# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What playbooks/awx_setup.yml must change on the controller: the objects it wants, compared field by field with the
lists it read, so that it calls a controller module only for what is missing or differs."""

from __future__ import annotations

import json
import re

EVENTS = ('error', 'success', 'started')
# The credential input that cannot be compared: the controller answers it as $encrypted$.
SECRET_INPUT = 'password'


class AwxChangesError(Exception):
    """The data given does not have the shape the playbook builds."""


def _by_name(objects):
    """{name: object}, the first of each name (lists come in id order)."""
    named = {}
    for obj in objects or []:
        named.setdefault(obj.get('name'), obj)
    return named


def _ids(objects):
    return [obj.get('id') for obj in objects or []]


def _quote(value):
    return json.dumps(value, ensure_ascii=False)


def _credential_type_differs(found, wanted):
    mine = [obj for obj in found or [] if obj.get('name') == wanted.get('name') and not obj.get('managed')]
    if not mine:
        return True
    return any(mine[0].get(key) != wanted.get(key) for key in ('description', 'kind', 'inputs', 'injectors'))


def _credentials(found, wanted, organization, type_ids, update_secrets):
    """The wanted credentials to send, each with new: whether the controller has none of that name yet."""
    existing = _by_name(obj for obj in found if obj.get('organization') == organization and obj.get('credential_type') in type_ids)
    changes = []
    for credential in wanted:
        old = existing.get(credential['name'])
        if old is None:
            changes.append(dict(credential, new=True))
            continue
        inputs = dict(old.get('inputs') or {})
        differs = (update_secrets or old.get('description') != credential.get('description') or SECRET_INPUT not in inputs
                   or any(inputs.get(key) != value for key, value in credential['inputs'].items() if key != SECRET_INPUT))
        if differs:
            changes.append(dict(credential, new=False))
    return changes


def _placement(template, found, organization_name, problems):
    """(instance group ids, execution environment id or None) of a wanted job template; a name the controller does
    not have is added to problems, naming the option it came from."""
    organization = found['organization']
    group_ids = []
    if template.get('instance_groups'):
        known = _by_name(found.get('instance_groups'))
        for name in template['instance_groups']:
            if name in known:
                group_ids.append(known[name]['id'])
            else:
                problems.append('%s names %s, which is not an instance group of the controller (it has: %s)'
                                % (template.get('instance_groups_option', 'instance_groups'), _quote(name),
                                   ', '.join(sorted(known)) or 'none'))
    environment_id = None
    name = template.get('execution_environment')
    if name:
        # The organization's own first, then a global one, as the controller offers them to the organization's templates.
        usable = sorted((obj for obj in found.get('execution_environments') or [] if obj.get('name') == name
                         and obj.get('organization') in (organization, None)),
                        key=lambda obj: (obj.get('organization') is None, obj.get('id')))
        if usable:
            environment_id = usable[0]['id']
        else:
            problems.append('%s names %s, which is neither a global execution environment of the controller nor one of'
                            ' organization %s' % (template.get('execution_environment_option', 'execution_environment'),
                                                  _quote(name), _quote(organization_name)))
    return group_ids, environment_id


def _notification_ids(template, notification_ids):
    """({event: [id, ...]} of the names the template wants, whether a name has no id yet), or (None, False) when the
    template's notifications are left as they are."""
    wanted = template.get('notifications')
    if wanted is None:
        return None, False
    ids, unresolved = {}, False
    for event in EVENTS:
        ids[event] = []
        for name in wanted.get(event) or []:
            if name not in notification_ids:
                unresolved = True
            elif notification_ids[name] not in ids[event]:
                ids[event].append(notification_ids[name])
    return ids, unresolved


def _template_differs(old, template, links, expected):
    """Whether the controller's job template old differs from what the playbook sets. links: its association lists
    as read (None when they were not read)."""
    if any(old.get(key) != value for key, value in expected.items()):
        return True
    credentials = (old.get('summary_fields') or {}).get('credentials')
    if credentials is None or sorted(_ids(credentials)) != sorted(template['credential_ids']):
        return True
    if links is None or 'instance_groups' not in links or _ids(links['instance_groups']) != template['instance_group_ids']:
        return True
    if template['notification_ids'] is not None:
        for event in EVENTS:
            key = 'notification_templates_' + event
            if key not in links or sorted(_ids(links[key])) != sorted(template['notification_ids'][event]):
                return True
    return False


def plan(found, wanted, update_secrets=False):
    """What to change, from found (what the controller has, as read) and wanted (what the playbook sets).

    Returns {problems, credential_type, credentials, job_templates, schedules, stale_schedules, stale_templates,
    stale_credentials, template_names, unchanged}: see the awx_changes filter's documentation.
    """
    if not isinstance(found, dict) or not isinstance(wanted, dict):
        raise AwxChangesError('needs the lists read from the controller (a mapping) and the wanted objects (a mapping)')
    try:
        return _plan(found, wanted, bool(update_secrets))
    except (KeyError, TypeError, AttributeError) as exc:
        raise AwxChangesError('the found or wanted objects lack a field or have the wrong type: %r' % (exc,)) from None


def _plan(found, wanted, update_secrets):  # pylint: disable=too-many-locals
    organization = found['organization']
    problems = []
    marker = wanted['marker']
    unchanged = {'credentials': 0, 'job_templates': 0, 'schedules': 0}

    type_ids = [obj['id'] for obj in found.get('credential_types') or [] if obj.get('name') == wanted['credential_type']['name']]
    credential_type = _credential_type_differs(found.get('credential_types'), wanted['credential_type'])
    credentials = _credentials(found.get('credentials') or [], wanted['credentials'], organization, type_ids, update_secrets)
    unchanged['credentials'] = len(wanted['credentials']) - len(credentials)
    credential_ids = {obj['name']: obj['id'] for obj in found.get('credentials') or []
                      if obj.get('organization') == organization and obj.get('credential_type') in type_ids}

    projects = [obj['id'] for obj in found.get('projects') or [] if obj.get('name') == wanted['project']]
    inventories = [obj['id'] for obj in found.get('inventories') or [] if obj.get('name') == wanted['inventory']]
    if not projects:
        problems.append('phonelock_awx_project %s is not a project of organization %s: set it to the AWX project that holds'
                        ' the playbooks the job templates run' % (_quote(wanted['project']), _quote(wanted.get('organization_name', organization))))
    if not inventories:
        problems.append('phonelock_awx_inventory %s is not an inventory of the controller: set it to the inventory the jobs'
                        ' use' % _quote(wanted['inventory']))

    notification_ids = {obj['name']: obj['id'] for obj in found.get('notification_templates') or []
                        if obj.get('organization') == organization}
    templates_found = _by_name(obj for obj in found.get('job_templates') or [] if obj.get('organization') == organization)
    links = {str(key): value for key, value in (found.get('links') or {}).items()}
    job_templates = []
    for template in wanted['job_templates']:
        group_ids, environment_id = _placement(template, found, wanted.get('organization_name', organization), problems)
        ids, unresolved = _notification_ids(template, notification_ids)
        old = templates_found.get(template['name'])
        entry = dict(template, id=old['id'] if old else None, new=old is None, instance_group_ids=group_ids,
                     execution_environment_id=environment_id, notification_ids=ids, unresolved=unresolved,
                     credential_ids=[credential_ids[template['credential']]] if template['credential'] in credential_ids else [None],
                     clear_execution_environment=bool(old and old.get('execution_environment') and environment_id is None))
        expected = {key: template[key] for key in ('description', 'playbook', 'limit', 'ask_variables_on_launch', 'allow_simultaneous')}
        expected.update(project=projects[0] if projects else None, inventory=inventories[0] if inventories else None,
                        execution_environment=environment_id)
        if old is None or unresolved or _template_differs(old, entry, links.get(str(old['id'])), expected):
            # The modules take names or ids as strings.
            entry.update(instance_group_ids=[str(value) for value in group_ids],
                         execution_environment_id=str(environment_id) if environment_id is not None else None,
                         notification_ids=None if ids is None else {event: [str(value) for value in ids[event]] for event in EVENTS})
            del entry['credential_ids']
            job_templates.append(entry)
        else:
            unchanged['job_templates'] += 1

    # Only what this playbook made: marked job templates, and the schedules named like its own on them.
    ours = {obj['id']: obj['name'] for obj in templates_found.values() if marker in (obj.get('description') or '')}
    template_ids = {obj['name']: obj['id'] for obj in templates_found.values()}
    schedule_pattern = re.compile(wanted['schedule_names'])
    schedules_found = {}
    for obj in found.get('schedules') or []:
        schedules_found.setdefault((obj.get('unified_job_template'), obj.get('name')), obj)
    schedules = []
    wanted_keys = set()
    for schedule in wanted['schedules']:
        key = (template_ids.get(schedule['template']), schedule['name'])
        wanted_keys.add(key)
        old = schedules_found.get(key) if key[0] is not None else None
        if old is None or any(old.get(field) != schedule[field] for field in ('description', 'rrule', 'extra_data', 'enabled')):
            schedules.append(dict(schedule, new=old is None))
        else:
            unchanged['schedules'] += 1

    wanted_templates = {template['name'] for template in wanted['job_templates']}
    wanted_credentials = {credential['name'] for credential in wanted['credentials']}
    return {
        'problems': list(dict.fromkeys(problems)),
        'credential_type': credential_type,
        'credentials': credentials,
        'job_templates': job_templates,
        'schedules': schedules,
        'stale_schedules': [obj for obj in found.get('schedules') or [] if obj.get('unified_job_template') in ours
                            and schedule_pattern.match(obj.get('name') or '')
                            and (obj.get('unified_job_template'), obj.get('name')) not in wanted_keys],
        'stale_templates': [obj for obj in templates_found.values() if obj['id'] in ours and obj['name'] not in wanted_templates],
        'stale_credentials': [obj for obj in found.get('credentials') or [] if obj.get('organization') == organization
                              and marker in (obj.get('description') or '') and obj.get('name') not in wanted_credentials],
        'template_names': ours,
        'unchanged': unchanged,
    }
