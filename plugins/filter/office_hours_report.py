# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: office_hours_report
short_description: Match the results of the lock and unlock tasks to the sites of an office hours plan
version_added: 1.0.0
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
description:
  - Takes the plan of the C(imagicle.phonelock.office_hours_plan) filter and the registered result of the
    M(imagicle.phonelock.phones) tasks that ran it, and says per site what happened, with one line for a summary.
  - With O(applied), the registered result of a phones task looped over the C(imagicle.phonelock.office_hours_requests)
    of the plan (as the role runs it); each loop item's C(results) are matched back to the sites its C(sites) names.
  - Without it, O(locked) and O(unlocked); the V(locked) task must have run the selections of the plan entries whose
    C(action) is V(locked), concatenated in plan order (and the V(unlocked) task likewise).
  - A site that the plan left out as V(invalid) is reported with outcome V(invalid) and its problems in C(errors); the
    C(problems) of an applied site are added to its C(errors) too.
  - A site whose unlock the plan V(withheld) because it could reach phones that a locked hold covers is reported with
    outcome V(withheld), the hold in its line and in C(errors).
  - A task that failed as a whole (for example an invalid option), so that it returned no C(results), marks every site
    of its action as failed with the task's message. A task that was skipped or not registered marks them V(not run).
  - In check mode the counts of phones are unknown; the line says that no request was sent.
positional: locked, unlocked
options:
  applied:
    description:
      - The registered result of the M(imagicle.phonelock.phones) task looped over the
        C(imagicle.phonelock.office_hours_requests) of the plan. When given, O(locked) and O(unlocked) are not used.
    type: dict
  _input:
    description: The list the C(imagicle.phonelock.office_hours_plan) filter returned.
    type: list
    elements: dict
    required: true
  locked:
    description: The registered result of the M(imagicle.phonelock.phones) task with C(state=locked).
    type: dict
  unlocked:
    description: The registered result of the M(imagicle.phonelock.phones) task with C(state=unlocked).
    type: dict
'''

EXAMPLES = r'''
- name: Match the results to the sites
  ansible.builtin.set_fact:
    report: "{{ plan | imagicle.phonelock.office_hours_report(locked=locked_result, unlocked=unlocked_result) }}"

- name: Summary, per site
  ansible.builtin.debug:
    msg: "{{ report | map(attribute='line') | list }}"
  # - "milano  Mon 2026-11-23 19:05 CET  locked   2 selections, 61 phones matched, 58 changed; closed: after closing (Mon 08:00-18:00)"
'''

RETURN = r'''
_value:
  description: One entry per plan entry, in plan order.
  type: list
  elements: dict
  contains:
    name:
      description: The site's name.
      type: str
      sample: milano
    action:
      description: The plan's action for the site, V(locked), V(unlocked), V(skip), V(invalid) or V(withheld).
      type: str
      sample: locked
    outcome:
      description:
        - V(applied) when every selection of the site succeeded (in check mode, would have been sent),
          V(failed) when any failed, V(skipped) when the plan skipped the site, V(not run) when its task did not run,
          V(invalid) when the plan left the site out because of its own problem, V(withheld) when the plan withheld its
          unlock because of a locked hold.
      type: str
      sample: applied
    why:
      description: The plan's sentence for the site.
      type: str
      sample: "auto: the office is closed until Tue 08:00, so its phones are locked."
    local_label:
      description: The instant the plan judged, in the site's time zone.
      type: str
      sample: Mon 2026-11-23 19:05 CET
    selections:
      description: How many selections the site has.
      type: int
      sample: 2
    phones_matched:
      description: The phones the server says matched, summed over the site's selections that report a count; V(null) when none does.
      type: int
      sample: 61
    phones_changed:
      description: The phones the server says changed state, summed likewise; V(null) when no selection reports a count.
      type: int
      sample: 58
    errors:
      description: The messages of the site's failed selections (or of its failed task), and the plan's C(problems) of the site.
      type: list
      elements: str
      sample: []
    line:
      description: One line for the run's summary, columns aligned across the sites.
      type: str
      sample: "milano  Mon 2026-11-23 19:05 CET  locked   2 selections, 61 phones matched, 58 changed; closed: after closing (Mon 08:00-18:00)"
'''

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

PLAN_KEYS = ('name', 'action', 'why', 'local_label', 'reason', 'selections')


def _count(items, key):
    counts = [item[key] for item in items if isinstance(item.get(key), int) and not isinstance(item.get(key), bool)]
    return sum(counts) if counts else None


def _plural(count, word):
    return '%d %s%s' % (count, word, '' if count == 1 else 's')


def _task_outcomes(action, result, entries):
    """Per plan entry of one action: (outcome, matched, changed, errors, detail)."""
    selections = sum(len(entry['selections']) for entry in entries)
    if not isinstance(result, Mapping) or result.get('skipped'):
        return [('not run', None, None, [], 'the %s task did not run' % action)] * len(entries)
    results = result.get('results')
    if not isinstance(results, list):
        # Refused as a whole (e.g. an invalid option): no selection was attempted.
        message = str(result.get('msg') or 'the %s task returned no results' % action)
        return [('failed', None, None, [message], 'the %s task failed: %s' % (action, message))] * len(entries)
    if len(results) != selections:
        raise AnsibleFilterError('office_hours_report: the %s result has %s but the plan has %d %s selections; pass the '
                                 'registered result of the phones task that ran exactly those' % (action, _plural(len(results), 'result'), selections, action))
    outcomes = []
    offset = 0
    for entry in entries:
        items = [item if isinstance(item, Mapping) else {} for item in results[offset:offset + len(entry['selections'])]]
        offset += len(entry['selections'])
        outcomes.append(_site_outcome(items))
    return outcomes


def _applied_outcomes(plan, applied):
    """Per applied plan entry: its selections' results, gathered from every loop item that sent some of them."""
    items = {}
    steps = applied.get('results') if isinstance(applied, Mapping) else None
    if applied and not isinstance(steps, list) and not (isinstance(applied, Mapping) and applied.get('skipped')):
        raise AnsibleFilterError('office_hours_report: applied must be the registered result of the phones task looped over '
                                 'office_hours_requests, not %r' % (applied,))
    for step in steps or []:
        if not isinstance(step, Mapping) or not isinstance(step.get('item'), Mapping):
            raise AnsibleFilterError('office_hours_report: applied must be the registered result of the phones task looped over '
                                     'office_hours_requests; an entry of its results has no item')
        sites = step['item'].get('sites') or []
        results = step.get('results') if isinstance(step.get('results'), list) else None
        if results is not None and len(results) != len(sites):
            raise AnsibleFilterError('office_hours_report: a %s request has %s for %s' % (
                step['item'].get('state'), _plural(len(results), 'result'), _plural(len(sites), 'selection')))
        for number, name in enumerate(sites):
            if step.get('skipped'):
                item = {'skipped': True}
            elif results is None:
                # Refused as a whole (e.g. an invalid option): no selection of that task was attempted.
                item = {'failed': True, 'msg': str(step.get('msg') or 'the %s task returned no results' % step['item'].get('state'))}
            else:
                item = results[number] if isinstance(results[number], Mapping) else {}
            items.setdefault(name, []).append(item)
    outcomes = {}
    for entry in plan:
        if entry['action'] not in ('locked', 'unlocked'):
            continue
        got = items.get(entry['name'], [])
        if not got or all(item.get('skipped') for item in got):
            outcomes[id(entry)] = ('not run', None, None, [], 'the %s task did not run' % entry['action'])
        elif len(got) != len(entry['selections']):
            raise AnsibleFilterError('office_hours_report: site %s has %s in applied but %s in the plan' % (
                entry['name'], _plural(len(got), 'result'), _plural(len(entry['selections']), 'selection')))
        else:
            outcomes[id(entry)] = _site_outcome(got)
    return outcomes


def _site_outcome(items):
    """(outcome, matched, changed, errors, detail) of one site from its selections' results."""
    failed = [str(item.get('msg') or 'failed') for item in items if item.get('failed')]
    # A task refused as a whole gives every selection its one message: say it once.
    errors = list(dict.fromkeys(failed))
    matched, changed = _count(items, 'phones_matched'), _count(items, 'phones_changed')
    if errors:
        return 'failed', matched, changed, errors, '%d of %s failed: %s' % (len(failed), _plural(len(items), 'selection'), ' | '.join(errors))
    detail = _plural(len(items), 'selection')
    if all('attempts' not in item for item in items):
        # A sent request always reports its attempts; none did, so this was check mode.
        detail += ' (check mode: no request sent)'
    if matched is not None:
        detail += ', %s matched' % _plural(matched, 'phone')
    if changed is not None:
        detail += ', %d changed' % changed
    return 'applied', matched, changed, [], detail


def _check_plan(plan):
    if not isinstance(plan, (list, tuple)):
        raise AnsibleFilterError('office_hours_report: the input must be the list office_hours_plan returned, not %r' % (plan,))
    for index, entry in enumerate(plan):
        if not isinstance(entry, Mapping) or any(key not in entry for key in PLAN_KEYS):
            raise AnsibleFilterError('office_hours_report: plan[%d] is not an office_hours_plan entry (it needs %s)'
                                     % (index, ', '.join(PLAN_KEYS)))
        if entry['action'] not in ('locked', 'unlocked', 'skip', 'invalid', 'withheld'):
            raise AnsibleFilterError('office_hours_report: plan[%d] (%s): action must be locked, unlocked, skip, invalid or withheld, not %r'
                                     % (index, entry['name'], entry['action']))


def office_hours_report(plan, locked=None, unlocked=None, applied=None):
    """Per plan entry: the outcome of its selections in the registered results, and a summary line."""
    _check_plan(plan)
    if applied is not None:
        outcomes = _applied_outcomes(plan, applied)
    else:
        outcomes = {}
        for action, result in (('locked', locked), ('unlocked', unlocked)):
            entries = [entry for entry in plan if entry['action'] == action]
            outcomes.update(zip((id(entry) for entry in entries), _task_outcomes(action, result, entries)))
    name_width = max((len(str(entry['name'])) for entry in plan), default=0)
    label_width = max((len(str(entry['local_label'])) for entry in plan), default=0)
    report = []
    for entry in plan:
        if entry['action'] == 'skip':
            # The word 'skipped' leads the line already; the rest of why says what the calendar said and what to do.
            outcome, matched, changed, errors, detail = 'skipped', None, None, [], entry['why'][len('skipped: '):]
        elif entry['action'] == 'invalid':
            outcome, matched, changed, errors, detail = 'invalid', None, None, [], 'left out: ' + ' | '.join(entry.get('problems') or [])
        elif entry['action'] == 'withheld':
            # Why names the hold, its reason and the held site; the problem it carries fails the run at the end.
            outcome, matched, changed, errors, detail = 'withheld', None, None, [], entry['why'][len('withheld: '):]
        else:
            outcome, matched, changed, errors, detail = outcomes[id(entry)]
            # The calendar's reason, unless the run overrode the calendar or a nesting applied it: then why says so.
            detail += '; ' + (entry['why'] if entry['why'].startswith(('forced', 'nested')) else entry['reason'])
        errors = list(errors) + list(entry.get('problems') or [])
        word = entry['action'] if outcome == 'applied' else outcome
        report.append({
            'name': entry['name'],
            'action': entry['action'],
            'outcome': outcome,
            'why': entry['why'],
            'local_label': entry['local_label'],
            'selections': len(entry['selections']),
            'phones_matched': matched,
            'phones_changed': changed,
            'errors': errors,
            'line': '%-*s  %-*s  %-8s %s' % (name_width, entry['name'], label_width, entry['local_label'], word, detail),
        })
    return report


class FilterModule:
    """The office_hours_report filter."""

    def filters(self):
        return {'office_hours_report': office_hours_report}
