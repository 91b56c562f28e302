"""The layering is checked by a tool, in `make test` as in `make lint`: services never import one another,
a domain imports no adapter, entrypoint, page or client, the contract imports none of the plumbing, and
shared is beneath the services (import-linter, the contracts in pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_every_import_rule_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0
