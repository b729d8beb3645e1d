"""Benchmark for issue 4: ``python bench/apply_patch_bench.py`` prints medians.

* one Update File hunk with 500 chunks on a 20,000-line file,
* a 200-file patch (100 Add File + 100 Update File hunks).

Optional argument: the directory to work in (default: the system temp dir). File creation cost
depends heavily on it (here: 200 creates take ~200 ms in a crowded /tmp, ~4 ms elsewhere).

Target: both under 200 ms. (Lives here because ``bench/`` belongs to another part; it can move
there unchanged.)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pycodex.apply_patch import apply_patch_text

Case = tuple[Callable[[], None], Callable[[], None]]  # (untimed setup, timed apply)


def big_file_case(root: Path) -> Case:
    lines = [f"    value_{i} = compute({i}, 'x')  # line {i}" for i in range(20_000)]
    original = "\n".join(lines) + "\n"
    body = ["*** Begin Patch", "*** Update File: big.py"]
    for k in range(500):
        i = 20 + k * 39
        body += ["@@", f" {lines[i - 1]}", f"-{lines[i]}", f"+    value_{i} = changed({i})"]
        body.append(f" {lines[i + 1]}")
    body.append("*** End Patch")
    text = "\n".join(body) + "\n"
    target = root / "big.py"

    def setup() -> None:
        target.write_text(original)

    def run() -> None:
        result = apply_patch_text(text, root)
        assert result.success, result.output[:2000]

    return setup, run


def many_files_case(root: Path) -> Case:
    body = ["*** Begin Patch"]
    for n in range(100):
        body += [f"*** Add File: new/f{n}.txt", *(f"+new {n} line {j}" for j in range(20))]
        body += [f"*** Update File: old/f{n}.txt", "@@", " line 10", "-line 11", "+LINE 11"]
    body.append("*** End Patch")
    text = "\n".join(body) + "\n"
    old = "".join(f"line {j}\n" for j in range(40))

    def setup() -> None:
        for n in range(100):
            (root / "new" / f"f{n}.txt").unlink(missing_ok=True)
            path = root / "old" / f"f{n}.txt"
            path.parent.mkdir(exist_ok=True)
            path.write_text(old)

    def run() -> None:
        result = apply_patch_text(text, root)
        assert result.success, result.output[:2000]

    return setup, run


def median_ms(make: Callable[[Path], Case], repeat: int = 7, base: str | None = None) -> float:
    with tempfile.TemporaryDirectory(dir=base) as directory:
        setup, run = make(Path(directory))
        times = []
        for _ in range(repeat):
            setup()
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else None
    big = median_ms(big_file_case, base=base)
    many = median_ms(many_files_case, base=base)
    print(f"500-chunk patch, 20,000-line file: median {big:.1f} ms")
    print(f"200-file patch:                    median {many:.1f} ms")


if __name__ == "__main__":
    main()
