# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: office_hours_plan
short_description: What a lock, unlock or auto run should do at each site, by its office calendar
version_added: 1.0.0
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
description:
  - Judges every site at one instant with the C(imagicle.phonelock.office_hours) filter and decides, per site, whether
    a run locks its phones, unlocks them or leaves them alone, with one sentence that says why.
  - The C(imagicle.phonelock.office_hours_requests) filter turns the plan into the ordered M(imagicle.phonelock.phones)
    tasks that carry it out.
  - V(auto) applies the state the calendar demands (V(unlocked) while the office is open, V(locked) otherwise).
  - V(locked) and V(unlocked) apply where the calendar agrees and skip the other sites, so a scheduler that fires late
    or a run started by hand never locks an open office nor unlocks a closed one. O(force=true) applies them anyway.
  - Every site is validated, also those that O(limit) leaves out. A problem confined to one site (its keys, the keys and
    values of its selections, its time zone, hours and dates, a name another site also uses) leaves that site out with
    action V(invalid) and a message in the user's coordinates, the site's position and name, then the key, as in
    C(office_hours_sites[3]), C(milano), C(selections[0].customfield1);
    the other sites are planned. A problem of the whole run (O(at), O(limit), O(defaults), O(state), O(force)) fails
    the filter with a message that names the role's variable (C(office_hours_now), C(office_hours_limit), ...).
  - Nested sites. A selection nests in another when it has all of the other's filters and more (values compared
    ignoring case); the most specific site wins. When the run applies a site, every site nested in it is applied too,
    with its own calendar's state (the forced state when O(force=true)), also when O(limit) leaves it out or the run
    would skip it; C(order) puts its requests after the broader site's. Selections of two sites that may share phones
    without nesting, when the sites demand different states now, are reported in C(problems) of the applied ones.
  - Holds are a promise (the role's README lists the invariants). An unlock that could reach phones covered by a
    locked hold in force (of any site, valid or not, inside O(limit) or not) is not sent. The site's action is then
    V(withheld), C(why) names the hold, its reason and the held site, and C(problems) fails the run. The one exception
    is a broader site's unlock whose held nested site the run locks after it; that unlock's selection then carries the
    held selections in C(keep_locked), so that M(imagicle.phonelock.phones) locks them right after the unlock and locks
    the broader selection again if that fails. A site that is not valid but whose selections and locked hold can be
    read is still locked (action V(locked), its problem in C(problems)).
  - The C(imagicle.phonelock.office_hours) role runs those tasks, then matches the results to the sites with the
    C(imagicle.phonelock.office_hours_report) filter.
positional: state, at, force, limit, defaults
options:
  _input:
    description:
      - The sites, in the format of the role variable C(office_hours_sites); see the C(imagicle.phonelock.office_hours)
        filter for the keys of a site. Site names must be unique, ignoring case.
    type: list
    elements: dict
    required: true
  state:
    description: What the run asks for.
    type: str
    choices: [auto, locked, unlocked]
    default: auto
  at:
    description:
      - The instant to judge every site at, as ISO 8601 with an offset (C(2026-11-23T19:05:00+01:00)).
      - Evaluated once for all sites. None or an empty string means now.
    type: str
  force:
    description:
      - Apply V(locked) or V(unlocked) also where the calendar disagrees. Has no effect with V(auto).
      - Never over a hold. A site under a hold (its C(hold) is not V(null)) gets the hold's state from V(auto) runs and
        from runs that ask for it, and is skipped by runs that ask for the other state, forced or not.
    type: bool
    default: false
  limit:
    description:
      - Plan only the sites with these names (ignoring case), in the order of the sites. A string is read as a
        comma-separated list.
      - None or an empty list plans every site. A name that matches no site is an error.
      - The sites nested in a site the run applies are planned too (see the description).
      - With several UCX Suite servers (one inventory host each), the C(imagicle.phonelock.office_hours) role gives each
        server's plan only the names of its own sites, from the C(imagicle.phonelock.office_hours_limit) filter with
        its C(servers) option, and plans nothing on a server that has none of them.
    type: list
    elements: str
  defaults:
    description: Role-wide C(days), C(opens), C(closes) and C(closed_dates), as for the C(imagicle.phonelock.office_hours) filter.
    type: dict
'''

EXAMPLES = r'''
- name: Plan a nightly lock run; sites whose office is still open are skipped
  ansible.builtin.set_fact:
    plan: "{{ office_hours_sites | imagicle.phonelock.office_hours_plan(state='locked') }}"

- name: Show what each site will do, and why
  ansible.builtin.debug:
    msg: "{{ plan | map(attribute='why') | list }}"
  # - "locked as requested: the office is closed until Tue 08:00."
  # - "skipped: the office is open until 18:00 (Mon 08:00-18:00); a locked run never locks an open office.
  #    Set office_hours_force: true to lock anyway."

- name: The selections to lock, all sites together, for one phones task
  ansible.builtin.debug:
    msg: "{{ plan | selectattr('action', 'eq', 'locked') | map(attribute='selections') | flatten(levels=1) }}"
'''

RETURN = r'''
_value:
  description:
    - One entry per site, in the order of the sites (only the sites in O(limit) when it is given).
    - Each entry holds everything the C(imagicle.phonelock.office_hours) filter returns (C(name), C(timezone), C(at),
      C(local_time), C(local_label), C(open), C(state), C(reason), C(next_transition), C(next_state), C(next_label))
      and the keys below.
  type: list
  elements: dict
  contains:
    requested:
      description: The state the run asked for, O(state).
      type: str
      sample: locked
    action:
      description:
        - What the run does at this site, V(locked), V(unlocked), V(skip), V(invalid) for a site left out because of
          its own problem (then the status keys are V(null) and C(problems) says what is wrong), or V(withheld) for a
          site whose unlock could reach phones that a locked hold covers.
      type: str
      sample: skip
    order:
      description:
        - For each selection of an applied site, the order of its request. V(0) for a selection that nests in no selection
          of another site the run applies, else one more than the highest order of those it nests in. Every request of
          an order finishes before any of the next is sent. Empty for a site that is not applied.
      type: list
      elements: int
      sample: [0]
    nested_in:
      description:
        - For a site the run applies, the applied sites it nests in; its requests are sent after theirs. A site that the
          run applies only because of them (outside O(limit), or skipped by an explicit run) says so in C(why).
      type: list
      elements: str
      sample: [milano]
    problems:
      description:
        - What is wrong, for an V(invalid) site, or selections that may share phones with another site's without nesting
          while the two sites demand different states now. The role fails at the end of a run when any site has problems.
      type: list
      elements: str
      sample: []
    why:
      description: One sentence for the run's summary.
      type: str
      sample: >-
        skipped: the office is open until 18:00 (Mon 08:00-18:00); a locked run never locks an open office.
        Set office_hours_force: true to lock anyway.
    selections:
      description: The site's selections, as given, for the C(selections) option of M(imagicle.phonelock.phones).
      type: list
      elements: dict
      sample: [{"department": "Sales", "custom_field1": "Milano"}]
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._instant import InstantError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._plan import plan
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import SiteError


def office_hours_plan(sites, state='auto', at=None, force=False, limit=None, defaults=None):
    """One plan entry per site: its status at ``at``, the action for ``state`` and why."""
    try:
        return plan(sites, state, at, force, limit, defaults)
    except (SiteError, InstantError) as exc:
        raise AnsibleFilterError('office_hours_plan: %s' % exc) from None


class FilterModule:
    """The office_hours_plan filter."""

    def filters(self):
        return {'office_hours_plan': office_hours_plan}
