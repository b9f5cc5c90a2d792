# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading one site of the role's office_hours_sites (and office_hours_defaults): every key checked, every problem
reported in the user's coordinates (``office_hours_sites[3] (milano): selections[0].customfield1 ...``)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.imagicle.phonelock.plugins.module_utils.selection import FILTERS, selection_problems
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import WEEKDAYS, clock_text
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._holds import combine, parse_holds
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._holidays import parse_holidays
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._special_days import merge_special_days, parse_special_days
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._values import SiteError, is_list, is_mapping, show
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._values import parse_clock as _parse_clock, parse_date as _parse_date
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._zones import ZoneError, parse_zone

SITE_KEYS = ('name', 'timezone', 'selections', 'days', 'opens', 'closes', 'hours', 'closed_dates', 'holidays', 'special_days', 'holds')
DEFAULT_KEYS = ('days', 'opens', 'closes', 'closed_dates', 'holidays', 'special_days', 'holds')
BUILTIN_DEFAULTS = {'days': list(WEEKDAYS[:5]), 'opens': '08:00', 'closes': '18:00', 'closed_dates': []}

_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]*\Z')
_NAME_RULE = "letters, digits, '_', '.' and '-', starting with a letter or digit (it becomes part of systemd unit names)"
_DAYS_TEXT = 'mon, tue, wed, thu, fri, sat or sun'
_SELECTIONS_TEXT = 'a non-empty list of filter dictionaries such as {department: Sales, custom_field1: Milano}'
_DATES_TEXT = 'dates (YYYY-MM-DD) or inclusive ranges (YYYY-MM-DD..YYYY-MM-DD)'
# The keys of a selection, as imagicle.phonelock.phones takes them: option names, the API's names as aliases, all_phones.
_ALIASES = dict((api_name, option) for option, api_name in FILTERS if api_name != option)
_FILTER_KEYS = [option for option, dummy in FILTERS] + list(_ALIASES) + ['all_phones']
_FILTERS_TEXT = 'department, custom_field1 ... custom_field10 (or customField1 ... customField10) and all_phones'


@dataclass(frozen=True)
class Site:
    """One parsed site. ``weekly`` maps office weekdays (0 = Monday) to (opens, closes); ``closed`` holds sorted,
    merged inclusive (first, last) date ranges; ``filters`` holds each selection's filters as a frozenset of
    (option, case-folded value), all_phones as the empty set: what nesting compares."""

    name: str
    timezone: str
    zone: ZoneInfo
    selections: tuple
    weekly: dict
    closed: tuple
    filters: tuple = field(default=(), compare=False, repr=False)
    # The public holidays (_holidays.HolidayCalendar) or None; special days (_special_days); holds (_holds.Hold), sorted.
    holidays: object = None
    special: tuple = ()
    holds: tuple = ()

    def __post_init__(self):
        # Per-site memos of the calendar (the day calendar, each local date's segments); not fields, so not in eq, hash or repr.
        object.__setattr__(self, '_days', {})
        object.__setattr__(self, '_segments', {})
        object.__setattr__(self, '_held', {})
        # selections and weekly are dicts; hash what identifies the calendar (equal sites still hash equal), once.
        object.__setattr__(self, '_hash', hash((self.name, self.timezone, tuple(sorted(self.weekly.items())), self.closed,
                                                self.holidays, self.special, self.holds)))

    def __hash__(self):
        return self._hash


def _parse_weekday(value, prefix, key):
    if isinstance(value, str) and value.strip().lower() in WEEKDAYS:
        return WEEKDAYS.index(value.strip().lower())
    raise SiteError('%s: %s: %s is not a weekday name; use %s' % (prefix, key, show(value), _DAYS_TEXT))


def _parse_days(value, prefix):
    if not is_list(value) or not value:
        raise SiteError('%s: days must be a non-empty list of weekday names (%s), not %s' % (prefix, _DAYS_TEXT, show(value)))
    days = []
    for item in value:
        day = _parse_weekday(item, prefix, 'days')
        if day in days:
            raise SiteError('%s: days: %s is given twice' % (prefix, WEEKDAYS[day]))
        days.append(day)
    return days


def _parse_closed_dates(value, prefix):
    if not is_list(value):
        raise SiteError('%s: closed_dates must be a list of %s, not %s' % (prefix, _DATES_TEXT, show(value)))
    ranges = []
    for index, item in enumerate(value):
        key = 'closed_dates[%d]' % index
        if isinstance(item, str) and '..' in item:
            first_text, dummy, last_text = item.partition('..')
            try:
                first, last = _parse_date(first_text, prefix, key), _parse_date(last_text, prefix, key)
            except SiteError:
                raise SiteError('%s: %s: %r is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)'
                                % (prefix, key, item)) from None
            if first > last:
                raise SiteError('%s: %s: the range %r ends before it starts; write the earlier date first' % (prefix, key, item))
        else:
            first = last = _parse_date(item, prefix, key)
        ranges.append((first, last))
    return ranges


def _merge_ranges(ranges):
    merged = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return tuple(merged)


def _parse_zone(value, prefix):
    try:
        return parse_zone(value)
    except ZoneError as exc:
        raise SiteError('%s: %s' % (prefix, exc)) from None


def _suggest_key(key):
    loose = str(key).replace('_', '').replace('-', '').casefold()
    same = [name for name in _FILTER_KEYS if name.replace('_', '').casefold() == loose]
    return same[0] if same else next(iter(difflib.get_close_matches(str(key), _FILTER_KEYS, n=1, cutoff=0.7)), None)


def _parse_filters(item, where):
    """The filters of one selection as (option, value) pairs, after the same checks the phones module makes."""
    problems = []
    normalised = {}
    typed = {}
    for key, value in item.items():
        option = _ALIASES.get(key, key)
        if key not in _FILTER_KEYS:
            suggestion = _suggest_key(key)
            problems.append('%s.%s is not a filter of imagicle.phonelock.phones%s; the filters are %s'
                            % (where, key, ' (did you mean %s?)' % suggestion if suggestion else '', _FILTERS_TEXT))
        elif option in normalised:
            problems.append('%s: %s and %s are the same filter; give it once' % (where, typed[option], key))
        elif value is None:
            # The phones module drops a null filter, which would widen the selection (every Roma phone, not Roma's Sales).
            problems.append('%s.%s is null: a null filter would make the selection wider than written. Give it a value, or leave the '
                            'key out' % (where, key))
        elif option == 'all_phones':
            try:
                normalised[option] = boolean(value, strict=True)
            except TypeError:
                problems.append('%s.all_phones must be true or false, not %r' % (where, value))
        else:
            normalised[option], typed[option] = value, key
    if not problems:
        for problem in selection_problems(normalised):
            word = problem.split(' ', 1)[0]
            # A message about one key names it as the user wrote it: selections[0].customField1 must be a string ...
            problems.append('%s.%s%s' % (where, typed[word], problem[len(word):]) if word in typed else '%s: %s' % (where, problem))
    if problems:
        raise SiteError(' '.join(problems))
    return frozenset((option, value.casefold()) for option, value in normalised.items() if option != 'all_phones')


def _parse_selections(value, prefix):
    if value is None:
        raise SiteError('%s: selections is required: %s' % (prefix, _SELECTIONS_TEXT))
    if not is_list(value) or not value:
        raise SiteError('%s: selections must be %s, not %s' % (prefix, _SELECTIONS_TEXT, show(value)))
    filters = []
    for index, item in enumerate(value):
        if not is_mapping(item) or not item:
            raise SiteError('%s: selections[%d] must be a non-empty dictionary of filters such as {department: Sales}, not %s'
                            % (prefix, index, show(item)))
        filters.append(_parse_filters(item, '%s: selections[%d]' % (prefix, index)))
    return tuple(dict(item) for item in value), tuple(filters)


def read_selections(value, prefix):
    """The filters of a site's selections on their own (hold coverage reads them from a site that is not valid)."""
    return _parse_selections(value, prefix)[1]


def _check_keys(raw, allowed, prefix):
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise SiteError('%s: unknown key%s %s; the accepted keys are %s'
                        % (prefix, 's' if len(unknown) > 1 else '', ', '.join(repr(key) for key in unknown), ', '.join(allowed)))


class _Defaults(dict):
    """Defaults already parsed: a list of sites parses them once."""


def parse_defaults(defaults):
    """Validate office_hours_defaults on their own, so a bad default is reported once, as a default."""
    if isinstance(defaults, _Defaults):
        return defaults
    if defaults is None:
        return _Defaults()
    if not is_mapping(defaults):
        raise SiteError('office_hours_defaults must be a dictionary with any of %s, not %s' % (', '.join(DEFAULT_KEYS), show(defaults)))
    _check_keys(defaults, DEFAULT_KEYS, 'office_hours_defaults')
    parsed = _Defaults()
    if defaults.get('days') is not None:
        parsed['days'] = _parse_days(defaults['days'], 'office_hours_defaults')
    for key in ('opens', 'closes'):
        if defaults.get(key) is not None:
            parsed[key] = _parse_clock(defaults[key], 'office_hours_defaults', key)
    parsed['closed_dates'] = _parse_closed_dates(defaults.get('closed_dates') or [], 'office_hours_defaults')
    if defaults.get('holidays') is not None and defaults.get('holidays') is not False:
        # Checked with each site that keeps them: a site may say holidays: false. In the defaults, false is the same as
        # leaving the key out (no company-wide holidays), as on a site.
        parsed['holidays'] = defaults['holidays']
    parsed['special_days'] = parse_special_days(defaults.get('special_days'), 'office_hours_defaults', parsed.get('opens', time(8)),
                                                parsed.get('closes', time(18)))
    # A company-wide hold (every site locked during an incident) is every site's hold.
    parsed['holds'] = tuple(hold._replace(where='office_hours_defaults.%s' % hold.where)
                            for hold in parse_holds(defaults.get('holds'), 'office_hours_defaults', None))
    return parsed


def _check_order(opens, closes, prefix, key_prefix='', inherited=None):
    """Refuse overnight hours; ``inherited`` maps a key whose value came from elsewhere to where it came from."""
    if opens >= closes:
        inherited = inherited or {}
        shown = ['%s%s %s%s' % (key_prefix, key, clock_text(value), ' (from %s)' % inherited[key] if key in inherited else '')
                 for key, value in (('opens', opens), ('closes', closes))]
        raise SiteError('%s: %s is not before %s; an office opens and closes on the same day (no overnight hours)'
                        % (prefix, shown[0], shown[1]))


def _parse_hours(value, days, opens, closes, prefix):
    if not is_mapping(value):
        raise SiteError('%s: hours must be a dictionary of weekday: {opens: "HH:MM", closes: "HH:MM"}, not %s' % (prefix, show(value)))
    weekly = dict((day, (opens, closes)) for day in days)
    seen = set()
    for key, hours in value.items():
        day = _parse_weekday(key, prefix, 'hours')
        name = WEEKDAYS[day]
        if day in seen:
            raise SiteError('%s: hours: %s is given twice' % (prefix, name))
        seen.add(day)
        if day not in days:
            raise SiteError('%s: hours.%s: %s is not an office day (days: %s); add it to days or remove its hours'
                            % (prefix, name, name, ', '.join(WEEKDAYS[d] for d in sorted(days))))
        if not is_mapping(hours):
            raise SiteError('%s: hours.%s must be a dictionary with opens and/or closes ("HH:MM"), not %s' % (prefix, name, show(hours)))
        _check_keys(hours, ('opens', 'closes'), '%s: hours.%s' % (prefix, name))
        day_opens = _parse_clock(hours['opens'], prefix, 'hours.%s.opens' % name) if hours.get('opens') is not None else opens
        day_closes = _parse_clock(hours['closes'], prefix, 'hours.%s.closes' % name) if hours.get('closes') is not None else closes
        inherited = dict((key, 'the site') for key in ('opens', 'closes') if hours.get(key) is None)
        _check_order(day_opens, day_closes, prefix, 'hours.%s.' % name, inherited)
        weekly[day] = (day_opens, day_closes)
    return weekly


def parse_site(raw, defaults=None, where='site'):
    """Validate one site (a dict in the role's format) and return a Site.

    A site key overrides the same key of ``defaults``, except ``closed_dates`` and ``holds``, which are added to the
    defaults' (company-wide dates plus the site's), and ``special_days``, where a site's entry replaces the defaults'
    entries on its dates. Without either: days mon..fri, opens 08:00, closes 18:00.
    ``where`` starts every message, e.g. ``sites[2]``; the site's name is added to it when it is valid.
    A Site is returned as it is (its defaults were applied when it was parsed).
    """
    if isinstance(raw, Site):
        return raw
    if not is_mapping(raw):
        raise SiteError('%s: a site must be a dictionary with name, timezone and selections, not %s' % (where, show(raw)))
    name = raw.get('name')
    if name is None:
        raise SiteError('%s: name is required: %s' % (where, _NAME_RULE))
    if not isinstance(name, str) or not _NAME.match(name):
        raise SiteError('%s: name %s is not valid: use %s' % (where, show(name), _NAME_RULE))
    prefix = where if '(%s)' % name in where else '%s (%s)' % (where, name)
    _check_keys(raw, SITE_KEYS, prefix)
    zone = _parse_zone(raw.get('timezone'), prefix)
    selections, filters = _parse_selections(raw.get('selections'), prefix)

    given = parse_defaults(defaults)
    days = _parse_days(raw['days'], prefix) if raw.get('days') is not None else given.get('days', [0, 1, 2, 3, 4])
    opens = _parse_clock(raw['opens'], prefix, 'opens') if raw.get('opens') is not None else given.get('opens', time(8))
    closes = _parse_clock(raw['closes'], prefix, 'closes') if raw.get('closes') is not None else given.get('closes', time(18))
    _check_order(opens, closes, prefix, inherited=dict((key, 'office_hours_defaults') for key in ('opens', 'closes') if raw.get(key) is None and key in given))
    if raw.get('hours') is not None:
        weekly = _parse_hours(raw['hours'], days, opens, closes, prefix)
    else:
        weekly = dict((day, (opens, closes)) for day in days)
    closed = _parse_closed_dates(raw['closed_dates'], prefix) if raw.get('closed_dates') is not None else []
    # A site's holidays replace the defaults'; leaving the key out keeps the defaults', 'holidays: false' keeps none.
    if raw.get('holidays') is False:
        holidays = None
    elif raw.get('holidays') is not None:
        holidays = parse_holidays(raw['holidays'], prefix)
    else:
        holidays = parse_holidays(given.get('holidays'), '%s: office_hours_defaults' % prefix)
    special = merge_special_days(given.get('special_days', []), parse_special_days(raw.get('special_days'), prefix, opens, closes))
    holds = combine(list(given.get('holds', ())) + list(parse_holds(raw.get('holds'), prefix, name)))
    return Site(name=name, timezone=raw['timezone'], zone=zone, selections=selections,
                weekly=dict(sorted(weekly.items())), closed=_merge_ranges(given.get('closed_dates', []) + closed), filters=filters,
                holidays=holidays, special=special, holds=holds)
