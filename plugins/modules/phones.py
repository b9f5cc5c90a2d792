#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: phones
short_description: Lock or unlock desk phones through the Imagicle Phone Lock API
version_added: 1.0.0
description:
  - Locks or unlocks the phone lines of Imagicle UCX Suite users through the Phone Lock REST API
    (C(PUT /fw/Apps/StoneLock/WebAPI/Phones/Lock) or C(/Unlock)), available since UCX Suite 2020.Summer.1.
  - Filters narrow the action to the users whose fields match. The server combines several filters with AND.
  - With no filter the API acts on every phone the user can see. The module refuses that unless O(all_phones=true),
    so a missing or empty variable never locks a whole company.
  - Every option is checked before anything is sent; a problem fails the task with no request made.
  - O(selections) acts on several groups of phones in one task, over one kept-alive HTTP session,
    several requests at a time (O(concurrency)).
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
requirements:
  - requests (Python library, on the host that runs the module)
extends_documentation_fragment:
  - imagicle.phonelock.connection
  - imagicle.phonelock.attributes
  - imagicle.phonelock.attributes.ACTIONGROUP_PHONELOCK
attributes:
  check_mode:
    support: full
    details:
      - Check mode sends no request. It validates every option, reports the request URL(s) it would use,
        and reports C(changed=true), because the API offers no way to read a phone's current state.
  diff_mode:
    support: full
    details:
      - With C(--diff) (in check mode and in a real run), RV(diff) is a list with one entry per request, that is
        per selection, named in its headers by its position and its O(selections[].label). Consecutive selections with
        the same label share one entry (the C(imagicle.phonelock.office_hours) role labels each site's selections with
        its name, so its run shows one diff per site).
      - C(before) says that the state of the phones the filters match is unknown, because the Phone Lock API offers no call
        to read it. C(after) gives the requested state and the request (C(PUT), its path and its query, as it would be or
        was sent); in check mode, that it was not sent; after a real run, the HTTP status and the server's counts of
        matched and changed phones when its reply gave them, or why the request failed or was not sent.
      - The password and its HTTP Basic token never appear in the diff, in any spelling, as in the messages.
      - Without C(--diff) the result has no RV(diff). As for any module, Ansible shows a diff only when the task reports a change.
  idempotent:
    support: partial
    details:
      - The API publishes no reply format and no call to read a phone's lock state.
      - When the server's reply says how many phones changed state (a JSON object with an integer C(changed),
        as the bundled stand-in server sends), C(changed) is whether that count is above 0, so a rerun reports no change.
      - Otherwise every successful request reports C(changed=true).
options:
  state:
    description:
      - V(locked) locks the matching phones (C(PUT .../Phones/Lock)); V(unlocked) unlocks them (C(PUT .../Phones/Unlock)).
    type: str
    required: true
    choices: [locked, unlocked]
  department:
    description:
      - Act only on the users of this department.
      - Matching is done by the server (exact value; the stand-in server compares case-insensitively).
      - The value is sent percent-encoded as UTF-8 (C(R&D) is sent as C(R%26D)), exactly as given, with no trimming.
      - An empty or blank value is an error, never "no filter". So is a null value, such as a variable that was left
        empty (YAML null) behind a template. The module's action plugin checks the task's own arguments, where a null can
        still be told from an option left out, before the module runs. To mean "no such filter", leave the option out
        or give C(omit).
      - The value must be a string. Quote values that YAML would read as something else (V("100"), V("007"), V("yes"));
        a number, boolean, list or dictionary is refused rather than sent as whatever text it would convert to.
      - Cannot be used with O(selections) or O(all_phones).
    type: raw
  custom_field1:
    description:
      - Act only on the users whose custom field 1 has this value. Sent as C(customField1). Same rules as O(department).
    type: raw
    aliases: [customField1]
  custom_field2:
    description: Filter on custom field 2 (C(customField2)). Same rules as O(department).
    type: raw
    aliases: [customField2]
  custom_field3:
    description: Filter on custom field 3 (C(customField3)). Same rules as O(department).
    type: raw
    aliases: [customField3]
  custom_field4:
    description: Filter on custom field 4 (C(customField4)). Same rules as O(department).
    type: raw
    aliases: [customField4]
  custom_field5:
    description: Filter on custom field 5 (C(customField5)). Same rules as O(department).
    type: raw
    aliases: [customField5]
  custom_field6:
    description: Filter on custom field 6 (C(customField6)). Same rules as O(department).
    type: raw
    aliases: [customField6]
  custom_field7:
    description: Filter on custom field 7 (C(customField7)). Same rules as O(department).
    type: raw
    aliases: [customField7]
  custom_field8:
    description: Filter on custom field 8 (C(customField8)). Same rules as O(department).
    type: raw
    aliases: [customField8]
  custom_field9:
    description: Filter on custom field 9 (C(customField9)). Same rules as O(department).
    type: raw
    aliases: [customField9]
  custom_field10:
    description: Filter on custom field 10 (C(customField10)). Same rules as O(department).
    type: raw
    aliases: [customField10]
  all_phones:
    description:
      - Set to V(true) to act on every phone the user can see, with no filter.
      - Required for an unfiltered request, so that "every phone" is always a deliberate choice.
      - V(true) together with any filter is an error.
    type: bool
    default: false
  selections:
    description:
      - Several groups of phones to act on in one task, each a dictionary with the same filter keys
        (and O(selections[].all_phones)) as the top-level options. Each selection is one request.
      - Each selection is checked like the top-level filters before any request is sent. Then every selection is attempted,
        even after one has failed; the task fails if any failed, and RV(results) says which.
      - Up to O(concurrency) selections are sent at the same time.
      - Cannot be used with the top-level filters or O(all_phones).
    type: list
    elements: dict
    suboptions:
      department:
        description: Filter on the department. Same rules as the top-level O(department).
        type: raw
      custom_field1:
        description: Filter on custom field 1 (C(customField1)).
        type: raw
        aliases: [customField1]
      custom_field2:
        description: Filter on custom field 2 (C(customField2)).
        type: raw
        aliases: [customField2]
      custom_field3:
        description: Filter on custom field 3 (C(customField3)).
        type: raw
        aliases: [customField3]
      custom_field4:
        description: Filter on custom field 4 (C(customField4)).
        type: raw
        aliases: [customField4]
      custom_field5:
        description: Filter on custom field 5 (C(customField5)).
        type: raw
        aliases: [customField5]
      custom_field6:
        description: Filter on custom field 6 (C(customField6)).
        type: raw
        aliases: [customField6]
      custom_field7:
        description: Filter on custom field 7 (C(customField7)).
        type: raw
        aliases: [customField7]
      custom_field8:
        description: Filter on custom field 8 (C(customField8)).
        type: raw
        aliases: [customField8]
      custom_field9:
        description: Filter on custom field 9 (C(customField9)).
        type: raw
        aliases: [customField9]
      custom_field10:
        description: Filter on custom field 10 (C(customField10)).
        type: raw
        aliases: [customField10]
      all_phones:
        description: Set to V(true) for a selection with no filter that means every phone the user can see.
        type: bool
        default: false
      label:
        description:
          - A name for the selection, such as the site or office its phones belong to. The messages and RV(diff) show it
            in parentheses after the selection's position, and RV(results[].label) returns it.
          - Only for display. It is never sent and is not a filter, so a selection with a label and no filter is still
            refused, and a label given as null is the same as no label.
          - Must be a string. An empty or blank label, or one with a control character or a line break, is refused.
        type: str
        version_added: 1.1.0
      keep_locked:
        description:
          - Narrower selections inside this one whose phones must stay locked (a site held locked inside a site being
            unlocked). Only with O(state=unlocked).
          - Right after this selection's unlock (also when it failed, since its phones' state is then unknown), each is
            locked, one after the other, with the usual retries. If one still fails, this selection is locked again, so
            that the held phones end locked, and the selection fails naming both; RV(results[].keep_locked) and
            RV(results[].relocked) say what happened.
          - Each takes the filter keys of a selection (not O(selections[].all_phones)) and must refine this selection,
            with all of its filters, the same values (ignoring case), and more.
        type: list
        elements: dict
        version_added: 1.2.0
        suboptions:
          department:
            description: Filter on the department.
            type: raw
          custom_field1:
            description: Filter on custom field 1 (C(customField1)).
            type: raw
            aliases: [customField1]
          custom_field2:
            description: Filter on custom field 2 (C(customField2)).
            type: raw
            aliases: [customField2]
          custom_field3:
            description: Filter on custom field 3 (C(customField3)).
            type: raw
            aliases: [customField3]
          custom_field4:
            description: Filter on custom field 4 (C(customField4)).
            type: raw
            aliases: [customField4]
          custom_field5:
            description: Filter on custom field 5 (C(customField5)).
            type: raw
            aliases: [customField5]
          custom_field6:
            description: Filter on custom field 6 (C(customField6)).
            type: raw
            aliases: [customField6]
          custom_field7:
            description: Filter on custom field 7 (C(customField7)).
            type: raw
            aliases: [customField7]
          custom_field8:
            description: Filter on custom field 8 (C(customField8)).
            type: raw
            aliases: [customField8]
          custom_field9:
            description: Filter on custom field 9 (C(customField9)).
            type: raw
            aliases: [customField9]
          custom_field10:
            description: Filter on custom field 10 (C(customField10)).
            type: raw
            aliases: [customField10]
          label:
            description: A name for the kept selection (the held site), for the messages only; never sent.
            type: str
  concurrency:
    description:
      - How many requests of O(selections) may be in flight at the same time, at most. The module never sends more at once,
        and the HTTP session keeps that many connections open for reuse.
      - RV(results) keeps the order of O(selections), whatever order the answers arrive in. Each selection is retried and
        reported on its own, exactly as when they are sent one by one, so a failed selection never stops the others.
      - The default V(4) hides most of the network round trip when there are many selections, while a UCX Suite server,
        which passes every request on to the phones, never gets more than a few requests at once from one task.
        Raise it for a distant server; lower it if the server answers HTTP 429 or 503 under load.
      - V(1) sends the selections one after the other, in their order.
      - Must be 1 or more. Without O(selections) there is a single request and this option has no effect.
    type: int
    default: 4
  fail_on_no_match:
    description:
      - What to do when the server's reply says that 0 phones matched a request's filters (a value that matches no user,
        such as a typo, or a "Manage Department User" account acting on another department).
      - V(false) warns, naming the filters, and the request stays successful and unchanged.
      - V(true) makes that request (that selection) fail instead.
      - Only a reply that carries the count can tell; without one, nothing is said.
    type: bool
    default: false
    version_added: 1.1.0
notes:
  - The Phone Lock API publishes no reply format. An HTTP 2xx answer counts as success, except a 2xx with an HTML page
    (a proxy's or sign-on page answered, not UCX Suite) or a JSON object that reports an error (C(success=false), or
    a non-empty C(error) or C(errors)). Those fail, as the phones may not have changed.
  - The module has an action plugin. It refuses null filter values before the module runs, and otherwise runs the module
    as usual.
  - Errors name the method and the request URL and say what to check. The password and the C(Authorization)
    header never appear in results or messages.
seealso:
  - name: Imagicle Phone Lock REST APIs
    description: The vendor's description of the API, its filters and the permissions it needs.
    link: https://kbp.imagicle.com/ucxca/phone-lock-rest-apis
'''

EXAMPLES = r'''
- name: Lock the phones of the R&D department
  imagicle.phonelock.phones:
    url: https://ucx.example.com
    username: phonelock-svc
    password: "{{ vault_phonelock_password }}"
    state: locked
    department: R&D

- name: Unlock the Milano reception phones (custom field 1 holds the site, custom field 4 the area)
  imagicle.phonelock.phones:
    url: https://ucx.example.com
    username: phonelock-svc
    password: "{{ vault_phonelock_password }}"
    state: unlocked
    customField1: Milano
    customField4: Reception

- name: Lock with the connection from IMAGICLE_URL, IMAGICLE_USERNAME and IMAGICLE_PASSWORD (an AWX credential injects them)
  imagicle.phonelock.phones:
    state: locked
    department: Sales
    fail_on_no_match: true

- name: Lock every phone the user can see (a deliberate choice)
  imagicle.phonelock.phones:
    url: https://ucx.example.com
    username: phonelock-svc
    password: "{{ vault_phonelock_password }}"
    ca_path: /etc/pki/ca-trust/source/anchors/corp-ca.pem
    state: locked
    all_phones: true

- name: Lock several groups in one task, with the connection set once for the whole group
  module_defaults:
    group/imagicle.phonelock.phonelock:
      url: https://ucx.example.com
      username: phonelock-svc
      password: "{{ vault_phonelock_password }}"
  block:
    - name: Lock the Rome offices of three departments (a label names a selection in messages and --diff; it is never sent)
      imagicle.phonelock.phones:
        state: locked
        selections:
          - {label: rome-sales, department: Sales, custom_field1: Roma}
          - {label: rome-finance, department: Finance, custom_field1: Roma}
          - {label: rome-quality, department: Qualità, custom_field1: Roma}
      register: rome

    - name: Show what each selection did
      ansible.builtin.debug:
        msg: "{{ rome.results | map(attribute='phones_changed') | list }}"
'''

RETURN = r'''
state:
  description: The state that was requested.
  returned: always
  type: str
  sample: locked
request_url:
  description: The URL the PUT request went to (or would go to, in check mode), with the encoded filters.
  returned: when O(selections) is not used
  type: str
  sample: https://ucx.example.com/fw/Apps/StoneLock/WebAPI/Phones/Lock?department=R%26D
filters:
  description: The filters sent, by their API names.
  returned: when O(selections) is not used
  type: dict
  sample: {"department": "R&D"}
status:
  description: The HTTP status code of the server's last answer.
  returned: when a request was sent and O(selections) is not used
  type: int
  sample: 200
attempts:
  description: How many attempts the request took (1 when no retry was needed).
  returned: when a request was sent and O(selections) is not used
  type: int
  sample: 1
phones_matched:
  description: How many phones the server says matched the filters.
  returned: when the server's reply carries the count and O(selections) is not used
  type: int
  sample: 42
phones_changed:
  description: How many phones the server says changed state.
  returned: when the server's reply carries the count and O(selections) is not used
  type: int
  sample: 40
warning:
  description: Why the request deserves a look although it succeeded (the server matched 0 phones).
  returned: when the server's reply says 0 phones matched, O(fail_on_no_match=false) and O(selections) is not used
  type: str
  sample: "the server matched 0 phones for department=Slaes, so no phone was locked. ..."
results:
  description: One entry per selection, in the order of O(selections), also when they were sent concurrently.
  returned: when O(selections) is used
  type: list
  elements: dict
  contains:
    label:
      description: The selection's O(selections[].label).
      returned: when the selection has a label
      type: str
      sample: milano
      version_added: 1.1.0
    filters:
      description: The filters sent, by their API names; empty for a selection with O(selections[].all_phones=true).
      returned: always
      type: dict
      sample: {"department": "Sales", "customField1": "Roma"}
    request_url:
      description: The URL of the PUT request.
      returned: always
      type: str
      sample: https://ucx.example.com/fw/Apps/StoneLock/WebAPI/Phones/Lock?department=Sales&customField1=Roma
    changed:
      description: Whether this selection changed phones (see the module's notes on how this is decided).
      returned: always
      type: bool
      sample: true
    failed:
      description: Whether this selection failed.
      returned: always
      type: bool
      sample: false
    keep_locked:
      description:
        - For a selection with O(selections[].keep_locked), the outcome of each lock sent right after its unlock, in order
          (each with C(filters), C(request_url), C(failed), C(msg) when it failed, C(status), C(attempts) and the counts).
      returned: when the selection has keep_locked and a request was sent
      type: list
      elements: dict
      version_added: 1.2.0
    relocked:
      description:
        - V(true) when a lock of O(selections[].keep_locked) failed and this selection was locked again, so that the held
          phones end locked; the selection then fails, and C(msg) says whether the lock again succeeded.
      returned: when the selection has keep_locked and a request was sent
      type: bool
      version_added: 1.2.0
    status:
      description: The HTTP status code of the server's last answer, when there was one.
      returned: when a request was sent and answered
      type: int
      sample: 200
    attempts:
      description: How many attempts the request took.
      returned: when a request was sent
      type: int
      sample: 1
    phones_matched:
      description: How many phones the server says matched.
      returned: when the server's reply carries the count
      type: int
      sample: 12
    phones_changed:
      description: How many phones the server says changed state.
      returned: when the server's reply carries the count
      type: int
      sample: 12
    warning:
      description: Why this selection deserves a look although it succeeded (the server matched 0 phones).
      returned: when the server's reply says 0 phones matched and O(fail_on_no_match=false)
      type: str
      sample: "the server matched 0 phones for department=Sales, customField1=Milan, so no phone was locked. ..."
    msg:
      description: Why this selection failed.
      returned: when this selection failed
      type: str
      sample: "PUT https://ucx.example.com/fw/Apps/StoneLock/WebAPI/Phones/Lock?department=Sales failed: HTTP 503 ..."
    diff:
      description:
        - This selection's entry of RV(diff). Of consecutive selections with the same label, which share one entry, the
          first that changed carries it (the first of them when none changed).
        - When the task runs in a loop, Ansible's callbacks show these instead of RV(diff), for each selection that changed.
      returned: in diff mode; of selections that share an entry, by one of them
      type: dict
      sample: {"before_header": "selections[0] (milano)", "after_header": "selections[0] (milano)", "before": "...", "after": "..."}
      version_added: 1.1.0
diff:
  description:
    - With C(--diff), one entry per request (per selection, in the order of O(selections)), which Ansible shows as a diff
      when the task reports a change. Consecutive selections with the same O(selections[].label) share one entry, their
      lines one after the other.
    - C(before_header) and C(after_header) name the selection by its position and its O(selections[].label)
      (C(selections[1], selections[2] (roma)) for a shared entry), or, without O(selections), by the filters.
    - C(before) says that the state of the matching phones is unknown, since the Phone Lock API cannot be read. C(after)
      gives the requested state, the request (C(PUT), path and query), and then that nothing was sent (check mode), the HTTP
      status and the server's counts, or why the request failed.
    - The password never appears in it, in any spelling.
  returned: in diff mode
  type: list
  elements: dict
  sample:
    - before_header: selections[0] (milano)
      after_header: selections[0] (milano)
      before: "phones matching customField1=Milano: state unknown (the Phone Lock API cannot be read)\n"
      after: "phones matching customField1=Milano: locked\nrequest: PUT /fw/Apps/StoneLock/WebAPI/Phones/Lock?customField1=Milano\n\
        sent: HTTP 200, 1 attempt\nserver: 90 phones matched, 90 changed\n"
  version_added: 1.1.0
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.imagicle.phonelock.plugins.module_utils.api import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    ConnectionEnvironment,
    PhoneLockClient,
    clear_text_warning,
    connection_argument_spec,
    connection_problems,
    url_secrets,
)
from ansible_collections.imagicle.phonelock.plugins.module_utils.apply import apply_selections
from ansible_collections.imagicle.phonelock.plugins.module_utils.diff import label_groups, merged_diff, request_diffs
from ansible_collections.imagicle.phonelock.plugins.module_utils.selection import (
    FILTER_ARGUMENT_SPEC,
    SELECTION_ARGUMENT_SPEC,
    keep_locked_problems,
    selection_name,
    selection_problems,
)

ACTIONS = {'locked': 'Lock', 'unlocked': 'Unlock'}


def argument_spec(environment=None):
    """The module's options; environment (a ConnectionEnvironment) records which ones came from IMAGICLE_* variables."""
    spec = connection_argument_spec(environment or ConnectionEnvironment())
    spec.update(FILTER_ARGUMENT_SPEC)
    spec.update(
        state=dict(type='str', required=True, choices=list(ACTIONS)),
        selections=dict(type='list', elements='dict', options=SELECTION_ARGUMENT_SPEC),
        concurrency=dict(type='int', default=4),
        fail_on_no_match=dict(type='bool', default=False),
    )
    return spec


def main():
    environment = ConnectionEnvironment()
    module = AnsibleModule(
        argument_spec=argument_spec(environment),
        mutually_exclusive=[('selections', option) for option in FILTER_ARGUMENT_SPEC],
        supports_check_mode=True,
    )
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)

    params = module.params
    module.no_log_values.update(url_secrets(params['url'] or ''))
    selections = params['selections']
    problems = connection_problems(params, environment)
    if params['concurrency'] < 1:
        problems.append('concurrency must be 1 or more: it is how many selections may be sent at the same time.')
    if selections is None:
        problems += selection_problems(params)
    elif not selections:
        problems.append('selections is empty: give at least one selection, or use the top-level filters.')
    else:
        for index, selection in enumerate(selections):
            problems += selection_problems(selection, 'selections[%d]: ' % index)
            problems += keep_locked_problems(selection, params['state'], 'selections[%d].' % index)
    if problems:
        module.fail_json(msg=' '.join(problems), problems=problems)
    # Once per task, not per selection: it is about the url, which all the selections share.
    warning = clear_text_warning(params['url'])
    if warning:
        module.warn(warning)

    client = PhoneLockClient(params, connections=params['concurrency'])
    # Ansible masks the password in everything the module returns; the Basic token is as secret.
    module.no_log_values.add(client.token)
    action = ACTIONS[params['state']]
    outcomes = apply_selections(client, action, selections or [params], module.check_mode, params['concurrency'],
                                params['fail_on_no_match'])
    # How messages and the diff name each request: the top-level filters need no name, a selection has its position.
    names = [None] if selections is None else [selection_name(index, outcome.get('label')) for index, outcome in enumerate(outcomes)]
    for name, outcome in zip(names, outcomes):
        if outcome.get('warning'):
            module.warn(outcome['warning'] if name is None else '%s: %s' % (name, outcome['warning']))

    result = dict(state=params['state'], changed=any(outcome['changed'] for outcome in outcomes))
    if module._diff:  # pylint: disable=protected-access  # how AnsibleModule tells that --diff is on
        diffs = request_diffs(params['state'], outcomes, names, module.check_mode, client.redact)
        # Consecutive selections with the same label share one entry: the role labels each site's selections with its name.
        groups = label_groups([outcome.get('label') for outcome in outcomes])
        result['diff'] = [merged_diff(diffs, group) for group in groups]
        if selections is not None:
            # In a loop, Ansible's callbacks look for the diff in each entry of an item's results, not in the item, and show
            # it only for an entry that changed: a group's entry goes to its first selection that changed (else its first),
            # so the role's loop shows one diff per site too.
            for group, diff in zip(groups, result['diff']):
                shown = next((index for index in group if outcomes[index]['changed']), group[0])
                outcomes[shown]['diff'] = diff
    if selections is None:
        outcome = outcomes[0]
        result.update((key, value) for key, value in outcome.items() if key not in ('changed', 'failed'))
        if outcome['failed']:
            module.fail_json(**result)
        module.exit_json(**result)

    result['results'] = outcomes
    failed = ['%s: %s' % (name, outcome['msg']) for name, outcome in zip(names, outcomes) if outcome['failed']]
    if failed:
        others = ' (the others were applied)' if len(failed) < len(outcomes) else ''
        result['msg'] = '%d of %d selections failed%s: %s' % (len(failed), len(outcomes), others, ' | '.join(failed))
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
