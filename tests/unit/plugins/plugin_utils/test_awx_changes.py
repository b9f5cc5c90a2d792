# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the awx_changes filter: what awx_setup.yml sends to the controller, from what it read there."""

from __future__ import annotations

import copy

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.imagicle.phonelock.plugins.filter.awx_changes import awx_changes

MARKER = 'Managed by imagicle.phonelock.awx_setup'
ORG = 1
TYPE = {'name': 'Imagicle Phone Lock', 'description': 'the type', 'kind': 'cloud', 'inputs': {'fields': []}, 'injectors': {'env': {}}}


def wanted(servers=('ucx-a', 'ucx-b'), instance_groups=(), execution_environment=''):
    credentials, templates, schedules = [], [], []
    for server in servers:
        credentials.append({'name': 'Imagicle Phone Lock (%s)' % server, 'server': server, 'description': MARKER + ': the account of ' + server,
                            'inputs': {'url': 'https://%s.example.com' % server, 'username': 'api', 'validate_certs': True}})
        for key in ('nightly_lock', 'morning_unlock'):
            templates.append({'name': 'Phone Lock: %s: %s' % (server, key), 'server': server, 'key': key, 'playbook': 'playbooks/%s.yml' % key,
                              'limit': server, 'credential': 'Imagicle Phone Lock (%s)' % server, 'ask_variables_on_launch': True,
                              'allow_simultaneous': False, 'description': 'Runs %s. %s: it removes this template' % (key, MARKER),
                              'notifications': None, 'instance_groups': list(instance_groups),
                              'instance_groups_option': 'instance_groups of phonelock_awx_servers entry "%s"' % server,
                              'execution_environment': execution_environment,
                              'execution_environment_option': 'execution_environment of phonelock_awx_servers entry "%s"' % server})
        for site in ('north', 'south'):
            for kind, key in (('lock', 'nightly_lock'), ('unlock', 'morning_unlock')):
                schedules.append({'name': 'imagicle-phonelock-%s-%s-%s' % (site, server, kind), 'template': 'Phone Lock: %s: %s' % (server, key),
                                  'description': 'x', 'rrule': 'DTSTART;TZID=Europe/Rome:20260105T190000 RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO',
                                  'extra_data': {'office_hours_limit': ['%s-%s' % (site, server)], 'office_hours_hosts': server}, 'enabled': True})
    return {'marker': MARKER, 'schedule_names': r'imagicle-phonelock-.+-(lock|unlock)(-at-[0-9]{8}T[0-9]{6}Z)?\Z', 'project': 'Phone Lock',
            'inventory': 'Phone Lock', 'organization_name': 'Default', 'credential_type': TYPE, 'credentials': credentials,
            'job_templates': templates, 'schedules': schedules}


GROUPS = [{'id': 7, 'name': 'default'}, {'id': 8, 'name': 'emea-nodes'}, {'id': 9, 'name': 'apac-nodes'}]
ENVIRONMENTS = [{'id': 3, 'name': 'Phone Lock EE', 'organization': None}, {'id': 4, 'name': 'Phone Lock EE', 'organization': ORG},
                {'id': 5, 'name': 'Other org EE', 'organization': 2}]


def found_from(want, instance_group_ids=(), execution_environment=None):
    """What a controller holds after a run that set up want: every object equal to it."""
    found = {'organization': ORG, 'credential_types': [dict(TYPE, id=1, managed=False)], 'projects': [{'id': 10, 'name': 'Phone Lock'}],
             'inventories': [{'id': 20, 'name': 'Phone Lock'}], 'notification_templates': [], 'instance_groups': GROUPS,
             'execution_environments': ENVIRONMENTS, 'credentials': [], 'job_templates': [], 'schedules': [], 'links': {}}
    ids = iter(range(100, 10000))
    credential_ids = {}
    for credential in want['credentials']:
        credential_ids[credential['name']] = next(ids)
        found['credentials'].append({'id': credential_ids[credential['name']], 'name': credential['name'], 'organization': ORG,
                                     'credential_type': 1, 'description': credential['description'],
                                     'inputs': dict(credential['inputs'], password='$encrypted$')})
    template_ids = {}
    for template in want['job_templates']:
        template_ids[template['name']] = next(ids)
        found['job_templates'].append({
            'id': template_ids[template['name']], 'name': template['name'], 'organization': ORG, 'project': 10, 'inventory': 20,
            'playbook': template['playbook'], 'limit': template['limit'], 'description': template['description'],
            'ask_variables_on_launch': True, 'allow_simultaneous': False, 'execution_environment': execution_environment,
            'summary_fields': {'credentials': [{'id': credential_ids[template['credential']], 'name': template['credential']}]}})
        found['links'][str(template_ids[template['name']])] = {'instance_groups': [{'id': gid} for gid in instance_group_ids]}
    for schedule in want['schedules']:
        found['schedules'].append(dict({key: value for key, value in schedule.items() if key != 'template'},
                                       id=next(ids), unified_job_template=template_ids[schedule['template']]))
    return found


def test_nothing_differs_nothing_to_send():
    want = wanted()
    result = awx_changes(found_from(want), want)
    assert (result['problems'], result['credential_type'], result['credentials'], result['job_templates'], result['schedules']) == ([], False, [], [], [])
    assert (result['stale_schedules'], result['stale_templates'], result['stale_credentials']) == ([], [], [])
    assert result['unchanged'] == {'credentials': 2, 'job_templates': 4, 'schedules': 8}


def test_an_empty_controller_gets_everything_new():
    want = wanted()
    found = {'organization': ORG, 'projects': [{'id': 10, 'name': 'Phone Lock'}], 'inventories': [{'id': 20, 'name': 'Phone Lock'}]}
    result = awx_changes(found, want)
    assert result['credential_type'] is True
    assert [(c['name'], c['new']) for c in result['credentials']] == [(c['name'], True) for c in want['credentials']]
    assert [t['name'] for t in result['job_templates']] == [t['name'] for t in want['job_templates']]
    assert all(t['new'] and t['id'] is None and t['instance_group_ids'] == [] for t in result['job_templates'])
    assert len(result['schedules']) == 8 and all(s['new'] for s in result['schedules'])


def test_one_changed_site_changes_exactly_its_schedules():
    want = wanted()
    found = found_from(want)
    for schedule in want['schedules']:
        if schedule['name'].startswith('imagicle-phonelock-south-ucx-b-'):
            schedule['rrule'] = schedule['rrule'].replace('190000', '200000')
    result = awx_changes(found, want)
    assert sorted(s['name'] for s in result['schedules']) == ['imagicle-phonelock-south-ucx-b-lock', 'imagicle-phonelock-south-ucx-b-unlock']
    assert not any(s['new'] for s in result['schedules'])
    assert (result['credentials'], result['job_templates']) == ([], [])


def test_the_password_is_never_compared_unless_secrets_are_updated():
    want = wanted()
    found = found_from(want)
    assert awx_changes(found, want)['credentials'] == []
    assert [c['new'] for c in awx_changes(found, want, update_secrets=True)['credentials']] == [False, False]
    found['credentials'][0]['inputs']['url'] = 'https://old.example.com'
    assert [(c['name'], c['new']) for c in awx_changes(found, want)['credentials']] == [('Imagicle Phone Lock (ucx-a)', False)]


def test_instance_groups_are_compared_in_order_and_named_by_id():
    want = wanted(instance_groups=['emea-nodes', 'default'])
    assert awx_changes(found_from(want, instance_group_ids=[8, 7]), want)['job_templates'] == []
    result = awx_changes(found_from(want, instance_group_ids=[7, 8]), want)
    assert len(result['job_templates']) == 4 and all(t['instance_group_ids'] == ['8', '7'] for t in result['job_templates'])


def test_dropped_instance_groups_are_detached():
    want = wanted()
    result = awx_changes(found_from(want, instance_group_ids=[9]), want)
    assert len(result['job_templates']) == 4 and all(t['instance_group_ids'] == [] for t in result['job_templates'])


def test_unread_association_lists_count_as_differing():
    want = wanted()
    found = found_from(want)
    del found['links'][str(found['job_templates'][0]['id'])]
    assert [t['name'] for t in awx_changes(found, want)['job_templates']] == ['Phone Lock: ucx-a: nightly_lock']


def test_unknown_placement_names_the_server_and_the_option():
    want = wanted(instance_groups=['mars-nodes'], execution_environment='Missing EE')
    problems = awx_changes(found_from(want), want)['problems']
    assert problems == [
        'instance_groups of phonelock_awx_servers entry "ucx-a" names "mars-nodes", which is not an instance group of the controller'
        ' (it has: apac-nodes, default, emea-nodes)',
        'execution_environment of phonelock_awx_servers entry "ucx-a" names "Missing EE", which is neither a global execution environment'
        ' of the controller nor one of organization "Default"',
        'instance_groups of phonelock_awx_servers entry "ucx-b" names "mars-nodes", which is not an instance group of the controller'
        ' (it has: apac-nodes, default, emea-nodes)',
        'execution_environment of phonelock_awx_servers entry "ucx-b" names "Missing EE", which is neither a global execution environment'
        ' of the controller nor one of organization "Default"']


def test_execution_environment_of_the_organization_first_and_another_organizations_refused():
    want = wanted(execution_environment='Phone Lock EE')
    result = awx_changes(found_from(want), want)
    assert all(t['execution_environment_id'] == '4' for t in result['job_templates']) and len(result['job_templates']) == 4
    assert awx_changes(found_from(want, execution_environment=4), want)['job_templates'] == []
    other = wanted(execution_environment='Other org EE')
    assert len(awx_changes(found_from(other), other)['problems']) == 2


def test_a_dropped_execution_environment_is_cleared():
    want = wanted()
    result = awx_changes(found_from(want, execution_environment=3), want)
    assert [(t['clear_execution_environment'], t['execution_environment_id']) for t in result['job_templates']] == [(True, None)] * 4


def test_notifications_compared_as_sets_and_unresolved_names_reported():
    want = wanted()
    for template in want['job_templates']:
        template['notifications'] = {'error': ['Slack', 'Mail']}
    found = found_from(want)
    found['notification_templates'] = [{'id': 50, 'name': 'Mail', 'organization': ORG}, {'id': 51, 'name': 'Slack', 'organization': ORG},
                                       {'id': 52, 'name': 'Slack', 'organization': 2}]
    for links in found['links'].values():
        links.update(notification_templates_error=[{'id': 50}, {'id': 51}], notification_templates_success=[], notification_templates_started=[])
    assert awx_changes(found, want)['job_templates'] == []
    found['links'][str(found['job_templates'][1]['id'])]['notification_templates_success'] = [{'id': 50}]
    result = awx_changes(found, want)
    assert [(t['name'], t['notification_ids']) for t in result['job_templates']] == [
        ('Phone Lock: ucx-a: morning_unlock', {'error': ['51', '50'], 'success': [], 'started': []})]
    want['job_templates'][0]['notifications'] = {'error': ['New hook']}
    result = awx_changes(found, want)
    assert result['job_templates'][0]['unresolved'] is True


def test_stale_objects_are_only_the_marked_ones():
    want = wanted()
    found = found_from(want)
    found['job_templates'].append({'id': 1, 'name': 'Phone Lock: hand made', 'organization': ORG, 'description': 'mine'})
    found['schedules'].append({'id': 2, 'name': 'imagicle-phonelock-x-lock', 'unified_job_template': 1})
    smaller = wanted(servers=('ucx-a',))
    result = awx_changes(found, smaller)
    assert sorted(t['name'] for t in result['stale_templates']) == ['Phone Lock: ucx-b: morning_unlock', 'Phone Lock: ucx-b: nightly_lock']
    assert sorted(s['name'] for s in result['stale_schedules']) == sorted(s['name'] for s in want['schedules'] if 'ucx-b' in s['name'])
    assert [c['name'] for c in result['stale_credentials']] == ['Imagicle Phone Lock (ucx-b)']
    assert 1 not in result['template_names']


def test_missing_project_or_inventory_fails_before_any_change():
    want = wanted()
    found = found_from(want)
    found.update(projects=[], inventories=[])
    assert awx_changes(found, want)['problems'][:2] == [
        'phonelock_awx_project "Phone Lock" is not a project of organization "Default": set it to the AWX project that holds the playbooks'
        ' the job templates run',
        'phonelock_awx_inventory "Phone Lock" is not an inventory of the controller: set it to the inventory the jobs use']


@pytest.mark.parametrize('found, want', [(None, {}), ({}, []), ({'organization': 1}, {'marker': 'x'})])
def test_wrong_shapes_fail_with_the_filter_name(found, want):
    with pytest.raises(AnsibleFilterError, match='^awx_changes: '):
        awx_changes(copy.deepcopy(found), copy.deepcopy(want))
