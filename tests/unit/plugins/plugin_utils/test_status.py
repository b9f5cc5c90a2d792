# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The status document and its Prometheus text, from real plans and reports, read back by Prometheus' own parser."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._plan import plan as make_plan
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._status import StatusError, metrics_text, status_document
from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_report import office_hours_report

# Monday 19:05 in Milano (closed), 13:05 in New York (open).
AT = '2026-11-23T19:05:00+01:00'
RUN_TIME = 1795457100
SITES = [
    {'name': 'milano', 'timezone': 'Europe/Rome', 'selections': [{'custom_field1': 'Milano'}]},
    {'name': 'new-york', 'timezone': 'America/New_York', 'selections': [{'custom_field1': 'New York'}]},
]


def _applied(*steps):
    """The registered result of the role's phones loop: (state, sites, results or a task failure message)."""
    results = []
    for state, sites, outcome in steps:
        step = {'item': {'state': state, 'sites': sites}}
        if isinstance(outcome, str):
            step.update(failed=True, msg=outcome)
        else:
            step['results'] = outcome
        results.append(step)
    return {'results': results}


def _run(sites=None, state='auto', at=AT, applied=None, **kwargs):
    plan = make_plan(sites or SITES, state, at, False, None, None)
    report = office_hours_report(plan, applied=applied or _applied(
        ('locked', ['milano'], [{'phones_matched': 90, 'phones_changed': 88, 'attempts': 1}]),
        ('unlocked', ['new-york'], [{'phones_matched': 54, 'phones_changed': 3, 'attempts': 1}])))
    return status_document(report, plan, kwargs.pop('server', 'ucx-1'), **kwargs)


def _site(document, name):
    return next(site for site in document['sites'] if site['name'] == name)


def _samples(text):
    """{(metric name, frozenset of labels): value} from Prometheus' parser, and {family name: type}."""
    families = list(text_string_to_metric_families(text))
    samples = {(sample.name, frozenset(sample.labels.items())): sample.value for family in families for sample in family.samples}
    return samples, {family.name: family.type for family in families}


def _labels(site, **extra):
    return frozenset(dict({'server': 'ucx-1', 'site': site}, **extra).items())


def test_document_says_what_each_site_wanted_and_got():
    document = _run(playbook='Reconcile')
    assert document['time'] == '2026-11-23T18:05:00Z'
    assert (document['format'], document['server'], document['playbook'], document['succeeded']) == (1, 'ucx-1', 'Reconcile', True)
    milano = _site(document, 'milano')
    assert {key: milano[key] for key in ('state_wanted', 'action', 'outcome', 'state_applied', 'phones_matched', 'phones_changed',
                                         'errors', 'holds', 'next_transition', 'next_state', 'last_success', 'in_wanted_state',
                                         'failed_runs', 'in_last_run')} == {
        'state_wanted': 'locked', 'action': 'locked', 'outcome': 'applied', 'state_applied': 'locked', 'phones_matched': 90,
        'phones_changed': 88, 'errors': [], 'holds': [], 'next_transition': '2026-11-24T08:00:00+01:00', 'next_state': 'unlocked',
        'last_success': '2026-11-23T18:05:00Z', 'in_wanted_state': True, 'failed_runs': 0, 'in_last_run': True}
    assert milano['reason'] == 'auto: the office is closed until Tue 08:00, so its phones are locked.'
    assert _site(document, 'new-york')['state_applied'] == 'unlocked'


def test_a_failed_run_keeps_the_last_success_and_the_state_last_applied():
    first = _run()
    later = _run(at='2026-11-23T20:05:00+01:00', previous=first, applied=_applied(
        ('locked', ['milano'], [{'failed': True, 'msg': 'PUT https://ucx/... failed: HTTP 503', 'attempts': 3}]),
        ('unlocked', ['new-york'], [{'phones_matched': 54, 'phones_changed': 0, 'attempts': 1}])))
    milano = _site(later, 'milano')
    assert (milano['outcome'], milano['succeeded'], milano['errors']) == ('failed', False, ['PUT https://ucx/... failed: HTTP 503'])
    assert (milano['last_run'], milano['last_success']) == ('2026-11-23T19:05:00Z', '2026-11-23T18:05:00Z')
    assert (milano['state_applied'], milano['last_state_applied'], milano['in_wanted_state']) == (None, 'locked', True)
    assert (milano['failed_runs'], later['succeeded']) == (1, False)
    samples, types = _samples(metrics_text(later))
    assert samples[('imagicle_phonelock_last_run_timestamp_seconds', _labels('milano'))] == RUN_TIME + 3600
    assert samples[('imagicle_phonelock_last_success_timestamp_seconds', _labels('milano'))] == RUN_TIME
    assert samples[('imagicle_phonelock_last_success_timestamp_seconds', _labels('new-york'))] == RUN_TIME + 3600
    assert samples[('imagicle_phonelock_last_run_success', _labels('milano'))] == 0
    assert samples[('imagicle_phonelock_failed_runs_total', _labels('milano'))] == 1
    assert samples[('imagicle_phonelock_last_run_errors', _labels('milano'))] == 1
    assert types['imagicle_phonelock_failed_runs'] == 'counter'
    # No count from the server: no sample, rather than a made-up 0.
    assert ('imagicle_phonelock_last_run_phones_changed', _labels('milano')) not in samples


def test_a_skipped_site_is_in_its_wanted_state_only_if_a_run_applied_it():
    # The nightly lock skips New York (open); whether its phones are unlocked is known only from an earlier run.
    skipped = _applied(('locked', ['milano'], [{'phones_matched': 90, 'phones_changed': 0, 'attempts': 1}]))
    alone = _run(state='locked', applied=skipped)
    assert (_site(alone, 'new-york')['outcome'], _site(alone, 'new-york')['in_wanted_state']) == ('skipped', False)
    assert _site(alone, 'new-york')['last_success'] == '2026-11-23T18:05:00Z'
    after = _run(state='locked', applied=skipped, previous=_run(at='2026-11-23T14:00:00+01:00'))
    assert (_site(after, 'new-york')['last_state_applied'], _site(after, 'new-york')['in_wanted_state']) == ('unlocked', True)
    samples, dummy = _samples(metrics_text(alone))
    assert samples[('imagicle_phonelock_in_wanted_state', _labels('new-york'))] == 0
    assert ('imagicle_phonelock_applied_state', _labels('new-york', state='unlocked')) not in samples
    assert samples[('imagicle_phonelock_wanted_state', _labels('new-york', state='unlocked'))] == 1
    assert samples[('imagicle_phonelock_wanted_state', _labels('new-york', state='locked'))] == 0


def test_a_limited_run_keeps_the_other_sites_and_drops_removed_ones():
    first = _run()
    plan = make_plan(SITES, 'auto', '2026-11-23T20:05:00+01:00', False, ['milano'], None)
    report = office_hours_report(plan, applied=_applied(('locked', ['milano'], [{'phones_matched': 90, 'phones_changed': 0, 'attempts': 1}])))
    kept = status_document(report, plan, 'ucx-1', previous=first, sites=SITES)
    assert [(site['name'], site['in_last_run'], site['last_run']) for site in kept['sites']] == [
        ('milano', True, '2026-11-23T19:05:00Z'), ('new-york', False, '2026-11-23T18:05:00Z')]
    assert _site(kept, 'new-york') == dict(_site(first, 'new-york'), in_last_run=False)
    dropped = status_document(report, plan, 'ucx-1', previous=first, sites=SITES[:1])
    assert [site['name'] for site in dropped['sites']] == ['milano']


def test_check_mode_applies_nothing_and_moves_nothing_on():
    first = _run()
    checked = _run(at='2026-11-24T09:00:00+01:00', previous=first, check_mode=True, applied=_applied(
        ('unlocked', ['milano', 'new-york'], [{}, {}])))
    milano = _site(checked, 'milano')
    assert checked['check_mode'] is True
    assert (milano['state_applied'], milano['last_state_applied'], milano['last_success'], milano['failed_runs']) == (
        None, 'locked', '2026-11-23T18:05:00Z', 0)
    assert (milano['state_wanted'], milano['in_wanted_state']) == ('unlocked', False)


def test_holds_in_force_and_the_hold_metric():
    held = [dict(SITES[0], holds=[{'state': 'locked', 'from': '2026-11-01T00:00:00+01:00', 'reason': 'toll fraud INC-4711'}])]
    document = _run(sites=held, applied=_applied(('locked', ['milano'], [{'phones_matched': 90, 'phones_changed': 0, 'attempts': 1}])))
    assert _site(document, 'milano')['holds'] == [{'state': 'locked', 'reason': 'toll fraud INC-4711', 'where': 'holds[0]', 'site': 'milano',
                                                   'from': '2026-11-01T00:00:00+01:00', 'until': None}]
    assert _site(document, 'milano')['next_transition'] is None
    samples, dummy = _samples(metrics_text(document))
    assert samples[('imagicle_phonelock_holds_active', _labels('milano', state='locked'))] == 1
    assert samples[('imagicle_phonelock_holds_active', _labels('milano', state='unlocked'))] == 0
    assert ('imagicle_phonelock_next_transition_timestamp_seconds', _labels('milano')) not in samples


PASSWORD = 'S3cr€t "pass" \\ word'
USERNAME = 'api-phonelock'


def test_no_credential_reaches_either_file():
    """The password, the username and the url userinfo, planted in every string the document takes."""
    spellings = [PASSWORD, json.dumps(PASSWORD)[1:-1], quote(PASSWORD), PASSWORD.upper(), USERNAME, 'user:' + PASSWORD]
    planted = ' / '.join(spellings)
    sites = [dict(SITES[0], holds=[{'state': 'locked', 'from': '2026-11-01T00:00:00+01:00', 'reason': 'incident ' + planted}])]
    previous = {'format': 1, 'sites': [{'name': 'gone-' + USERNAME, 'last_run': '2026-11-20T10:00:00Z', 'errors': [planted]}]}
    document = _run(sites=sites, playbook='play ' + planted, previous=previous,
                    connection={'url': 'https://user:%s@ucx.example.com' % PASSWORD, 'username': USERNAME, 'password': PASSWORD},
                    applied=_applied(('locked', ['milano'], [{'failed': True, 'msg': 'user %r refused: %s' % (USERNAME, planted)}])))
    texts = json.dumps(document, ensure_ascii=False) + json.dumps(document) + metrics_text(document)
    for secret in spellings + ['S3cr€t', 'S3cr\\u20act', 'cret "pass']:
        assert secret not in texts
    assert _site(document, 'milano')['errors'] == ["user '********' refused: " + ' / '.join(['********'] * 6)]
    assert [site['name'] for site in document['sites']] == ['milano', 'gone-********']


def test_label_values_are_escaped_for_prometheus():
    document = {'format': 1, 'server': 'ucx "1"\n\\', 'sites': [{'name': 'a"b\\c\nd', 'last_run': '2026-11-23T18:05:00Z', 'succeeded': True}]}
    samples, dummy = _samples(metrics_text(document))
    assert samples[('imagicle_phonelock_last_run_timestamp_seconds',
                    frozenset({'server': 'ucx "1"\n\\', 'site': 'a"b\\c\nd'}.items()))] == RUN_TIME


def test_every_metric_has_help_type_and_the_prefix():
    text = metrics_text(_run())
    families = list(text_string_to_metric_families(text))
    assert sorted(family.name for family in families) == sorted([
        'imagicle_phonelock_last_run_timestamp_seconds', 'imagicle_phonelock_last_success_timestamp_seconds',
        'imagicle_phonelock_last_run_success', 'imagicle_phonelock_wanted_state', 'imagicle_phonelock_applied_state',
        'imagicle_phonelock_in_wanted_state', 'imagicle_phonelock_last_run_phones_matched', 'imagicle_phonelock_last_run_phones_changed',
        'imagicle_phonelock_last_run_errors', 'imagicle_phonelock_failed_runs', 'imagicle_phonelock_holds_active',
        'imagicle_phonelock_next_transition_timestamp_seconds'])
    assert all(family.documentation for family in families)
    assert text.endswith('\n') and '\n\n' not in text


@pytest.mark.parametrize('previous', [None, {}, {'format': 2, 'sites': []}, {'format': 1, 'sites': 'x'}, ['x']])
def test_a_previous_document_that_is_not_one_carries_nothing(previous):
    milano = _site(_run(previous=previous), 'milano')
    assert (milano['failed_runs'], milano['last_success']) == (0, '2026-11-23T18:05:00Z')


@pytest.mark.parametrize('report, plan, server, message', [
    ('x', [], 'ucx-1', 'the input must be the office_hours_report list and plan the office_hours_plan list of the same run'),
    ([{'name': 'b', 'outcome': 'applied'}], [{'name': 'a', 'action': 'locked'}], 'ucx-1',
     'plan[0] and report[0] are not the entries of the same site of one run'),
    ([], [], '', "server must name the UCX Suite server (the inventory host), not ''"),
])
def test_wrong_input_is_named(report, plan, server, message):
    with pytest.raises(StatusError) as caught:
        status_document(report, plan, server)
    assert str(caught.value) == message


def test_metrics_refuse_what_is_not_a_document():
    with pytest.raises(StatusError, match='^the input must be a status document of format 1'):
        metrics_text({'sites': []})
