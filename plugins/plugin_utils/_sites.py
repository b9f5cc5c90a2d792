# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading the role's site list: every site on its own, site names unique ignoring case, and ``office_hours_limit``.

One reading serves the plan, the timers and the AWX schedules, so they agree on what a valid site is, which names clash
and how a limit is written (a list, or one comma-separated string).
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import replace

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._holds import combine
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._nesting import nests
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import Site, SiteError, is_list, is_mapping, parse_defaults, parse_site, show

_LIMIT_TEXT = 'a list of site names, or one comma-separated string of them'

# One entry of office_hours_sites as read: where it is ('office_hours_sites[3]'), its name when it has a string one,
# the Site when it is valid, else the problem (a message in the user's coordinates).
ReadSite = namedtuple('ReadSite', 'where name site problem')


def read_sites(sites, defaults=None):
    """Read every site of office_hours_sites on its own: one ReadSite each, in order.

    Whatever is confined to one site (its keys and values, time zone, hours, dates, selections, a name that another site
    also uses, ignoring case) is that site's problem, so the other sites can still be used. A list that is not a list,
    and bad office_hours_defaults, concern every site: SiteError.
    """
    if not is_list(sites):
        raise SiteError('office_hours_sites must be a list of sites, not %s' % type(sites).__name__)
    given = parse_defaults(defaults)
    read = []
    for index, raw in enumerate(sites):
        where = 'office_hours_sites[%d]' % index
        name = _name_of(raw)
        try:
            read.append(ReadSite(where, name, parse_site(raw, given, where), None))
        except SiteError as exc:
            read.append(ReadSite(where, name, None, str(exc)))
        except Exception as exc:  # pylint: disable=broad-except
            # No value of one site may stop the plan of the others: a value the checks above did not foresee is this
            # site's problem too, in its coordinates.
            read.append(ReadSite(where, name, None, unforeseen(where, name, exc)))
    by_name = {}
    for number, entry in enumerate(read):
        if entry.name is not None:
            by_name.setdefault(entry.name.casefold(), []).append(number)
    for numbers in by_name.values():
        for number in numbers if len(numbers) > 1 else ():
            entry = read[number]
            others = ', '.join('%s (%s)' % (read[other].where, read[other].name) for other in numbers if other != number)
            problem = '%s (%s): the name is also used by %s; site names must be unique, ignoring case' % (entry.where, entry.name, others)
            read[number] = entry._replace(site=None, problem=problem if entry.problem is None else '%s | %s' % (entry.problem, problem))
    return _inherit_holds(read)


def _name_of(raw):
    """The name of one entry of office_hours_sites when it has a string one, valid site or not; else None."""
    name = raw.name if isinstance(raw, Site) else raw.get('name') if is_mapping(raw) else None
    return name if isinstance(name, str) and name.strip() else None


def unforeseen(where, name, exc):
    """The message for an error no check of the site foresaw: where it is, and the error, for a bug report."""
    return '%s%s: this site could not be read (%s: %s); check its values, and report this message as a bug of imagicle.phonelock' % (
        where, ' (%s)' % name if name else '', type(exc).__name__, exc)


def _inherit_holds(read):
    """A site nested in a held site is held with it: an emergency lock of an office also locks its reception desk.
    Only a site whose every selection nests in the held site's is: holding its other phones too would be a wider action."""
    valid = [entry for entry in read if entry.site is not None]
    for number, entry in enumerate(read):
        if entry.site is None:
            continue
        inherited, problems = [], []
        for outer in valid:
            own = [hold for hold in outer.site.holds if hold.owner == outer.site.name]
            if outer is entry or not own:
                continue
            inside = [any(nests(mine, theirs) for theirs in outer.site.filters) for mine in entry.site.filters]
            if all(inside):
                # Sites read again (already holding what they inherit) do not inherit twice.
                inherited += [hold for hold in (held._replace(where='%s of site %s' % (held.where, outer.site.name)) for held in own)
                              if hold not in entry.site.holds]
            elif any(inside):
                problems.append('%s (%s): some of its selections nest in site %s, which has holds, and some do not; a hold of %s cannot '
                                'hold only part of this site: split it into a site with the nested selections and one with the others'
                                % (entry.where, entry.site.name, outer.site.name, outer.site.name))
        if inherited and not problems:
            read[number] = entry._replace(site=replace(entry.site, holds=combine(list(entry.site.holds) + inherited)))
        if problems:
            read[number] = entry._replace(site=None, problem=' | '.join(problems))
    return read


def parse_limit(limit):
    """office_hours_limit as a list of names: a list, or one comma-separated string; None, '' and [] are [] (every site)."""
    if limit is None or isinstance(limit, str):
        names = (limit or '').split(',')
    elif is_list(limit) and all(isinstance(name, str) for name in limit):
        names = limit
    else:
        raise SiteError('office_hours_limit must be %s, not %s' % (_LIMIT_TEXT, show(limit)))
    return [name.strip() for name in names if name.strip()]


def select(read, limit):
    """The ReadSites that office_hours_limit names, ignoring case, in the order of the sites; all for an empty limit.
    A name that matches no site is an error."""
    names = parse_limit(limit)
    if not names:
        return list(read)
    known = set(entry.name.casefold() for entry in read if entry.name)
    unknown = [name for name in names if name.casefold() not in known]
    if unknown:
        raise SiteError('office_hours_limit names %s, which match%s no site; the sites are %s'
                        % (', '.join(repr(name) for name in unknown), 'es' if len(unknown) == 1 else '',
                           ', '.join(entry.name for entry in read if entry.name) or 'none'))
    wanted = set(name.casefold() for name in names)
    return [entry for entry in read if entry.name and entry.name.casefold() in wanted]


def server_limit(limit, servers, server):
    """The names of office_hours_limit that name sites of ``server``, when the run acts on several UCX Suite servers.

    ``servers`` maps each host of the run to its office_hours_sites (None for a host without). A limit names sites of any
    of them: a server gets the names of its own sites (ignoring case, in the order given), and [] when the limit names
    none of them, which the role reads as nothing to do (an empty limit, every site, is returned as []: the caller tells
    the two apart). A name that matches no site of any server is an error. With one server (or ``server`` not among
    them) the names come back unchanged: the site list's own reading reports an unknown name, as it always did.
    Only the names are read here, valid sites or not: the sites themselves are checked where they are used.
    """
    names = parse_limit(limit)
    if not is_mapping(servers):
        raise SiteError('the servers of office_hours_limit must map each inventory host to its office_hours_sites, not %s' % show(servers))
    named = {}
    for host, sites in servers.items():
        if sites is not None:
            named[host] = [name for name in (_name_of(raw) for raw in (sites if is_list(sites) else ())) if name]
    if not names or len(named) < 2 or server not in named:
        return names
    known = set(name.casefold() for own in named.values() for name in own)
    unknown = [name for name in names if name.casefold() not in known]
    if unknown:
        raise SiteError('office_hours_limit names %s, which match%s no site of any UCX Suite server of this run; the sites are %s'
                        % (', '.join(repr(name) for name in unknown), 'es' if len(unknown) == 1 else '',
                           '; '.join('%s (%s)' % (', '.join(own) or 'none', host) for host, own in named.items())))
    here = set(name.casefold() for name in named[server])
    return [name for name in names if name.casefold() in here]


def parse_sites(sites, defaults=None, limit=None):
    """Every site must be valid, also those ``limit`` leaves out (one message lists every problem); return the Sites
    that ``limit`` names, in their given order. For the schedulers, which must never install a partial set."""
    read = read_sites(sites, defaults)
    problems = [entry.problem for entry in read if entry.problem]
    if problems:
        raise SiteError(' | '.join(problems))
    return [entry.site for entry in select(read, limit)]
