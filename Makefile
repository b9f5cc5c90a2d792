# Test toolchain for the imagicle.phonelock collection.
#
# Every target does its own set-up on a fresh clone (virtual environments, a copy of the collection for
# ansible-test, the offline get-pip stand-in, shellcheck). `make help` lists the targets.
# Nothing is written outside the repository except ansible-test's own folder ~/.ansible/test
# (its get-pip cache and the virtual environments of the sanity tools).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
# One copy of the collection is shared by the ansible-test runs: never run them in parallel.
.NOTPARALLEL:
MAKEFLAGS += --no-print-directory

ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
CACHE := $(ROOT)/.cache
BUILD := $(ROOT)/.build
DIST := $(BUILD)/dist
# The collections path the built collection is installed into (make docs, make demo).
INSTALL_PATH := $(BUILD)/collections
# ansible-test only works on a real copy under .../ansible_collections/NAMESPACE/NAME with its own git repo: one per
# ansible-core, so that make test can run the 2.16 and the 2.21 runs side by side.
COPY216 := $(BUILD)/core216/ansible_collections/imagicle/phonelock
COPY221 := $(BUILD)/core221/ansible_collections/imagicle/phonelock
# A folder of links to the real interpreters (pyenv shims exit 127 inside ansible-test).
PYBIN := $(CACHE)/pybin
# ansible-test looks for its bootstrap script here before it tries to download one.
GET_PIP_CACHE := $(HOME)/.ansible/test/cache

NAMESPACE := imagicle
NAME := phonelock
VERSION := $(shell sed -n 's/^version:[[:space:]]*//p' galaxy.yml)
TARBALL := $(DIST)/$(NAMESPACE)-$(NAME)-$(VERSION).tar.gz

# Every environment is installed by uv from its lock file in $(LOCK) (exact versions with hashes; tests/tooling/locks.py),
# and checked to hold exactly that after the build. LATEST=1 (make test-latest) builds them from the ranges instead, in
# .venv-latest: a new release that breaks us shows up there, never as a red make test. make lock refreshes the locks.
LOCK := tests/tooling/lock
CONSTRAINTS := tests/tooling/constraints.txt
LATEST ?=
ifeq ($(LATEST),1)
VENV := $(ROOT)/.venv-latest
endif
# uv itself: from its own lock, by pip (which checks the hash), the same in both modes.
UV_VENV := $(ROOT)/.venv/uv
UV := $(UV_VENV)/bin/uv
export UV_CACHE_DIR := $(CACHE)/uv
export UV_PYTHON_DOWNLOADS := never
export UV_NO_CONFIG := 1

CORE216 := $(VENV)/core216
CORE221 := $(VENV)/core221
TOOLS := $(VENV)/tools
TOOLS_PY := $(TOOLS)/bin/python

# Keep Ansible's state inside the project, never in ~/.ansible or /.
export ANSIBLE_HOME := $(CACHE)/ansible-home
export ANSIBLE_LOCAL_TEMP := $(CACHE)/ansible-tmp
export ANSIBLE_REMOTE_TEMP := $(CACHE)/ansible-tmp
export ANSIBLE_COLLECTIONS_PATH := $(INSTALL_PATH)
export ANSIBLE_NOCOLOR := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PYTHONDONTWRITEBYTECODE := 1

# --- interpreters ------------------------------------------------------------------------------
# $(call real_python,X.Y,X.Y.Z): a real (non-shim) pythonX.Y: pyenv's X.Y.Z, else pyenv's newest X.Y,
# else pythonX.Y from PATH resolved to the interpreter behind it. Empty when none is found.
real_python = $(shell \
  for prefix in "$$(pyenv prefix $(2) 2>/dev/null)" "$$(pyenv prefix "$$(pyenv latest $(1) 2>/dev/null)" 2>/dev/null)"; do \
    if [ -n "$$prefix" ] && [ -x "$$prefix/bin/python$(1)" ]; then echo "$$prefix/bin/python$(1)"; exit 0; fi; \
  done; \
  python$(1) -c 'import os, sys; print(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))' 2>/dev/null || true)

PY311 := $(call real_python,3.11,3.11.7)
PY312 := $(call real_python,3.12,3.12.1)

# $(call ansible_test,VENV,PYTHON,ARGS,LOG,COPY): run the venv's ansible-test with --python PYTHON inside COPY, the copy of
# the collection (the venv and the real interpreters first on PATH), log to .build/LOG.log, and fail when it ran
# nothing: a skipped run exits 0.
define ansible_test
@echo '>> ansible-test $(firstword $(3)): $(notdir $(1)), Python $(2)'
cd $(5) && PATH="$(1)/bin:$(PYBIN):$$PATH" $(1)/bin/ansible-test $(3) --python $(2) --color no 2>&1 | tee $(BUILD)/$(4).log
@if grep -qE 'All targets skipped\.|No tests found for detected changes' $(BUILD)/$(4).log; then \
  echo 'ERROR: ansible-test ran nothing (see above): a skipped run is not a pass' >&2; exit 1; fi
endef

.PHONY: help test test-latest prepare lock locks lint build install docs docs-site sanity sanity-216 sanity-221 units units-216 units-221 \
	integration integration-216 integration-221 standin-tests simulate molecule systemd systemd-ci demo standin standin-stop quickstart bench bench-fleet bench-awx reliability reliability-ci awx awx-setup \
	release-checks copy copy-216 copy-221 pybin get-pip get-pip-216 get-pip-221 shellcheck venvs \
	clean distclean

help:
	@echo 'make test           $(TEST_FIRST), then side by side on $(TEST_WORKERS) workers: $(foreach step,$(TEST_STEPS),$(firstword $(subst @, ,$(step))))'
	@echo '                    (no step starts after a failure; logs in .build/steps)'
	@echo 'make test-latest    make test with the environments built from the ranges, not the lock files (.venv-latest)'
	@echo 'make lock           refresh the lock files of every environment (LOCKS="tools demo ..." for some); review, commit'
	@echo 'make locks          the lock files match their ranges; every built venv holds exactly its lock'
	@echo 'make lint           ansible-lint --profile production; actionlint (with shellcheck) on .github/workflows'
	@echo 'make build          build $(TARBALL) and check what it contains'
	@echo 'make docs           install the built collection into $(INSTALL_PATH) and run ansible-doc on it'
	@echo 'make docs-site      the HTML docs site (antsibull-docs + Sphinx, warnings are errors) in $(DOCSITE)/build/html,'
	@echo '                    checked in headless Chromium (tests/docsite/check_site.py)'
	@echo 'make sanity         ansible-test sanity: core 2.16 / Python 3.11 and core 2.21 / Python 3.12'
	@echo 'make units          ansible-test units: core 2.16 / Python 3.11 and core 2.21 / Python 3.12'
	@echo 'make integration    ansible-test integration --local: core 2.21 / Python 3.12 and core 2.16 / Python 3.11'
	@echo 'make standin-tests  pytest tests/standin/tests'
	@echo 'make simulate       the office_hours year simulation (every minute of a year, nine sites)'
	@echo 'make molecule       the molecule scenarios under extensions/molecule (the role against the stand-in server)'
	@echo 'make systemd        the timers under a real systemd (252 and 257) in Debian containers: installed, fired, removed'
	@echo '                    (tests/systemd; Debian roots cached under $(CACHE)/systemd), then a fleet of 20 servers on 252;'
	@echo '                    make test runs it as systemd-ci, without the fleet part (about five minutes more)'
	@echo 'make demo           the nightly-lock/morning-unlock demo (demo/run_demo.py) against the stand-in server, from a light'
	@echo '                    venv of its own, $(DEMO_VENV) (tests/tooling/requirements-demo.txt; 68 MB, under 40 s'
	@echo '                    on a fresh clone), with the collection built and installed into $(DEMO_BUILD)'
	@echo 'make standin        start the stand-in server in the background on http://127.0.0.1:$(STANDIN_PORT) (the README'"'"'s quick'
	@echo '                    start; pid and log in $(patsubst $(ROOT)/%,%,$(STANDIN_DIR))) and print the account to use; make standin-stop stops it'
	@echo 'make quickstart     the README'"'"'s quick start as written, against the stand-in (tests/quickstart)'
	@echo 'make bench          time one phones task with many selections against uri / requests loops (benchmarks/bench.py;'
	@echo '                    BENCH_ARGS=--quick for a smoke run); not part of make test'
	@echo 'make bench-fleet    N servers closing at one instant, run as the installed timers would (benchmarks/fleet.py;'
	@echo '                    BENCH_FLEET_ARGS, default --layout fleet --servers 1,10,100,300); not part of make test'
	@echo 'make bench-awx      awx_setup for a fleet against the fake controller: first run and no-change rerun, time and'
	@echo '                    API calls (tests/awx/fleet_measure.py; BENCH_AWX_ARGS); not part of make test'
	@echo 'make reliability    bad input, faults, secrets and load against the stand-in; prints the figures table'
	@echo '                    (tests/reliability; make test runs it as reliability-ci, with 6 instead of 20 load runs)'
	@echo 'make awx            the nightly lock run by ansible-runner as AWX runs a job; ansible-builder create of the EE'
	@echo 'make release-checks galaxy-importer on the tarball, antsibull-docs lint-collection-docs, antsibull-changelog lint'
	@echo 'make clean          remove build output and caches; make distclean also removes .venv'

# --- set-up ------------------------------------------------------------------------------------
pybin:
	@test -n "$(PY311)" || { echo 'ERROR: no Python 3.11 found (tried pyenv 3.11.7, pyenv latest 3.11, python3.11 on PATH)' >&2; exit 1; }
	@test -n "$(PY312)" || { echo 'ERROR: no Python 3.12 found (tried pyenv 3.12.1, pyenv latest 3.12, python3.12 on PATH); install one, e.g. pyenv install 3.12' >&2; exit 1; }
	@mkdir -p $(PYBIN)
	@ln -sfn $(PY311) $(PYBIN)/python3.11
	@ln -sfn $(PY312) $(PYBIN)/python3.12
	@ln -sfn $(PY311) $(PYBIN)/python3
	@ln -sfn $(PY311) $(PYBIN)/python
	@$(PYBIN)/python3.11 -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version'
	@$(PYBIN)/python3.12 -c 'import sys; assert sys.version_info[:2] == (3, 12), sys.version'

$(UV): $(LOCK)/uv.txt
	@test -n "$(PY311)" || { echo 'ERROR: no Python 3.11 found (tried pyenv 3.11.7, pyenv latest 3.11, python3.11 on PATH)' >&2; exit 1; }
	@echo '>> building $(patsubst $(ROOT)/%,%,$(UV_VENV)) with $(PY311) from $(LOCK)/uv.txt'
	rm -rf $(UV_VENV)
	$(PY311) -m venv $(UV_VENV)
	$(UV_VENV)/bin/python -m pip install -qq --require-hashes --no-deps -r $(LOCK)/uv.txt
	$(UV_VENV)/bin/python tests/tooling/locks.py venv uv $(UV_VENV)/bin/python
	touch $@

# $(call make_venv,PYTHON,LOCK NAME,RANGES): (re)build the venv of the target's stamp file from $(LOCK)/NAME.txt, and
# check that it holds exactly the lock's packages; with LATEST=1 from RANGES and the constraints. The interpreter's
# own pip stays (ansible-test and the awx.awx download use it); its version comes with the interpreter.
# --compile-bytecode: PYTHONDONTWRITEBYTECODE is set above, so without the .pyc files written at install time every
# ansible command would compile ansible-core anew (measured: twice the start-up time of a one-task run).
define make_venv
@echo '>> building $(patsubst $(ROOT)/%,%,$(@D)) with $(1) from $(if $(filter 1,$(LATEST)),the ranges of $(3),$(LOCK)/$(2).txt)'
rm -rf $(@D)
$(1) -m venv $(@D)
$(if $(filter 1,$(LATEST)),$(UV) pip install --quiet --compile-bytecode --python $(@D)/bin/python -r $(3) -c $(CONSTRAINTS),$(UV) pip install --quiet --compile-bytecode --python $(@D)/bin/python --require-hashes --no-deps -r $(LOCK)/$(2).txt)
$(if $(filter 1,$(LATEST)),@echo '>> $(patsubst $(ROOT)/%,%,$(@D)): from the ranges (LATEST=1) and not checked against $(LOCK)/$(2).txt',$(@D)/bin/python tests/tooling/locks.py venv $(2) $(@D)/bin/python)
$(@D)/bin/python -m pip freeze > $@
endef

$(CORE216)/.stamp: $(LOCK)/core216.txt tests/tooling/requirements-core216.txt | pybin $(UV)
	$(call make_venv,$(PYBIN)/python3.11,core216,tests/tooling/requirements-core216.txt)

$(CORE221)/.stamp: $(LOCK)/core221.txt tests/tooling/requirements-core221.txt | pybin $(UV)
	$(call make_venv,$(PYBIN)/python3.12,core221,tests/tooling/requirements-core221.txt)

$(TOOLS)/.stamp: $(LOCK)/tools.txt tests/tooling/requirements-tools.txt | pybin $(UV)
	$(call make_venv,$(PYBIN)/python3.11,tools,tests/tooling/requirements-tools.txt)

venvs: $(CORE216)/.stamp $(CORE221)/.stamp $(TOOLS)/.stamp

# ansible-test downloads get-pip-<pip version>.py (unreachable here) unless
# ~/.ansible/test/cache/get_pip_<pip version with _>.py exists: put the stand-in under every name
# the installed ansible-test can ask for (get-pip-216 / get-pip-221: that core's ansible-test).
get-pip: get-pip-216 get-pip-221

# $(call place_get_pip,VENV)
define place_get_pip
versions=$$(grep -hoE "\<pip=['\"][0-9][0-9.]*['\"]" $(1)/lib/python*/site-packages/ansible_test/_internal/python_requirements.py \
  | grep -oE '[0-9][0-9.]*' | sort -u); \
test -n "$$versions" || { echo 'ERROR: cannot find the pip versions ansible-test bootstraps (python_requirements.py changed?)' >&2; exit 1; }; \
mkdir -p $(GET_PIP_CACHE); \
for version in $$versions; do \
  cmp -s tests/tooling/get_pip_standin.py $(GET_PIP_CACHE)/get_pip_$${version//./_}.py || \
    install -m 0644 tests/tooling/get_pip_standin.py $(GET_PIP_CACHE)/get_pip_$${version//./_}.py; \
done; \
echo ">> get-pip stand-in in place for the ansible-test of $(patsubst $(ROOT)/%,%,$(1)): pip $$(echo $$versions)"
endef

get-pip-216: $(CORE216)/.stamp
	@$(call place_get_pip,$(CORE216))

get-pip-221: $(CORE221)/.stamp
	@$(call place_get_pip,$(CORE221))

# ansible-test's shellcheck test is skipped silently when shellcheck is missing.
shellcheck:
	@if [ -n "$$(git ls-files -co --exclude-standard -- '*.sh')" ] && ! command -v shellcheck >/dev/null; then \
	  echo '>> installing shellcheck (apt-get)'; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; \
	  command -v shellcheck >/dev/null || { echo 'ERROR: shellcheck is required for the .sh files and could not be installed' >&2; exit 1; }; \
	fi

# A fresh copy of the tracked and untracked-not-ignored files, with its own git repository.
# ansible-test's own virtual environments (--venv) under tests/output/.tmp/delegation are kept from one copy to
# the next: they hold only ansible-test's pinned requirements (ansible-core itself is injected), and ansible-test
# re-checks them on every run.
DELEGATION := tests/output/.tmp/delegation
# $(call make_copy,COPY)
define make_copy
@if [ -d $(1)/$(DELEGATION) ]; then rm -rf $(1).delegation && mv $(1)/$(DELEGATION) $(1).delegation; fi
@rm -rf $(1)
@mkdir -p $(1)
@git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do \
  if [ -e "$$f" ] || [ -L "$$f" ]; then printf '%s\0' "$$f"; fi; done \
  | tar --null -T - -cf - | tar -xf - -C $(1)
@# ansible-test pins its units environments with tests/unit/constraints.txt by itself; not when testing the ranges.
@$(if $(filter 1,$(LATEST)),rm -f $(1)/tests/unit/constraints.txt,true)
@cd $(1) && git init -q && git add -A && \
  git -c user.name=make -c user.email=make@localhost -c commit.gpgsign=false commit -q --no-verify -m 'copy for ansible-test'
@if [ -d $(1).delegation ]; then mkdir -p $(dir $(1)/$(DELEGATION)) && mv $(1).delegation $(1)/$(DELEGATION); fi
@echo ">> copied $$(cd $(1) && git ls-files | wc -l) files to $(patsubst $(ROOT)/%,%,$(1))"
endef

copy: copy-216 copy-221
copy-216:
	$(call make_copy,$(COPY216))
copy-221:
	$(call make_copy,$(COPY221))

# --- sanity ------------------------------------------------------------------------------------
sanity: sanity-216 sanity-221

sanity-216: $(CORE216)/.stamp get-pip-216 shellcheck copy-216
	$(call ansible_test,$(CORE216),3.11,sanity --venv $(SANITY_ARGS),sanity-216,$(COPY216))

sanity-221: $(CORE221)/.stamp get-pip-221 shellcheck copy-221
	$(call ansible_test,$(CORE221),3.12,sanity --venv $(SANITY_ARGS),sanity-221,$(COPY221))

# --- units -------------------------------------------------------------------------------------
units: units-216 units-221

units-216: $(CORE216)/.stamp get-pip-216 copy-216
	$(call ansible_test,$(CORE216),3.11,units --venv $(UNITS_ARGS),units-216,$(COPY216))

units-221: $(CORE221)/.stamp get-pip-221 copy-221
	$(call ansible_test,$(CORE221),3.12,units --venv $(UNITS_ARGS),units-221,$(COPY221))

# --- integration -------------------------------------------------------------------------------
# --local: the playbooks run with the core venv's Python, which has tests/integration/requirements.txt.
integration: integration-221 integration-216

integration-221: $(CORE221)/.stamp copy-221
	$(call ansible_test,$(CORE221),3.12,integration --local $(INTEGRATION_ARGS),integration-221,$(COPY221))

integration-216: $(CORE216)/.stamp copy-216
	$(call ansible_test,$(CORE216),3.11,integration --local $(INTEGRATION_ARGS),integration-216,$(COPY216))

# --- lint --------------------------------------------------------------------------------------
# The second run: tasks written as the README recommends (connection from IMAGICLE_* or module_defaults) must also pass
# the args rule, which galaxy-importer's ansible-lint applies and ansible-lint 26's production profile leaves out.
# actionlint checks the GitHub workflows (keys, expressions, matrix and step references, action inputs, runner labels)
# and runs shellcheck on their run: scripts; without shellcheck it would skip that silently, so it is installed first.
WORKFLOWS := $(sort $(wildcard .github/workflows/*.yml .github/workflows/*.yaml))
lint: $(TOOLS)/.stamp
	@echo '>> ansible-lint --profile production'
	cd $(ROOT) && env -u ANSIBLE_COLLECTIONS_PATH PATH="$(TOOLS)/bin:$$PATH" \
	  $(TOOLS)/bin/ansible-lint --nocolor --profile production --project-dir .
	@echo '>> ansible-lint --enable-list args --strict examples/playbooks'
	cd $(ROOT) && env -u ANSIBLE_COLLECTIONS_PATH PATH="$(TOOLS)/bin:$$PATH" \
	  $(TOOLS)/bin/ansible-lint --nocolor --profile production --enable-list args --strict --project-dir . examples/playbooks
	@if ! command -v shellcheck >/dev/null; then \
	  echo '>> installing shellcheck (apt-get)'; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; \
	  command -v shellcheck >/dev/null || { echo 'ERROR: actionlint needs shellcheck for the run: scripts and it could not be installed' >&2; exit 1; }; \
	fi
	@echo ">> actionlint $$($(TOOLS)/bin/actionlint -version | head -n 1), $$(shellcheck --version | sed -n 's/^version: /shellcheck /p'): $(WORKFLOWS)"
	cd $(ROOT) && $(TOOLS)/bin/actionlint -no-color -shellcheck "$$(command -v shellcheck)" $(WORKFLOWS)

# --- build, docs, demo -------------------------------------------------------------------------
# Paths that must never ship in the tarball (extended regular expressions on tar's member names).
FORBIDDEN_IN_TARBALL := (^|/)(\.venv|\.venv-latest|\.build|\.cache|\.ansible|\.git|__pycache__|\.pytest_cache)(/|$$)|(^|/)tests/output(/|$$)|(^|/)tests/integration/inventory$$

build: $(TOOLS)/.stamp
	@mkdir -p $(DIST)
	@rm -f $(TARBALL)
	$(TOOLS)/bin/ansible-galaxy collection build --force --output-path $(DIST) .
	@test -f $(TARBALL) || { echo 'ERROR: $(TARBALL) was not built' >&2; exit 1; }
	@if tar -tzf $(TARBALL) | sed 's|^\./||' | grep -E '$(FORBIDDEN_IN_TARBALL)'; then \
	  echo 'ERROR: the tarball contains the paths above: add them to build_ignore in galaxy.yml' >&2; exit 1; fi
	@echo ">> $(patsubst $(ROOT)/%,%,$(TARBALL)): $$(tar -tzf $(TARBALL) | wc -l) entries, none forbidden"

ifeq ($(PREPARED),1)
# make test's steps run side by side on what its prepare step built: none rebuilds the collection under another.
install:
	@test -f $(INSTALL_PATH)/ansible_collections/$(NAMESPACE)/$(NAME)/MANIFEST.json \
	  || { echo 'ERROR: PREPARED=1 but the collection is not installed in $(INSTALL_PATH) (make prepare)' >&2; exit 1; }
else
install: build
	$(TOOLS)/bin/ansible-galaxy collection install --force --offline -p $(INSTALL_PATH) $(TARBALL)
endif

FILTERS := $(sort $(basename $(notdir $(wildcard plugins/filter/*.py))))
PLAYBOOKS := $(sort $(basename $(notdir $(wildcard playbooks/*.yml))))

# awx.awx for playbooks/awx_setup.yml (syntax check, make awx-setup). Pinned knowingly: awx.awx 24.6.1 (the last AWX
# release) as the ansible 12.3.0 wheel on PyPI bundles it, that wheel checked by its sha256, the extracted collection
# checked to be 24.6.1. Galaxy, awx.awx's real home, cannot be reached here; the ansible package stopped bundling awx.awx
# with 14.0, so this pin must never float to a newer ansible. With Galaxy: ansible-galaxy collection install awx.awx:==24.6.1.
# Installing extensions/awx/requirements.yml --offline over it then checks that it satisfies the requirements file.
AWX_SOURCE := ansible==12.3.0
AWX_SOURCE_SHA256 := cd156f82fa87f7a899212b0efa9f7ca3a24d609212de9f78428a572eb01e5414
AWX_VERSION := 24.6.1
AWX_PATH := $(BUILD)/awx-collections
$(AWX_PATH)/.stamp: extensions/awx/requirements.yml $(TOOLS)/.stamp
	@echo '>> awx.awx $(AWX_VERSION) from $(AWX_SOURCE) (PyPI, sha256 $(AWX_SOURCE_SHA256)) into $(patsubst $(ROOT)/%,%,$(AWX_PATH))'
	rm -rf $(AWX_PATH) $(CACHE)/awx-wheel
	$(TOOLS_PY) -m pip download -qq --no-deps -d $(CACHE)/awx-wheel '$(AWX_SOURCE)'
	echo '$(AWX_SOURCE_SHA256)  '$$(ls $(CACHE)/awx-wheel/*.whl) | sha256sum --check --quiet \
	  || { echo 'ERROR: the $(AWX_SOURCE) wheel is not the one pinned (AWX_SOURCE_SHA256)' >&2; exit 1; }
	$(TOOLS_PY) -c 'import sys, zipfile; wheel = zipfile.ZipFile(sys.argv[1]); \
	  wheel.extractall(sys.argv[2], [n for n in wheel.namelist() if n.startswith("ansible_collections/awx/awx/")])' \
	  $(CACHE)/awx-wheel/*.whl $(AWX_PATH)
	$(TOOLS_PY) -c 'import json, sys; found = json.load(open(sys.argv[1]))["collection_info"]["version"]; \
	  sys.exit(None if found == sys.argv[2] else "ERROR: $(AWX_SOURCE) holds awx.awx %s, not %s (AWX_VERSION)" % (found, sys.argv[2]))' \
	  $(AWX_PATH)/ansible_collections/awx/awx/MANIFEST.json $(AWX_VERSION)
	ANSIBLE_COLLECTIONS_PATH=$(AWX_PATH) $(TOOLS)/bin/ansible-galaxy collection install --offline \
	  -r extensions/awx/requirements.yml -p $(AWX_PATH) 2>&1 | tee $(BUILD)/awx-requirements.log
	grep -q 'All requested collections are already installed' $(BUILD)/awx-requirements.log
	touch $@

# ansible-doc only warns about an unknown plugin: check_docs.py compares what it renders with the code.
docs: install $(AWX_PATH)/.stamp
	$(TOOLS)/bin/ansible-doc imagicle.phonelock.phones > $(BUILD)/phones-doc.txt
	@head -n 5 $(BUILD)/phones-doc.txt
	PYTHONPATH=$(INSTALL_PATH) $(TOOLS_PY) tests/tooling/check_docs.py module imagicle.phonelock.phones
	$(TOOLS_PY) tests/tooling/check_docs.py filter $(addprefix imagicle.phonelock.,$(FILTERS))
	$(TOOLS_PY) tests/tooling/check_docs.py role imagicle.phonelock.office_hours roles/office_hours
	@for playbook in $(PLAYBOOKS); do \
	  ANSIBLE_COLLECTIONS_PATH=$(INSTALL_PATH):$(AWX_PATH) $(TOOLS)/bin/ansible-playbook --syntax-check imagicle.phonelock.$$playbook >/dev/null \
	    || { echo "ERROR: ansible-playbook --syntax-check imagicle.phonelock.$$playbook failed" >&2; exit 1; }; \
	  echo ">> ansible-playbook --syntax-check imagicle.phonelock.$$playbook: ok"; \
	done
	@# awx_setup's short module names resolve with awx.awx alone (ansible.controller, first in its order, is absent here).
	ANSIBLE_COLLECTIONS_PATH=$(INSTALL_PATH):$(AWX_PATH) $(TOOLS)/bin/ansible-playbook --syntax-check playbooks/awx_setup.yml
	@# The README's install into a repository: -p ./collections, found through collections_path in the repository's ansible.cfg.
	rm -rf $(BUILD)/iac && mkdir -p $(BUILD)/iac && printf '[defaults]\ncollections_path = ./collections\n' > $(BUILD)/iac/ansible.cfg
	cd $(BUILD)/iac && env -u ANSIBLE_COLLECTIONS_PATH $(TOOLS)/bin/ansible-galaxy collection install --offline -p ./collections $(TARBALL) 2>&1 \
	  | tee $(BUILD)/iac/install.log
	@! grep -i 'warning' $(BUILD)/iac/install.log || { echo 'ERROR: installing into ./collections warned (above)' >&2; exit 1; }
	@cd $(BUILD)/iac && env -u ANSIBLE_COLLECTIONS_PATH $(TOOLS)/bin/ansible-doc imagicle.phonelock.phones | head -n 1 \
	  | grep -F '$(BUILD)/iac/collections/ansible_collections/imagicle/phonelock/' \
	  || { echo 'ERROR: ansible-doc did not find the collection in ./collections through ansible.cfg' >&2; exit 1; }

# make demo needs none of the test tools: its own venv (tests/tooling/requirements-demo.txt) builds the collection,
# installs it into $(DEMO_BUILD) and runs it. pip and setuptools are removed once they have installed it (a quarter of
# the venv; the recipe starts from rm -rf, so nothing installs into it later). Needs Python 3.11 only.
DEMO_VENV := $(VENV)/demo
DEMO_BUILD := $(BUILD)/demo
$(DEMO_VENV)/.stamp: $(LOCK)/demo.txt tests/tooling/requirements-demo.txt | $(UV)
	$(call make_venv,$(PY311),demo,tests/tooling/requirements-demo.txt)
	$(UV) pip uninstall --quiet --python $(@D)/bin/python pip setuptools

demo: export ANSIBLE_COLLECTIONS_PATH := $(DEMO_BUILD)/collections
demo: $(DEMO_VENV)/.stamp
	@mkdir -p $(DEMO_BUILD)/dist
	@rm -f $(DEMO_BUILD)/output.log
	$(DEMO_VENV)/bin/ansible-galaxy collection build --force --output-path $(DEMO_BUILD)/dist . 2>&1 | tee -a $(DEMO_BUILD)/output.log
	$(DEMO_VENV)/bin/ansible-galaxy collection install --force --offline -p $(DEMO_BUILD)/collections \
	  $(DEMO_BUILD)/dist/$(notdir $(TARBALL)) 2>&1 | tee -a $(DEMO_BUILD)/output.log
	$(DEMO_VENV)/bin/python demo/run_demo.py 2>&1 | tee -a $(DEMO_BUILD)/output.log
	@# A warning in the demo is a fault to fix (a dependency's deprecation, Ansible's own), never noise to live with. The one
	@# expected warning: the stand-in serves plain HTTP, and the module says once per task that the password travels unencrypted.
	@! grep -inE 'warn' $(DEMO_BUILD)/output.log | grep -vF 'is plain HTTP: every request carries the username and password' \
	  || { echo 'ERROR: make demo printed the warnings above' >&2; exit 1; }

# --- the README's quick start: the stand-in server in the background, and the test of the quick start ---------------
# make standin starts tests/standin/server.py from make demo's light venv (it needs werkzeug) on a fixed local port,
# waits until it serves, and prints the URL and the account as the export line the README uses; make standin-stop ends
# it. Its pid, port and log are in STANDIN_DIR. STANDIN_PORT=0 takes a free port (the quick-start test does, so that
# it never meets a stand-in a developer left running).
STANDIN_PORT ?= 8765
STANDIN_DIR ?= $(BUILD)/standin
STANDIN_ACCOUNT := IMAGICLE_USERNAME=api-complete IMAGICLE_PASSWORD=Complete-Mgmt-2020

standin: $(DEMO_VENV)/.stamp
	@mkdir -p $(STANDIN_DIR)
	@if [ -f $(STANDIN_DIR)/standin.pid ] && kill -0 "$$(cat $(STANDIN_DIR)/standin.pid)" 2>/dev/null; then \
	  echo ">> the stand-in is already running (pid $$(cat $(STANDIN_DIR)/standin.pid))"; \
	else \
	  rm -f $(STANDIN_DIR)/standin.port $(STANDIN_DIR)/standin.pid; \
	  nohup $(DEMO_VENV)/bin/python tests/standin/server.py --port $(STANDIN_PORT) --port-file $(STANDIN_DIR)/standin.port \
	    --pid-file $(STANDIN_DIR)/standin.pid --log-file $(STANDIN_DIR)/standin.log </dev/null >$(STANDIN_DIR)/standin.out 2>&1 & \
	  pid=$$!; \
	  for dummy in $$(seq 150); do \
	    [ -s $(STANDIN_DIR)/standin.port ] && break; \
	    kill -0 $$pid 2>/dev/null || { cat $(STANDIN_DIR)/standin.out >&2; \
	      echo 'ERROR: the stand-in did not start (above); is port $(STANDIN_PORT) taken? STANDIN_PORT=N make standin uses another' >&2; exit 1; }; \
	    sleep 0.1; \
	  done; \
	  [ -s $(STANDIN_DIR)/standin.port ] || { kill $$pid; echo 'ERROR: the stand-in was not ready after 15 s' >&2; exit 1; }; \
	fi
	@echo ">> the stand-in Phone Lock server is at http://127.0.0.1:$$(cat $(STANDIN_DIR)/standin.port) (pid $$(cat $(STANDIN_DIR)/standin.pid), log $(patsubst $(ROOT)/%,%,$(STANDIN_DIR))/standin.log)"
	@echo '>> its account with Phone Lock "Complete Management" (sees every user; the others: tests/standin/README.md):'
	@echo "export IMAGICLE_URL=http://127.0.0.1:$$(cat $(STANDIN_DIR)/standin.port) $(STANDIN_ACCOUNT)"
	@echo '>> make standin-stop stops it'

standin-stop:
	@if [ -f $(STANDIN_DIR)/standin.pid ] && kill -0 "$$(cat $(STANDIN_DIR)/standin.pid)" 2>/dev/null; then \
	  pid=$$(cat $(STANDIN_DIR)/standin.pid); kill $$pid; \
	  for dummy in $$(seq 100); do kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; \
	  if kill -0 $$pid 2>/dev/null; then echo "ERROR: the stand-in (pid $$pid) did not stop within 10 s" >&2; exit 1; fi; \
	  echo ">> the stand-in (pid $$pid) stopped"; \
	else \
	  echo '>> no stand-in running'; \
	fi
	@rm -f $(STANDIN_DIR)/standin.pid $(STANDIN_DIR)/standin.port

# The README's quick start as written (tests/quickstart): make standin, its sites file and commands taken from README.md,
# run with the built collection, checked on the stand-in's phones and in the output; then make standin-stop.
quickstart: install $(DEMO_VENV)/.stamp
	PATH="$(TOOLS)/bin:$$PATH" $(TOOLS_PY) tests/quickstart/test_quickstart.py --make "$(MAKE)" --workdir $(BUILD)/quickstart

# --- docs site: the collection's HTML documentation (antsibull-docs sphinx-init + Sphinx), checked in headless Chromium ---
# The site is generated in $(DOCSITE) from the installed collection (module, role, filters, and the guides of
# docs/docsite/, which ship in the tarball; antsibull-docs has no playbook pages, so a guide documents the playbooks and
# check_site.py checks that it names each one), in its own venv. Sphinx warnings are errors (the generated build.sh runs
# sphinx-build -W --keep-going). Offline: tests/docsite/conf_offline.py leaves intersphinx nothing to fetch. Then
# tests/docsite/check_site.py checks every internal link, serves the HTML on 127.0.0.1 and opens pages in headless
# Chromium (installed with apt-get when missing); screenshots go to $(DOCSITE_SCREENSHOTS).
DOCSITE_VENV := $(VENV)/docsite
DOCSITE := $(BUILD)/docsite
DOCSITE_SCREENSHOTS := $(BUILD)/docsite-screenshots
CHROMIUM := /usr/bin/chromium

$(DOCSITE_VENV)/.stamp: $(LOCK)/docsite.txt tests/tooling/requirements-docsite.txt | pybin $(UV)
	$(call make_venv,$(PYBIN)/python3.12,docsite,tests/tooling/requirements-docsite.txt)

docs-site: install $(DOCSITE_VENV)/.stamp
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo '>> installing chromium (apt-get)'; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  [ -x $(CHROMIUM) ] || { echo 'ERROR: $(CHROMIUM) is required for the browser check and could not be installed' >&2; exit 1; }; \
	fi
	@rm -rf $(DOCSITE) $(DOCSITE_SCREENSHOTS)
	@mkdir -p $(DOCSITE)
	PATH="$(DOCSITE_VENV)/bin:$$PATH" $(DOCSITE_VENV)/bin/antsibull-docs sphinx-init --use-current --squash-hierarchy \
	  --fail-on-error --dest-dir $(DOCSITE) --project $(NAMESPACE).$(NAME) --copyright '$(NAMESPACE).$(NAME) contributors' \
	  --title '$(NAMESPACE).$(NAME) documentation' --html-short-title '$(NAMESPACE).$(NAME)' --extra-conf 'release=$(VERSION)' \
	  $(NAMESPACE).$(NAME) >/dev/null
	@grep -q -- '-W --keep-going' $(DOCSITE)/build.sh || { echo 'ERROR: the generated build.sh no longer makes Sphinx warnings errors' >&2; exit 1; }
	cat tests/docsite/conf_offline.py >> $(DOCSITE)/conf.py
	PATH="$(DOCSITE_VENV)/bin:$$PATH" $(DOCSITE)/build.sh
	PATH="$(DOCSITE_VENV)/bin:$$PATH" $(DOCSITE_VENV)/bin/python tests/docsite/check_site.py --chromium $(CHROMIUM) \
	  --screenshots $(DOCSITE_SCREENSHOTS) --playbooks playbooks --ansible-doc $(DOCSITE_VENV)/bin/ansible-doc $(DOCSITE)/build/html

# --- the office_hours role: year simulation, molecule ----------------------------------------------
# Every minute of a year, nine sites, against an independent oracle (tests/simulation/year_simulation.py).
simulate: install
	PYTHONPATH=$(INSTALL_PATH) $(TOOLS_PY) tests/simulation/year_simulation.py

# molecule runs the built collection (prerun: false in each scenario), on localhost, with the stand-in server.
MOLECULE_SCENARIOS := $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard extensions/molecule/*/molecule.yml))))
molecule: $(addprefix molecule-,$(MOLECULE_SCENARIOS))

# One scenario: make test runs them as steps of their own, side by side with the others (each starts its own stand-in
# servers on free ports and keeps its state in its own ephemeral directory).
molecule-%: install
	@test -f extensions/molecule/$*/molecule.yml || { echo 'ERROR: no molecule scenario $* (extensions/molecule/)' >&2; exit 1; }
	@echo ">> molecule test -s $*"
	PATH="$(TOOLS)/bin:$$PATH" NO_COLOR=1 PY_COLORS=0 $(TOOLS)/bin/molecule test -s $*

# --- the timers under a real systemd: Debian 12 and 13 roots (cached), booted with systemd-nspawn (tests/systemd) -----
systemd: install
	@missing=; command -v debootstrap >/dev/null || missing=debootstrap; \
	command -v systemd-nspawn >/dev/null || missing="$$missing systemd-container"; \
	if [ -n "$$missing" ]; then \
	  echo ">> installing $$missing (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	$(TOOLS_PY) tests/systemd/run.py --tarball $(TARBALL) --cache $(CACHE)/systemd --workdir $(BUILD)/systemd $(if $(filter 1,$(LATEST)),--latest) $(SYSTEMD_ARGS)

# make test's share: both releases without the fleet part (20 servers, about five minutes more), which make systemd runs.
systemd-ci:
	$(MAKE) systemd SYSTEMD_ARGS="--fleet-release none $(SYSTEMD_ARGS)"

# --- benchmark (not part of make test: it prints figures, it asserts no timings) ----------------------------
bench: install
	$(TOOLS_PY) benchmarks/bench.py $(BENCH_ARGS)

BENCH_FLEET_ARGS ?= --layout fleet --servers 1,10,100,300
bench-fleet: install
	$(TOOLS_PY) benchmarks/fleet.py $(BENCH_FLEET_ARGS)

BENCH_AWX_ARGS ?= --servers 10 100 --repeat 3
bench-awx: install $(AWX_PATH)/.stamp
	ANSIBLE_COLLECTIONS_PATH=$(INSTALL_PATH):$(AWX_PATH) $(TOOLS_PY) tests/awx/fleet_measure.py $(BENCH_AWX_ARGS)

# --- reliability and security: bad input, faults, secrets, load (tests/reliability/README.md) --------------------
# Prints the figures table (also in .build/reliability/figures.md); make test runs it with 6 concurrent load runs.
reliability: install
	$(TOOLS_PY) tests/reliability/run.py $(RELIABILITY_ARGS)

reliability-ci: install
	$(TOOLS_PY) tests/reliability/run.py --load-runs 6 --holds-examples 6 --fleet-examples 4

# --- AWX / Automation Controller: a job run as AWX runs it, the execution environment ----------------------------
# awx_setup.yml against the fake AWX controller: create, rerun, prune dropped/renamed sites, rerun (tests/awx/awx_setup_test.py)
# then the detection of AWX / a platform gateway and its messages (tests/awx/test_awx_setup_detection.py).
awx-setup: install $(AWX_PATH)/.stamp
	ANSIBLE_COLLECTIONS_PATH=$(INSTALL_PATH):$(AWX_PATH) $(TOOLS_PY) tests/awx/awx_setup_test.py
	ANSIBLE_COLLECTIONS_PATH=$(INSTALL_PATH):$(AWX_PATH) $(TOOLS_PY) -m pytest -p no:cacheprovider -q tests/awx/test_awx_setup_detection.py

awx: install awx-setup $(CORE216)/.stamp $(CORE221)/.stamp
	@for venv in $(CORE216) $(TOOLS) $(CORE221); do \
	  echo ">> injector templates reach awx.awx unrendered, ansible-core $$($$venv/bin/python -c 'import ansible.release as r; print(r.__version__)')"; \
	  $$venv/bin/ansible-playbook -i localhost, -c local tests/awx/credential_type.yml 2>&1 | tail -n 2; \
	done
	$(TOOLS_PY) tests/awx/runner_job.py
	PATH="$(TOOLS)/bin:$$PATH" $(TOOLS_PY) tests/tooling/check_ee.py $(TARBALL) --workdir $(BUILD)/ee

# --- release checks: galaxy-importer (its own venv: it pins ansible-lint), collection docs, changelog -----------
IMPORTER := $(VENV)/importer
$(IMPORTER)/.stamp: $(LOCK)/importer.txt tests/tooling/requirements-importer.txt | pybin $(UV)
	$(call make_venv,$(PYBIN)/python3.11,importer,tests/tooling/requirements-importer.txt)

release-checks: install $(IMPORTER)/.stamp
	$(IMPORTER)/bin/python tests/tooling/check_importer.py $(TARBALL)
	PATH="$(TOOLS)/bin:$$PATH" $(TOOLS)/bin/antsibull-docs lint-collection-docs --plugin-docs $(INSTALL_PATH)/ansible_collections/$(NAMESPACE)/$(NAME)
	$(TOOLS)/bin/antsibull-changelog lint
	@grep -q '^  $(VERSION):' changelogs/changelog.yaml || { echo 'ERROR: changelogs/changelog.yaml has no $(VERSION) release (antsibull-changelog release)' >&2; exit 1; }

# --- stand-in server ---------------------------------------------------------------------------
standin-tests: $(TOOLS)/.stamp
	$(TOOLS_PY) -m pytest -p no:cacheprovider tests/standin/tests -q

# --- the lock files ------------------------------------------------------------------------------
# make lock: recompile every lock file (LOCKS=NAME ... for some) with the newest versions the ranges and the constraints
# allow; review the printed changes, run make test, commit. make locks (a step of make test): each lock file still
# matches its input (a range edited without make lock fails here), tests/tooling/locks.py's own tests, and every venv
# already built holds exactly its lock's packages (one changed by hand fails here).
LOCKED_VENVS := tools core216 core221 demo docsite importer
lock: $(UV)
	$(PY311) tests/tooling/locks.py refresh $(UV) $(LOCKS)

locks: $(UV) $(TOOLS)/.stamp
	$(TOOLS_PY) tests/tooling/locks.py check $(UV)
	$(TOOLS_PY) -m pytest -p no:cacheprovider -q tests/tooling/tests
	@$(if $(filter 1,$(LATEST)),echo '>> LATEST=1: the venvs come from the ranges; not checked against the locks',\
	for name in $(LOCKED_VENVS); do \
	  if [ -f $(VENV)/$$name/.stamp ]; then $(TOOLS_PY) tests/tooling/locks.py venv $$name $(VENV)/$$name/bin/python; fi; \
	done)

# make test-latest: make test with every environment built afresh from the ranges (LATEST=1, in .venv-latest) and the
# Debian roots' venvs too; what breaks here is a new release to look at (then make lock, or a cap in $(CONSTRAINTS)).
test-latest:
	rm -rf $(ROOT)/.venv-latest
	$(MAKE) LATEST=1 test

# --- everything --------------------------------------------------------------------------------
# make prepare: everything the steps of make test share, built once before they start side by side: every environment,
# ansible-test's get-pip stand-in, the collection built and installed, awx.awx, and the Debian packages the steps need
# (one apt-get for all; each step still installs what it misses when run alone).
APT_NEEDS := shellcheck:shellcheck chromium:chromium debootstrap:debootstrap systemd-nspawn:systemd-container
prepare: venvs $(DOCSITE_VENV)/.stamp $(IMPORTER)/.stamp get-pip install $(AWX_PATH)/.stamp
	@missing=; for need in $(APT_NEEDS); do command -v $${need%%:*} >/dev/null || missing="$$missing $${need#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo ">> installing$$missing (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# make test: locks, build and prepare one after the other, then the other steps side by side on TEST_WORKERS workers
# (tests/tooling/steps.py), longest first, the ansible-test runs of one ansible-core one at a time (@copy216: they share
# its copy of the collection). Each step's output is in .build/steps/STEP.log; the end prints every step's time.
TEST_WORKERS ?= 2
TEST_FIRST := locks build prepare
TEST_STEPS := reliability-ci awx systemd-ci molecule-timers molecule-office_hours_nested integration-221@copy221 integration-216@copy216 \
	sanity-216@copy216 sanity-221@copy221 simulate release-checks $(addprefix molecule-,two_servers office_hours office_hours_calendar) \
	units-216@copy216 units-221@copy221 lint demo@demo-venv quickstart@demo-venv docs-site docs standin-tests
# Every molecule scenario is a step of make test (a new scenario must be added above).
ifneq ($(sort $(MOLECULE_SCENARIOS)),$(sort $(patsubst molecule-%,%,$(filter molecule-%,$(TEST_STEPS)))))
$(error TEST_STEPS does not list every molecule scenario: $(MOLECULE_SCENARIOS))
endif

test:
	@$(or $(PY311),python3) tests/tooling/steps.py --workers $(TEST_WORKERS) --logs $(BUILD)/steps $(addprefix --first ,$(TEST_FIRST)) $(TEST_STEPS)

clean:
	rm -rf $(BUILD) $(CACHE) .ansible .pytest_cache tests/output tests/integration/inventory
	find . -path ./.venv -prune -o -path ./.git -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(ROOT)/.venv $(ROOT)/.venv-latest
