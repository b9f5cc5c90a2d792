# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bad input: generated filter values and bad arguments, against the stand-in server.

Every generated value must either arrive at the server exactly as given (one PUT whose decoded args are exactly
[(filter, value)], read back from the stand-in's request log) or be refused before any request with a message that
names the option; which of the two is decided here from the module's documented rules, so a wrong refusal counts too.
Each value runs in-process through the module (as a top-level filter and as a selection) and through ansible-playbook
in every mode of common.run_modes. The bad-argument cases run through ansible-playbook only. No mode may print or
register the password or the Basic credential.

    python tests/reliability/bad_input.py [--examples 240] [--seed N]
"""

import argparse
import base64
import contextlib
import io
import json
import re
import shutil
import sys
import time
import unicodedata
from collections import Counter

from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

import common

# Hypothesis keeps caches (no example database: settings below) in the project's cache folder, not in the working directory.
set_hypothesis_home_dir(common.ROOT / ".cache" / "hypothesis")

INSTALLED = common.ROOT / ".build" / "collections"
sys.path.insert(0, str(INSTALLED))
from ansible.module_utils.testing import patch_module_args  # noqa: E402  pylint: disable=wrong-import-position
from ansible.parsing.dataloader import DataLoader  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.imagicle.phonelock.plugins.modules import phones  # noqa: E402  pylint: disable=wrong-import-position,import-error

WORKDIR = common.OUTPUT / "bad_input"
PLAYBOOKS = common.ROOT / "tests" / "reliability" / "playbooks"
LOCK_PATH = common.API_PATH + "Lock"

# API name -> module option; the generator picks the API name, the runs use both spellings.
OPTIONS = {"department": "department", **{f"customField{i}": f"custom_field{i}" for i in range(1, 11)}}
# IIS refuses longer query strings by default, so the module refuses them (plugins/module_utils/selection.py).
MAX_QUERY_LENGTH = 2048
UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
FULLY_ENCODED = re.compile(r"(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})*")
TEMPLATE_MARKERS = ("{{", "{%", "{#")

# ---- the generator ------------------------------------------------------------------------------------------------

PLANES = {  # code point ranges; surrogates are never drawn (st.characters leaves out category Cs)
    "BMP": (0x20, 0xFFFF), "emoji": (0x1F300, 0x1FAFF), "SMP": (0x10000, 0x1FFFF), "CJK ext B": (0x20000, 0x2A6DF),
    "plane 3": (0x30000, 0x3134F), "tags": (0xE0000, 0xE007F), "private use 15": (0xF0000, 0xFFFFF),
    "private use 16": (0x100000, 0x10FFFF),
}
PLANE_CHARACTERS = {name: st.characters(min_codepoint=low, max_codepoint=high, exclude_categories=("Cs", "Cc"))
                    for name, (low, high) in PLANES.items()}
UNICODE = st.one_of(*PLANE_CHARACTERS.values())
WORD = st.text(UNICODE, max_size=10)
RESERVED = st.sampled_from("&=#+%?/;,:@$!'()*[]{}\\\"<>|^`~ ")
TRICKS = st.sampled_from([
    "x&department=All", "&department=All", "department=All", "R&D", "a=b&customField1=Milano", "x&customField10=",
    "%26", "%zz", "%", "%%", "%00", "+", "a+b", "?department=", "#", "#frag", "../", "/fw/Apps/StoneLock/WebAPI/Phones/Lock",
    "&&", "==", "{{ 7 * 7 }}", "{% raw %}", "{# note #}", "{{ lookup('env', 'IMAGICLE_PASSWORD') }}", "${HOME}", "$(id)",
])
SPACES = st.sampled_from(" \u00a0\u1680\u2000\u2003\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u200b\ufeff")
CONTROLS = st.sampled_from([chr(code) for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]])
# Strings YAML or Jinja could turn into another type on the way; the module must receive them as the same text.
LOOKALIKES = st.sampled_from(["True", "yes", "no", "off", "null", "None", "~", "1", "007", "0x10", "1e3", "1_000", "-0",
                              "NaN", "inf", "2001-01-01", "[1, 2]", "{'a': 1}", '{"a": 1}', "()", "0.0", ""])


def unicode_values():
    """Text around characters of one named range: drawn freely, the rarer planes could go missing."""
    return st.sampled_from(sorted(PLANES)).flatmap(
        lambda name: st.tuples(WORD, st.text(PLANE_CHARACTERS[name], min_size=1, max_size=6), WORD).map("".join))


def reserved_values():
    return st.lists(st.one_of(TRICKS, st.text(RESERVED, min_size=1, max_size=4), WORD), min_size=1, max_size=4).map("".join)


def spaced_values():
    return st.lists(st.one_of(st.text(SPACES, min_size=1, max_size=3), WORD), min_size=1, max_size=5).map("".join)


def control_values():
    return st.tuples(WORD, CONTROLS, WORD).map("".join)


def encoded_length(api_name, value):
    """The length of 'name=value' percent-encoded as UTF-8 (every byte but the unreserved ones takes 3 characters)."""
    return len(api_name) + 1 + sum(1 if byte in UNRESERVED else 3 for byte in value.encode("utf-8"))


@st.composite
def long_value(draw, api_name):
    """A repeated unit padded to an exact encoded length around the limit, or far beyond it."""
    unit = draw(st.text(st.one_of(UNICODE, RESERVED), min_size=1, max_size=3))
    target = MAX_QUERY_LENGTH + draw(st.one_of(st.integers(-2, 2), st.integers(-400, 6000)))
    budget = target - encoded_length(api_name, "")
    width = encoded_length("", unit) - 1
    return unit * (budget // width) + "a" * (budget % width)


@st.composite
def filter_values(draw):
    """(API filter name, value): the filter chosen by the generator, the value from one of the categories."""
    api_name = draw(st.sampled_from(sorted(OPTIONS)))
    category = draw(st.sampled_from(["unicode"] * 3 + ["reserved"] * 3 + ["spaces"] * 2 + ["long"] * 2 + ["control", "lookalike"]))
    strategy = {"unicode": unicode_values(), "reserved": reserved_values(), "spaces": spaced_values(),
                "long": long_value(api_name), "control": control_values(), "lookalike": LOOKALIKES}[category]
    return api_name, draw(strategy)


def generate(count, fixed_seed):
    """count distinct (filter, value) pairs, the same ones on every run with the same seed; no example database."""
    found = {}

    @seed(fixed_seed)
    @settings(max_examples=count * 4, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(filter_values())
    def collect(case):
        if len(found) < count:
            found.setdefault(case, None)

    collect()  # pylint: disable=no-value-for-parameter
    if len(found) < count:
        raise SystemExit(f"bad_input: the generator made only {len(found)} distinct values of the {count} asked for")
    return list(found)


def coverage(values):
    """How many values hold each kind of bad input the issue asks for."""
    def holding(test):
        return sum(1 for api_name, value in values if test(api_name, value))
    kinds = {name: holding(lambda api_name, value, low=low, high=high: any(low <= ord(char) <= high for char in value))
             for name, (low, high) in PLANES.items()}
    kinds.update({
        "a reserved character & = # + % ? /": holding(lambda api_name, value: any(char in value for char in "&=#+%?/")),
        "another parameter (&department=...)": holding(lambda api_name, value: re.search(r"&(department|customField\d+)=", value)),
        "template syntax": holding(lambda api_name, value: any(marker in value for marker in TEMPLATE_MARKERS)),
        "leading or trailing space": holding(lambda api_name, value: value[:1].isspace() or value[-1:].isspace()),
        "NBSP": holding(lambda api_name, value: "\u00a0" in value),
        "a C0 control character": holding(lambda api_name, value: any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)),
        "a C1 control character": holding(lambda api_name, value: any(0x80 <= ord(char) < 0xA0 for char in value)),
        "encoded length within 2 of the limit": holding(lambda api_name, value: abs(encoded_length(api_name, value) - MAX_QUERY_LENGTH) <= 2),
        "encoded length over the limit": holding(lambda api_name, value: encoded_length(api_name, value) > MAX_QUERY_LENGTH),
    })
    return kinds


def expected_refusals(api_name, value):
    """None when the value must arrive exactly, else the phrases one of which the refusal must start with.

    From the module's documentation and selection.py's rules: an empty or blank value, a control character, or an encoded
    query over MAX_QUERY_LENGTH. A value that is both blank and a control character may get either message.
    """
    option = OPTIONS[api_name]
    phrases = []
    if not value.strip():
        phrases.append(f"{option} is empty or blank")
    if any(unicodedata.category(char) == "Cc" for char in value):
        phrases.append(f"{option} contains a control character")
    if not phrases and encoded_length(api_name, value) > MAX_QUERY_LENGTH:
        phrases.append(f"the encoded filters ({option}) are {encoded_length(api_name, value)} characters long")
    return tuple(phrases) or None


# ---- judging one outcome ------------------------------------------------------------------------------------------

def judge(api_name, value, failed, message, requests_seen, where="", filters=None):
    """'exact', 'refused' or 'other: <why>' for one value's run, from what the module said and the server received."""
    refusals = expected_refusals(api_name, value)
    if not failed and len(requests_seen) == 1:
        entry = requests_seen[0]
        api_name_sent, dummy, raw_value = entry["query_string"].partition("=")
        if (entry["method"], entry["path"], entry["status"], entry["args"]) != ("PUT", LOCK_PATH, 200, [[api_name, value]]):
            return f"other: the server received {entry['method']} {entry['path']} args={entry['args']!r} status={entry['status']}"
        if api_name_sent != api_name or not FULLY_ENCODED.fullmatch(raw_value):
            return f"other: the query was not fully percent-encoded: {entry['query_string']!r}"
        if filters is not None and filters != {api_name: value}:
            return f"other: the module reports filters={filters!r}"
        return "exact" if refusals is None else f"other: arrived, but must be refused ({' / '.join(refusals)})"
    if failed and not requests_seen:
        if refusals is None:
            return f"other: refused, but must arrive: {message!r}"
        if not any(message.startswith(where + phrase) for phrase in refusals):
            return f"other: refused with {message[:300]!r}, not {' / '.join(where + phrase for phrase in refusals)!r}"
        return "refused"
    return f"other: failed={failed} after {len(requests_seen)} request(s): {str(message)[:300]!r}"


# ---- in-process: the module's main() against the stand-in -------------------------------------------------------

def run_module(args):
    """The module's (failed, result, raw output) for the given arguments, in this process."""
    output, code = io.StringIO(), None
    with patch_module_args(args), contextlib.redirect_stdout(output):
        try:
            phones.main()
        except SystemExit as exc:
            code = exc.code
    return code != 0, json.loads(output.getvalue()), output.getvalue()


def in_process(standin, values, texts):
    """{(api name, value): [verdict as a top-level filter, verdict as a selection]}."""
    connection = {"url": standin.url, "username": common.USERNAME, "password": common.PASSWORD, "state": "locked"}
    verdicts = {}
    for number, (api_name, value) in enumerate(values):
        verdicts[api_name, value] = []
        for where, args in (("", {OPTIONS[api_name]: value}), ("selections[0]: ", {"selections": [{api_name: value}]})):
            standin.inspect("DELETE", "requests")
            failed, result, raw = run_module(dict(connection, **args))
            texts[f"in-process output {number}{' (selection)' if where else ''}"] = raw
            filters = result.get("filters") if not where else (result.get("results") or [{}])[0].get("filters")
            verdicts[api_name, value].append(judge(api_name, value, failed, result.get("msg", ""), standin.log(), where, filters))
    return verdicts


# ---- through ansible-playbook, every mode -------------------------------------------------------------------------

def yaml_string(value):
    """A YAML double-quoted scalar in ASCII; !unsafe when Ansible would otherwise template it."""
    escaped = "".join(char if " " <= char <= "~" and char not in '"\\' else f"\\U{ord(char):08X}" for char in value)
    return ("!unsafe " if any(marker in value for marker in TEMPLATE_MARKERS) else "") + f'"{escaped}"'


def write_values_file(path, accepted, refused):
    lines = ["---"]
    for name, cases in (("bad_input_accepted", accepted), ("bad_input_refused", refused)):
        lines.append(f"{name}:" + ("" if cases else " []"))
        lines += [f'  - {{"{api_name}": {yaml_string(value)}}}' for api_name, value in cases]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    # The harness must hand Ansible exactly these strings; Ansible's own loader reads the file back.
    loaded = DataLoader().load_from_file(str(path))
    for name, cases in (("bad_input_accepted", accepted), ("bad_input_refused", refused)):
        if [dict(case) for case in loaded[name]] != [{api_name: value} for api_name, value in cases]:
            raise SystemExit(f"bad_input: harness error: {path} does not load back as the generated values")


def scan_runs(label, runs, texts):
    """Add every output and artifact of the runs, and what each registered, to the texts scanned for secrets.

    A run that failed leaves its stdout and stderr, secrets masked, in WORKDIR/<label> <mode>.txt for a look.
    """
    for run in runs:
        texts.update((f"{label}, {run['mode']}: {source}", text) for source, text in run["texts"].items())
        texts[f"{label}, {run['mode']}: registered"] = json.dumps(run["registered"], ensure_ascii=False)
        if run["rc"] != 0:
            output = "\n".join(run["texts"].get(source, "") for source in ("stdout", "stderr", "runner stdout", "runner stderr"))
            (WORKDIR / f"{label} {run['mode']}.txt").write_text(common.redact(output, URL_SECRET), encoding="utf-8")


def playbook_values(standin, values, texts):
    """({(api name, value): [verdict per mode]}, [unexplained requests]) for the values playbook, in every mode.

    The modes run one after the other, each sending one request per accepted value, so the log splits into one slice
    per mode; within a slice each value's request is the one whose query the module reports as its request_url.
    """
    accepted = [case for case in values if expected_refusals(*case) is None]
    refused = [case for case in values if expected_refusals(*case) is not None]
    folder = WORKDIR / "values"
    folder.mkdir(parents=True)
    write_values_file(folder / "values.yml", accepted, refused)
    standin.reset()
    runs = common.run_modes(PLAYBOOKS / "bad_input_values.yml", folder / "runs",
                            {"bad_input_values_file": str(folder / "values.yml")},
                            common.credentials_env(standin))
    log = sorted(standin.log(), key=lambda entry: entry["seq"])
    scan_runs("values playbook", runs, texts)
    aligned = len(log) == len(accepted) * len(runs)
    verdicts = {case: [] for case in values}
    used = set()
    for number, (run, result) in enumerate((run, run["registered"]) for run in runs):
        if run["rc"] != 0 or result is None:
            for case in values:
                verdicts[case].append(f"other: the {run['mode']} run ended with rc={run['rc']}{'' if result else ', registering nothing'} "
                                      f"(output in {WORKDIR / ('values playbook ' + run['mode'] + '.txt')})")
            continue
        part = log[number * len(accepted):(number + 1) * len(accepted)] if aligned else log
        # The accepted values as selections, the refused ones as loop items (top-level filters): messages carry no prefix.
        outcomes = list(zip(accepted, result["accepted"].get("results") or [])) + list(zip(refused, result["refused"].get("results") or []))
        if len(outcomes) != len(values):
            raise SystemExit(f"bad_input: the {run['mode']} run registered {len(outcomes)} outcomes for {len(values)} values")
        for (api_name, value), outcome in outcomes:
            if "item" in outcome and outcome["item"] != {api_name: value}:
                verdicts[api_name, value].append(f"other: the loop item arrived as {outcome['item']!r}")
                continue
            query = outcome.get("request_url", "").partition("?")[2]
            seen = [entry for entry in part if query and entry["query_string"] == query]
            used.update(entry["seq"] for entry in seen)
            verdicts[api_name, value].append(judge(api_name, value, outcome.get("failed") is not False, outcome.get("msg", ""), seen,
                                                   filters=outcome.get("filters")))
    unexplained = [entry for entry in log if entry["seq"] not in used]
    return verdicts, unexplained, runs


# ---- bad arguments through ansible-playbook -----------------------------------------------------------------------

MUTUALLY_EXCLUSIVE = "parameters are mutually exclusive: "
URL_SCHEME = "must start with https:// or http:// (for example https://ucx.example.com)."
URL_CREDENTIALS = "url must not contain credentials (user:password@); give them in username and password."
URL_API_PATH = "url must be the UCX Suite base address (like https://ucx.example.com), not the Phone Lock API address"
URL_QUERY = "url must be the server base address without '?' query or '#' fragment; give filters as options."
# Case (registered as bad_input_case_<name>; its filter values hold "<name>") -> the parts its message must contain.
ARGUMENT_CASES = {
    "filter_list": ["department"],
    "filter_dict": ["custom_field2"],
    "selection_filter_list": ["custom_field3"],
    "timeout_text": ["argument 'timeout' is of type", "float"],
    "retries_text": ["argument 'retries' is of type", "int"],
    "concurrency_text": ["argument 'concurrency' is of type", "int"],
    "concurrency_zero": ["concurrency must be 1 or more"],
    "all_phones_text": ["all_phones", "perhaps", "boolean"],
    "state_choice": ["value of state must be one of: locked, unlocked, got: lock"],
    "unknown_option": ["Unsupported parameters for (imagicle.phonelock.phones) module: departmnet"],
    "unknown_selection_option": ["custom_field11", "selections"],
    "selections_and_filter": [MUTUALLY_EXCLUSIVE, "selections|department"],
    # ansible-core's own check (a list of dictionaries given a plain string) runs before the module and names no option;
    # the module cannot word it. It is still refused before any request.
    "selections_string": ["dictionary requested, could not parse JSON or key=value"],
    "selections_empty": ["selections is empty"],
    "no_filter": ["no filter given: that would act on every phone the user can see", "all_phones: true"],
    "no_filter_selection": ["selections[1]: no filter given"],
    "all_phones_and_filter": ["all_phones: true cannot be combined with filters (custom_field5)"],
    "filter_empty": ["department is empty or blank"],
    "selection_filter_blank": ["selections[0]: custom_field4 is empty or blank"],
    "url_no_scheme": [URL_SCHEME],
    "url_no_scheme_name": [URL_SCHEME],
    "url_other_scheme": [URL_SCHEME],
    "url_credentials": [URL_CREDENTIALS],
    "url_credentials_encoded": [URL_CREDENTIALS],
    "url_credentials_slash": [URL_CREDENTIALS],
    "url_credentials_port": [URL_CREDENTIALS],
    "url_api_path": [URL_API_PATH],
    "url_api_path_case": [URL_API_PATH],
    "url_query": [URL_QUERY],
    "url_fragment": [URL_QUERY],
}
CRASH_MARKERS = ("Traceback (most recent call last)", "MODULE FAILURE")
# Passwords the arguments playbook writes into URLs. They share URL_SECRET, so a leak of any part before a '/' shows too.
URL_SECRET = "Url-S3cret"
URL_PASSWORDS = {"bad_input_url_password": URL_SECRET + ":42", "bad_input_url_password_slash": URL_SECRET + "/42",
                 "bad_input_url_password_port": "2020/" + URL_SECRET}
# ansible-core's debug output prints every module argument as given (documented for DEFAULT_DEBUG: "can include secret
# information despite no_log"); no module can mask that line, so a URL password there is counted apart.
ANSIBLE_DEBUG_ARGS_LINE = "done with _execute_module (imagicle.phonelock.phones, "


def argument_verdict(parts, result, crashes):
    """'refused' or 'other: <why>' for one case in one mode, from what it registered and what the mode printed."""
    if result is None:
        return "other: nothing registered"
    message = str(result.get("msg", ""))
    if result.get("failed") is not True:
        return f"other: the module did not fail: {json.dumps(result, ensure_ascii=False)[:300]}"
    # ansible-core 2.19 adds exception "(traceback unavailable)" to every failed result; a crash carries a traceback.
    crash = [marker for marker in CRASH_MARKERS if marker in json.dumps(result)] + (["module_stderr"] if "module_stderr" in result else [])
    if crash or crashes:
        return f"other: a crash, not a refusal: {crash or crashes!r}: {message[:300]!r}"
    missing = [part for part in parts if part not in message]
    return f"other: the message lacks {missing!r}: {message!r}" if missing else "refused"


def argument_cases(standin, texts):
    """({case: [verdict per mode, plus one for the requests the case caused]}, [unexplained requests])."""
    folder = WORKDIR / "arguments"
    folder.mkdir(parents=True)
    standin.reset()
    runs = common.run_modes(PLAYBOOKS / "bad_input_arguments.yml", folder / "runs", URL_PASSWORDS,
                            common.credentials_env(standin))
    log = standin.log()
    scan_runs("arguments playbook", runs, texts)
    verdicts = {case: [] for case in ARGUMENT_CASES}
    for run, result in ((run, run["registered"]) for run in runs):
        if result is not None and set(result) != {f"bad_input_case_{case}" for case in ARGUMENT_CASES}:
            raise SystemExit(f"bad_input: harness error: the playbook's cases are not ARGUMENT_CASES: {sorted(result)}")
        crashes = sorted({marker for marker in CRASH_MARKERS for text in run["texts"].values() if marker in text})
        for case, parts in ARGUMENT_CASES.items():
            verdicts[case].append(argument_verdict(parts, (result or {}).get(f"bad_input_case_{case}"), crashes))
    used = set()
    for case in ARGUMENT_CASES:
        # A request with no filter can only be the guard case's.
        seen = [entry for entry in log if f"<{case}>" in json.dumps(entry["args"]) or (case == "no_filter" and not entry["args"])]
        used.update(entry["seq"] for entry in seen)
        verdicts[case].append("refused" if not seen else "other: the server received "
                              + ", ".join(f"{entry['method']} {entry['path']}?{entry['query_string']} (HTTP {entry['status']})" for entry in seen))
    return verdicts, [entry for entry in log if entry["seq"] not in used], runs


def url_secret_hits(texts):
    """({(source, form): hits} outside ansible-core's debug lines of module arguments, hits on those lines)."""
    forms = {"URL password (or its part before a '/')": URL_SECRET}
    forms.update((f"Basic credential of {name}", base64.b64encode(f"{common.USERNAME}:{password}".encode()).decode())
                 for name, password in URL_PASSWORDS.items())
    found, on_debug_lines = {}, 0
    for source, text in texts.items():
        for line in text.splitlines():
            for form, secret in forms.items():
                hits = line.count(secret)
                if hits and "ANSIBLE_DEBUG" in source and ANSIBLE_DEBUG_ARGS_LINE in line:
                    on_debug_lines += hits
                elif hits:
                    found[source, form] = found.get((source, form), 0) + hits
    return found, on_debug_lines


# ---- the suite ----------------------------------------------------------------------------------------------------

def overall(verdicts):
    """One value's or case's outcome over all its runs: the common verdict, or the first 'other'."""
    kinds = set(verdicts)
    if len(kinds) == 1:
        return verdicts[0]
    others = [verdict for verdict in verdicts if verdict.startswith("other")]
    return others[0] if others else f"other: outcomes differ between runs: {verdicts!r}"


def installed_plugins():
    """{relative path: bytes} of the installed collection's plugins: what ansible-playbook and this process run."""
    folder = INSTALLED / "ansible_collections" / "imagicle" / "phonelock" / "plugins"
    return {path.relative_to(folder): path.read_bytes() for path in sorted(folder.rglob("*.py"))}


def elapsed(started):
    return f"{time.monotonic() - started:.0f} s so far"


def modes(runs):
    return ", ".join(f"{run['mode']} rc={run['rc']}" for run in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=240, help="how many distinct filter values to generate (default 240)")
    parser.add_argument("--seed", type=int, default=20260426, help="the generator's seed: the same values on every run")
    options = parser.parse_args()
    started = time.monotonic()
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir(parents=True)
    plugins = installed_plugins()
    source = {path.relative_to(common.ROOT / "plugins"): path.read_bytes() for path in sorted((common.ROOT / "plugins").rglob("*.py"))}
    print(f"bad_input: testing the collection installed in {INSTALLED}"
          + ("" if plugins == source else " (WARNING: its plugins differ from plugins/ in the source: make install)"))
    values = generate(options.examples, options.seed)
    kinds = coverage(values)
    print(f"bad_input: {len(values)} generated values (seed {options.seed}), "
          f"{sum(expected_refusals(*case) is None for case in values)} of them must arrive exactly")
    print("bad_input: values holding " + ", ".join(f"{kind}: {count}" for kind, count in kinds.items()))
    if options.examples >= 200 and not all(kinds.values()):
        raise SystemExit(f"bad_input: harness error: the generator missed {[kind for kind, count in kinds.items() if not count]}")
    texts = {}
    with common.StandIn(WORKDIR / "standin") as standin:
        direct = in_process(standin, values, texts)
        print(f"bad_input: in-process: {len(values)} values as a top-level filter and as a selection ({elapsed(started)})")
        through_playbook, stray_values, value_runs = playbook_values(standin, values, texts)
        print(f"bad_input: values playbook: {modes(value_runs)} ({elapsed(started)})")
        arguments, stray_arguments, argument_runs = argument_cases(standin, texts)
        print(f"bad_input: arguments playbook: {modes(argument_runs)} ({elapsed(started)})")
    if installed_plugins() != plugins:
        # Ansible then fails with "Cannot resolve 'imagicle.phonelock.phones'", which says nothing about the module.
        raise SystemExit("bad_input: the installed collection changed during the run (make install at the same time?): rerun")

    value_outcomes = {case: overall(direct[case] + through_playbook[case]) for case in values}
    argument_outcomes = {case: overall(verdicts) for case, verdicts in arguments.items()}
    secrets = common.find_secrets(texts)
    admin_hits = sum(secrets.values())
    url_secrets, url_secrets_on_debug_lines = url_secret_hits(texts)
    secrets.update(url_secrets)
    counts = Counter(outcome if outcome in ("exact", "refused") else "other" for outcome in value_outcomes.values())
    figures = {
        "inputs_tried": len(values),
        "exact": counts["exact"],
        "refused": counts["refused"],
        "other": counts["other"],
        "argument_cases_tried": len(ARGUMENT_CASES),
        "argument_cases_refused_cleanly": sum(outcome == "refused" for outcome in argument_outcomes.values()),
        "argument_cases_other": sum(outcome != "refused" for outcome in argument_outcomes.values()),
        "secrets_found": sum(secrets.values()),
        "secret_sources_scanned": len(texts),
        "url_password_on_ansible_debug_lines": url_secrets_on_debug_lines,
        "seconds": round(time.monotonic() - started, 1),
    }

    failures = []
    for (api_name, value), outcome in value_outcomes.items():
        if outcome not in ("exact", "refused"):
            failures.append(f"value {api_name}={value[:120]!r}{'...' if len(value) > 120 else ''} (length {len(value)}): {outcome}")
    failures += [f"argument case {case}: {outcome}" for case, outcome in argument_outcomes.items() if outcome != "refused"]
    failures += [f"a request no value explains: {entry['method']} {entry['path']}?{entry['query_string'][:200]}"
                 for entry in stray_values + stray_arguments]
    failures += [f"secret found: {form} in {source}, {hits} time(s)" for (source, form), hits in secrets.items()]
    print(f"bad_input: checked {len(values)} values x (2 in-process runs + {len(value_runs)} playbook modes): each arrived "
          "exactly once with exactly its value, or was refused with a message starting with the expected phrase and no request")
    templated = Counter(outcome.split(":")[0] for (api_name, value), outcome in value_outcomes.items()
                        if any(marker in value for marker in TEMPLATE_MARKERS))
    print(f"bad_input: of the values holding template syntax, {templated['exact']} arrived exactly and {templated['refused']} were refused "
          f"in every run, {templated['other']} other: Ansible templated none of them")
    print(f"bad_input: checked {len(ARGUMENT_CASES)} argument cases x {len(argument_runs)} modes: failed, message holds the "
          "expected parts, no traceback or MODULE FAILURE, and the stand-in received no request")
    print(f"bad_input: scanned {len(texts)} outputs, artifacts and registered results: the stand-in password and Basic credential "
          f"found {admin_hits} times; the passwords written into URLs {sum(url_secrets.values())} times (and "
          f"{url_secrets_on_debug_lines} times on ansible-core's ANSIBLE_DEBUG lines of module arguments, which no module can mask: "
          "not counted)")
    common.write_figures("bad_input", figures)
    if failures:
        print("bad_input: FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print("bad_input: every check held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
