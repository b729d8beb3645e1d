"""A guard against accidental quadratic behaviour (the real numbers come from
``python -m tests.apply_patch.bench_apply_patch``; target there: under 200 ms each)."""

from __future__ import annotations

from pathlib import Path

from tests.apply_patch.bench_apply_patch import big_file_case, many_files_case, median_ms


def test_big_patches_stay_fast(tmp_path: Path) -> None:
    # Generous bounds: the suite runs in parallel with others on shared machines.
    assert median_ms(big_file_case, repeat=1, base=str(tmp_path)) < 2000
    assert median_ms(many_files_case, repeat=1, base=str(tmp_path)) < 5000
