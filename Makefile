# northlab — the two commands of the README: `make demo` and `make test`.
# Everything is installed into the project (.venv/, node_modules/); system packages come
# from Debian's apt when missing (needs root, as on the community-centre server and in CI).

SHELL := /bin/bash
# Learners' servers run the venv's python as their own Unix users, so the venv is built
# from Debian's interpreter: one in a private folder (a pyenv under /root) cannot serve them.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := bubblewrap chromium docker-compose postgresql python3-venv passwd iproute2 \
	podman runc debootstrap netavark aardvark-dns fonts-dejavu-core

.PHONY: install system-deps demo test lint clean images

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# editable_mode=compat: the checkout goes on sys.path as a path entry, so a folder named like
# one of our packages (a course's northlab/, a learner's hub/) never shadows it, as the
# default import hook would let it (tests/deploy/test_source_tree.py).
$(VENV)/.installed: pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install --quiet --config-settings editable_mode=compat -e '.[cybersecurity,ai-data,robotics,gamedev,foundations,test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "northlab: npm is missing; install Node.js 20 (apt-get install nodejs npm) and retry." >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "northlab: please install these Debian packages first:$$missing" >&2; exit 1; fi; \
	fi
	@if ! command -v npm >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Node.js and npm"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; \
	fi

# northlab's JupyterLab extension (hub/labextension: menu, shared language, Assignments tab
# texts), built offline by the npm-installed builder into the venv's labextensions folder.
LABEXTENSION := $(VENV)/share/jupyter/labextensions/@northlab/lab/package.json
$(LABEXTENSION): $(VENV)/.installed node_modules/.installed hub/labextension/package.json \
		$(wildcard hub/labextension/lib/*.js) hub/labextension/lib/messages.json
	PATH="$(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$$PATH" $(BIN)/jupyter-builder build \
	  --core-package-file "$$($(BIN)/python -m hub.labextension)" hub/labextension

# The hub catalogue (gettext, hub/locale) as JSON for the extension's bundle (not committed).
hub/labextension/lib/messages.json: $(VENV)/.installed $(wildcard hub/locale/*.pot hub/locale/*/LC_MESSAGES/*.po)
	$(BIN)/python -m northlab.i18n json hub/locale > $@.tmp && mv $@.tmp $@

# JupyterLab's static files, Brotli-compressed once at the highest quality (hub/compression.py).
$(VENV)/.precompressed: $(VENV)/.installed $(LABEXTENSION)
	$(BIN)/python -m hub.compression
	touch $@

install: system-deps $(VENV)/.installed node_modules/.installed $(LABEXTENSION) $(VENV)/.precompressed

demo: install
	PATH="$(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$$PATH" $(BIN)/northlab demo

test: install
	PATH="$(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$$PATH" $(BIN)/ruff check .
	PATH="$(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$$PATH" $(BIN)/python -m pytest -p no:cacheprovider --durations=40

# Every image of images/, offline: wheelhouse and npm cache made here, stand-ins for the
# upstream bases (podman; its store lives outside the checkout, in $NORTHLAB_CONTAINERS or
# ~/.local/share/northlab/containers; docs/modes.md, docker).
images: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m hub.docker.images

lint:
	$(BIN)/ruff check .

# The podman store `make images` filled goes too (it lives outside the checkout).
clean:
	if [ -x $(BIN)/python ]; then $(BIN)/python -m hub.docker.images --remove; fi
	rm -rf $(VENV) node_modules var hub/labextension/lib/messages.json
