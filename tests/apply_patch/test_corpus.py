"""The fixture corpus: one directory per scenario under ``fixtures/``.

Each has ``before/`` (the starting tree, may be absent), ``patch``, and either ``after/`` (the
exact expected tree) plus optionally ``output`` (the exact model-facing text), or ``error``
(substrings the failure text must contain; the tree must then be byte-for-byte unchanged).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.apply_patch import apply_patch_text
from tests.apply_patch.support import FIXTURES, copy_tree, files_only, snapshot

SCENARIOS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def test_corpus_is_broad() -> None:
    failing = [name for name in SCENARIOS if (FIXTURES / name / "error").exists()]
    assert len(SCENARIOS) >= 40
    assert len(failing) >= 10


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario(name: str, tmp_path: Path) -> None:
    case = FIXTURES / name
    work = tmp_path / "work"
    copy_tree(case / "before", work)
    before = snapshot(work)
    result = apply_patch_text((case / "patch").read_bytes().decode(), work)
    error = case / "error"
    if error.exists():
        assert not result.success, result.output
        assert result.output.startswith("error: ")
        for expected in error.read_text().splitlines():
            assert expected in result.output, f"{expected!r} not in:\n{result.output}"
        assert snapshot(work) == before
        assert result.changes == {}
        return
    assert result.success, result.output
    expected_tree = files_only(snapshot(case / "after")) if (case / "after").exists() else {}
    assert files_only(snapshot(work)) == expected_tree
    output = case / "output"
    if output.exists():
        assert result.output == output.read_text()
