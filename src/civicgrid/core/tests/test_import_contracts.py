"""The import contracts in pyproject.toml hold (what `lint-imports` checks in `make test` and `make lint`)."""

from __future__ import annotations

from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parents[4] / "pyproject.toml"


@pytest.mark.skipif(not PYPROJECT.exists(), reason="an installed package, not a checkout")
def test_the_layers_hold(capsys):
    from importlinter import configuration

    configuration.configure()
    from importlinter.application.use_cases import lint_imports

    kept = lint_imports(config_filename=str(PYPROJECT), cache_dir=None, no_logo=True)
    assert kept, capsys.readouterr().out
