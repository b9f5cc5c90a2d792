# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the built docs site (make docs-site) as a reader sees it.

1. Links: every relative href and src of every HTML page of the site must name a file of the site, and a #fragment
   must name an id (or <a name>) of the page it points to.
2. The guides: each guide listed in docs/docsite/extra-docs.yml has its page, whose heading is the rst file's title,
   and the collection's index links to it; the playbooks guide names every shipped playbook.
3. The browser: the site is served over http on 127.0.0.1 (a free port) and headless Chromium opens the index, the
   phones module's page and the getting-started guide. From the DOM Chromium built (after the pages' scripts ran) it
   checks the page title and heading, the module's options table with every option name, and that the guide's heading
   is shown; every file the browser asked for must have been served (no 404 for a stylesheet, script or image); and a
   screenshot of each page (in --screenshots) must not be blank.

It installs nothing: it needs Chromium (the Makefile installs Debian's chromium) and, for the option names from
ansible-doc, the docs venv's ansible-doc. Every failure is printed with what is wrong; the exit code is 1 when any check
failed, 2 when the check itself could not run.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import posixpath
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import zlib
from html.parser import HTMLParser

COLLECTION = 'imagicle.phonelock'
MODULE = 'imagicle.phonelock.phones'
MODULE_PAGE = 'phones_module.html'
GUIDE_PAGE = 'docsite/getting_started.html'
PLAYBOOKS_PAGE = 'docsite/playbooks.html'
# Options the module page must show whatever ansible-doc says (the filters, the guard, the connection).
KEY_OPTIONS = ('state', 'department', 'custom_field1', 'custom_field10', 'all_phones', 'selections', 'concurrency',
               'fail_on_no_match', 'url', 'username', 'password', 'validate_certs', 'ca_path', 'timeout', 'retries')
LINK_ATTRIBUTES = {'a': ('href',), 'link': ('href',), 'script': ('src',), 'img': ('src',), 'iframe': ('src',),
                   'source': ('src',), 'audio': ('src',), 'video': ('src',), 'area': ('href',)}
WINDOW = (1280, 1600)
CHROMIUM_TIMEOUT = 90


class Page(HTMLParser):
    """What the checks need of one HTML document: its ids, its links, its title and headings, the option tables."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []          # (line, tag, attribute, value)
        self.title = ''
        self.headings = []       # (level, text)
        self.options = []        # (anchor id, option name) of the rows of option tables
        self.option_tables = 0
        self._capture = None     # (kind, level) while collecting text
        self._text = []
        self._table_depth = 0
        self._option_table_depth = None
        self._anchor = None
        self._skip_depth = 0     # inside <script> / <style>
        self._headerlink = 0     # inside a heading's permalink (<a class="headerlink">, an icon glyph)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ('id',) + (('name',) if tag == 'a' else ()):
            if attributes.get(name):
                self.ids.add(attributes[name])
        for attribute in LINK_ATTRIBUTES.get(tag, ()):
            if attributes.get(attribute) is not None:
                self.links.append((self.getpos()[0], tag, attribute, attributes[attribute]))
        classes = (attributes.get('class') or '').split()
        if tag in ('script', 'style'):
            self._skip_depth += 1
        if tag == 'a' and ('headerlink' in classes or self._headerlink):
            self._headerlink += 1
        if tag == 'table':
            self._table_depth += 1
            if 'ansible-option-table' in classes and self._option_table_depth is None:
                self._option_table_depth = self._table_depth
                self.option_tables += 1
        if tag == 'div' and 'ansibleOptionAnchor' in classes:
            self._anchor = attributes.get('id')
        if tag == 'title':
            self._start('title', 0)
        elif re.fullmatch(r'h[1-6]', tag):
            self._start('heading', int(tag[1]))
        elif tag == 'p' and 'ansible-option-title' in classes and self._option_table_depth is not None:
            self._start('option', 0)

    def handle_endtag(self, tag):
        if tag in ('script', 'style') and self._skip_depth:
            self._skip_depth -= 1
        if tag == 'a' and self._headerlink:
            self._headerlink -= 1
        if tag == 'table':
            if self._option_table_depth == self._table_depth:
                self._option_table_depth = None
            self._table_depth -= 1
        if self._capture is None:
            return
        kind, level = self._capture
        if (kind == 'title' and tag == 'title') or (kind == 'heading' and tag == 'h%d' % level) or (kind == 'option' and tag == 'p'):
            text = ' '.join(''.join(self._text).split())
            if kind == 'title':
                self.title = text
            elif kind == 'heading':
                self.headings.append((level, text))
            else:
                self.options.append((self._anchor or '', text))
                self._anchor = None
            self._capture = None

    def handle_data(self, data):
        if self._capture is not None and not self._headerlink and not (self._skip_depth and self._capture[0] != 'title'):
            self._text.append(data)

    def _start(self, kind, level):
        self._capture = (kind, level)
        self._text = []

    @property
    def h1(self):
        return next((text for level, text in self.headings if level == 1), None)


def parse(text):
    page = Page()
    page.feed(text)
    page.close()
    return page


@functools.lru_cache(maxsize=None)
def parse_file(path):
    with open(path, encoding='utf-8') as handle:
        return parse(handle.read())


class Checks:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def ok(self, message):
        self.passed += 1
        print('ok: %s' % message)

    def fail(self, message):
        self.failures.append(message)
        print('FAILED: %s' % message)

    def check(self, condition, message, failure):
        if condition:
            self.ok(message)
        else:
            self.fail(failure)
        return condition


# --- 1. links ------------------------------------------------------------------------------------------------------
def is_internal(value):
    parts = urllib.parse.urlsplit(value)
    return not parts.scheme and not parts.netloc and not value.startswith('//')


def resolve(site, page_path, value):
    """(file path or None for the page itself, fragment) of a relative link found on page_path (relative to site)."""
    parts = urllib.parse.urlsplit(value)
    path = urllib.parse.unquote(parts.path)
    fragment = urllib.parse.unquote(parts.fragment)
    if not path:
        return page_path, fragment
    if path.startswith('/'):
        target = posixpath.normpath(path.lstrip('/'))
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page_path), path))
    if path.endswith('/') or os.path.isdir(os.path.join(site, target)):
        target = posixpath.join(target, 'index.html')
    return target, fragment


def html_pages(site):
    pages = []
    for folder, dummy, files in os.walk(site):
        for name in files:
            if name.endswith('.html'):
                pages.append(os.path.relpath(os.path.join(folder, name), site).replace(os.sep, '/'))
    return sorted(pages)


def check_links(site, checks):
    pages = html_pages(site)
    if not pages:
        checks.fail('%s holds no HTML page: was the site built?' % site)
        return
    problems = {}    # what is wrong -> where it was found
    count = 0
    for page_path in pages:
        for line, tag, attribute, value in parse_file(os.path.join(site, page_path)).links:
            value = value.strip()
            if not value or not is_internal(value) or value.startswith(('mailto:', 'javascript:', 'data:')):
                continue
            count += 1
            target, fragment = resolve(site, page_path, value)
            full = os.path.join(site, target)
            if target == '..' or target.startswith('../'):
                problem = 'link outside the site: %s' % target
            elif not os.path.isfile(full):
                problem = 'broken link: %s does not exist' % target
            elif fragment and target.endswith('.html') and fragment not in parse_file(full).ids:
                problem = 'broken anchor: %s has no id "%s"' % (target, fragment)
            else:
                continue
            problems.setdefault(problem, []).append('%s line %d <%s %s="%s">' % (page_path, line, tag, attribute, value))
    for problem, where in sorted(problems.items()):
        pages_with_it = len(set(place.split(' line ')[0] for place in where))
        shown = '; '.join(where[:3]) + ('; ...' if len(where) > 3 else '')
        checks.fail('%s (%d link(s) on %d page(s): %s)' % (problem, len(where), pages_with_it, shown))
    if not problems:
        checks.ok('links: %d relative links and anchors on %d pages all resolve' % (count, len(pages)))


# --- 2. the guides, from extra-docs.yml ------------------------------------------------------------------------------
def rst_title(path):
    """The document title of an rst file: the first line underlined with = (overline allowed)."""
    with open(path, encoding='utf-8') as handle:
        lines = handle.read().splitlines()
    for number in range(1, len(lines)):
        underline = lines[number].strip()
        text = lines[number - 1].strip()
        if text and not text.startswith('..') and re.fullmatch(r'={3,}', underline) and len(underline) >= len(text):
            return text.replace('``', '')
    return None


def guide_names(extra_docs):
    """The toctree entries of extra-docs.yml (YAML read with PyYAML, which antsibull-docs brings to its venv)."""
    import yaml  # pylint: disable=import-outside-toplevel
    with open(extra_docs, encoding='utf-8') as handle:
        data = yaml.safe_load(handle) or {}
    names = []
    for section in data.get('sections') or []:
        for entry in section.get('toctree') or []:
            names.append(entry['ref'] if isinstance(entry, dict) else entry)
    return names


def check_guides(site, docs, checks):
    names = guide_names(os.path.join(docs, 'extra-docs.yml'))
    if not checks.check(names, 'guides: %d listed in extra-docs.yml' % len(names), 'extra-docs.yml lists no guide'):
        return
    index = parse_file(os.path.join(site, 'index.html')) if os.path.isfile(os.path.join(site, 'index.html')) else None
    index_targets = set(resolve(site, 'index.html', value)[0] for dummy, dummy2, dummy3, value in (index.links if index else ())
                        if is_internal(value))
    for name in names:
        page_path = 'docsite/%s.html' % name
        full = os.path.join(site, page_path)
        if not os.path.isfile(full):
            checks.fail('guide %s: %s was not built' % (name, page_path))
            continue
        expected = rst_title(os.path.join(docs, 'rst', name + '.rst'))
        shown = parse_file(full).h1
        checks.check(shown == expected, 'guide %s: heading "%s"' % (name, shown),
                     'guide %s: %s has the heading %r, the rst title is %r' % (name, page_path, shown, expected))
        checks.check(page_path in index_targets, 'guide %s: linked from index.html' % name,
                     'guide %s: index.html has no link to %s' % (name, page_path))


def check_playbooks(site, playbooks, checks):
    names = sorted(os.path.splitext(name)[0] for name in os.listdir(playbooks) if name.endswith(('.yml', '.yaml')))
    full = os.path.join(site, PLAYBOOKS_PAGE)
    if not os.path.isfile(full):
        checks.fail('playbooks: %s was not built' % PLAYBOOKS_PAGE)
        return
    with open(full, encoding='utf-8') as handle:
        text = handle.read()
    missing = [name for name in names if '%s.%s' % (COLLECTION, name) not in text]
    checks.check(not missing, 'playbooks: %s names all %d playbooks of %s' % (PLAYBOOKS_PAGE, len(names), playbooks),
                 'playbooks: %s does not name %s' % (PLAYBOOKS_PAGE, ', '.join('%s.%s' % (COLLECTION, name) for name in missing)))


# --- 3. the browser ----------------------------------------------------------------------------------------------------
class Server:
    """The site over http on 127.0.0.1 and a free port, with a log of what was asked and answered."""

    def __init__(self, site):
        self.requests = []
        self._lock = threading.Lock()
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=site, **kwargs)

            def log_request(self, code='-', size='-'):
                with server._lock:
                    server.requests.append((self.path, int(code) if str(code).isdigit() else 0))

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.base = 'http://127.0.0.1:%d/' % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def take(self):
        with self._lock:
            taken, self.requests = self.requests, []
        return taken


class Browser:
    def __init__(self, chromium, workdir):
        self.chromium = chromium
        self.workdir = workdir

    def run(self, url, *mode):
        profile = tempfile.mkdtemp(prefix='profile-', dir=self.workdir)
        env = dict(os.environ, HOME=profile, XDG_CONFIG_HOME=profile, XDG_CACHE_HOME=profile)
        command = [self.chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                   '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--disable-sync',
                   '--disable-background-networking', '--disable-component-update', '--disable-domain-reliability',
                   '--no-pings', '--hide-scrollbars', '--mute-audio', '--user-data-dir=%s' % profile,
                   '--window-size=%d,%d' % WINDOW, '--virtual-time-budget=5000'] + list(mode) + [url]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT, env=env, check=False)
        except subprocess.TimeoutExpired:
            return None, 'Chromium did not finish within %d s: %s' % (CHROMIUM_TIMEOUT, ' '.join(command))
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        if done.returncode != 0:
            return None, 'Chromium exited with %d for %s: %s' % (done.returncode, url, done.stderr.strip()[-2000:])
        return done.stdout, None


def png_pixels(path):
    """(width, height, rows of pixel tuples) of an 8-bit, non-interlaced RGB or RGBA PNG, as Chromium writes them."""
    with open(path, 'rb') as handle:
        data = handle.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG file')
    offset, idat, header = 8, [], None
    while offset < len(data):
        length, kind = struct.unpack('>I4s', data[offset:offset + 8])
        chunk = data[offset + 8:offset + 8 + length]
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', chunk)
        elif kind == b'IDAT':
            idat.append(chunk)
        offset += 12 + length
    width, height, depth, color, dummy, dummy2, interlace = header
    channels = {2: 3, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        raise ValueError('unexpected PNG format (depth %d, color type %d, interlace %d)' % (depth, color, interlace))
    raw = zlib.decompress(b''.join(idat))
    stride = width * channels
    rows, previous, position = [], bytearray(stride), 0
    for dummy in range(height):
        kind = raw[position]
        line = bytearray(raw[position + 1:position + 1 + stride])
        position += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xff
            elif kind == 2:
                line[i] = (line[i] + up) & 0xff
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xff
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xff
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def screenshot_problem(path):
    """Why the screenshot is not a rendered page, or None: it must exist, and not be (nearly) one colour."""
    if not os.path.isfile(path):
        return 'no screenshot was written'
    try:
        width, height, channels, rows = png_pixels(path)
    except (ValueError, zlib.error, struct.error, TypeError) as exc:
        return 'the screenshot cannot be read: %s' % exc
    if (width, height) != WINDOW:
        return 'the screenshot is %dx%d, not the window size %dx%d' % (width, height, WINDOW[0], WINDOW[1])
    counts = {}
    for row in rows[::4]:
        for i in range(0, len(row), channels * 4):
            pixel = row[i:i + 3]
            counts[pixel] = counts.get(pixel, 0) + 1
    total = sum(counts.values())
    background = max(counts.values())
    if len(counts) < 16 or (total - background) < total * 0.02:
        return 'the screenshot is blank: %d colours, %.1f %% of it not the background' % (
            len(counts), 100.0 * (total - background) / total)
    return None


def browse(checks, browser, server, page_path, screenshots):
    """Open one page in Chromium: its DOM (None when it could not be read), after checking what the browser fetched
    and the screenshot."""
    url = server.base + page_path
    server.take()
    dom, error = browser.run(url, '--dump-dom')
    fetched = server.take()
    if error:
        checks.fail('%s: %s' % (page_path, error))
        return None
    failed = sorted(set('%s (HTTP %d)' % (path, code) for path, code in fetched
                        if code >= 400 and not path.startswith('/favicon.ico')))
    checks.check(not failed and any(path.split('?')[0] == '/' + page_path for path, dummy in fetched),
                 '%s: Chromium loaded it and its %d files' % (page_path, len(fetched) - 1),
                 '%s: the browser could not load %s' % (page_path, ', '.join(failed) or 'the page itself'))
    shot = os.path.join(screenshots, page_path.replace('/', '_').replace('.html', '.png'))
    dummy, error = browser.run(url, '--screenshot=%s' % shot)
    problem = error or screenshot_problem(shot)
    checks.check(problem is None, '%s: screenshot %s' % (page_path, shot), '%s: %s' % (page_path, problem))
    return parse(dom)


def module_options(ansible_doc):
    """The module's top-level option names (and aliases) as ansible-doc has them, or None without ansible-doc."""
    if not ansible_doc:
        return None
    done = subprocess.run([ansible_doc, '--json', MODULE], capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError('%s --json %s failed: %s' % (ansible_doc, MODULE, done.stderr.strip()))
    return json.loads(done.stdout)[MODULE]['doc']['options']


def check_in_browser(site, docs, chromium, screenshots, ansible_doc, checks):
    os.makedirs(screenshots, exist_ok=True)
    options = module_options(ansible_doc)
    with tempfile.TemporaryDirectory(prefix='check-site-') as workdir, Server(site) as server:
        browser = Browser(chromium, workdir)

        index = browse(checks, browser, server, 'index.html', screenshots)
        if index is not None:
            checks.check(index.h1 and index.h1.lower() == COLLECTION and index.title.startswith(index.h1)
                         and COLLECTION in index.title,
                         'index.html: title "%s", heading "%s"' % (index.title, index.h1),
                         'index.html: title %r and heading %r, expected the heading %s in both' % (index.title, index.h1, COLLECTION))
            links = set(resolve(site, 'index.html', value)[0] for dummy, dummy2, dummy3, value in index.links if is_internal(value))
            checks.check(MODULE_PAGE in links and 'office_hours_role.html' in links,
                         'index.html: links to the module and the role',
                         'index.html: no link to %s' % ' or '.join(page for page in (MODULE_PAGE, 'office_hours_role.html') if page not in links))

        module = browse(checks, browser, server, MODULE_PAGE, screenshots)
        if module is not None:
            heading = '%s module' % MODULE
            checks.check((module.h1 or '').startswith(heading) and module.title.startswith(heading),
                         '%s: title "%s"' % (MODULE_PAGE, module.title),
                         '%s: title %r and heading %r, expected both to start with %r' % (MODULE_PAGE, module.title, module.h1, heading))
            shown = dict((anchor, name) for anchor, name in module.options if anchor.startswith('parameter-') and '/' not in anchor)
            names = set(shown.values())
            expected = set(KEY_OPTIONS)
            if options is not None:
                expected |= set(options)
            missing = sorted(expected - names)
            checks.check(module.option_tables and not missing,
                         '%s: the options table shows all %d options (%s)' % (MODULE_PAGE, len(expected), ', '.join(sorted(expected))),
                         '%s: %s' % (MODULE_PAGE, 'no options table' if not module.option_tables else
                                     'the options table does not show %s' % ', '.join(missing)))
            if options is not None:
                unknown = sorted(names - set(options))
                checks.check(not unknown, '%s: every option shown is one ansible-doc knows' % MODULE_PAGE,
                             '%s: the options table shows %s, which ansible-doc does not know' % (MODULE_PAGE, ', '.join(unknown)))

        guide = browse(checks, browser, server, GUIDE_PAGE, screenshots)
        if guide is not None:
            expected = rst_title(os.path.join(docs, 'rst', os.path.basename(GUIDE_PAGE)[:-len('.html')] + '.rst'))
            checks.check(guide.h1 == expected and guide.title.startswith(expected or '\0'),
                         '%s: title "%s", heading "%s"' % (GUIDE_PAGE, guide.title, guide.h1),
                         '%s: title %r and heading %r, expected the guide\'s title %r' % (GUIDE_PAGE, guide.title, guide.h1, expected))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('site', help='the built HTML site (.build/docsite/build/html)')
    parser.add_argument('--chromium', default='/usr/bin/chromium', help='the Chromium to run headless')
    parser.add_argument('--screenshots', default='.build/docsite-screenshots', help='where the screenshots go')
    parser.add_argument('--docs', default='docs/docsite', help='the docs/docsite folder of the collection (extra-docs.yml, rst/)')
    parser.add_argument('--playbooks', help='the playbooks folder: the playbooks guide must name each playbook in it')
    parser.add_argument('--ansible-doc', help='an ansible-doc that finds the collection: the module page must show every '
                                              'option it knows (default: ansible-doc on PATH, if any)')
    parser.add_argument('--no-browser', action='store_true', help='only the checks of the HTML files')
    args = parser.parse_args(argv)
    site = os.path.abspath(args.site)
    if not os.path.isdir(site):
        print('ERROR: %s is not a folder: build the site first (make docs-site)' % site, file=sys.stderr)
        return 2
    if not args.no_browser and not os.access(args.chromium, os.X_OK):
        print('ERROR: %s is not an executable Chromium (apt-get install chromium, or --chromium PATH)' % args.chromium,
              file=sys.stderr)
        return 2

    checks = Checks()
    check_links(site, checks)
    check_guides(site, args.docs, checks)
    if args.playbooks:
        check_playbooks(site, args.playbooks, checks)
    if not args.no_browser:
        try:
            check_in_browser(site, args.docs, args.chromium, os.path.abspath(args.screenshots),
                             args.ansible_doc or shutil.which('ansible-doc'), checks)
        except (OSError, RuntimeError, ValueError, KeyError) as exc:
            print('ERROR: the browser check could not run: %s' % exc, file=sys.stderr)
            return 2
    if checks.failures:
        print('\ndocs site check FAILED: %d problem(s), %d check(s) passed:' % (len(checks.failures), checks.passed))
        for failure in checks.failures:
            print('  - %s' % failure)
        return 1
    print('\ndocs site check: all %d checks passed' % checks.passed)
    return 0


if __name__ == '__main__':
    sys.exit(main())
