"""Spawn overhead of the OS sandbox: a sandboxed `true` against a plain one, per mode.

Usage: ``python bench/sandbox_bench.py [--runs N] [--json]``

Each run starts ``/bin/true`` the way the agent does (``spawn.run_command``, which calls
``prepare_launch`` and ``asyncio``'s ``subprocess_exec`` with its ``preexec_fn``) and waits
for its result; plain and sandboxed runs alternate so drift hits both alike. The workspace is
a fresh git repository, so workspace-write pays for its ``.git`` bind mount. Overhead =
median(sandboxed) - median(plain): preparing the launch, the fork that ``preexec_fn``
forces, the child's setup, and the mount namespace teardown at exit. The child's extra CPU
time is printed too: wall times swell on a busy machine, CPU time much less.

``--ballast-mb N`` first fills N MiB of this process's heap: ``preexec_fn`` makes the spawner
``fork`` (not ``vfork``), whose page-table copy grows with the spawner's resident memory, so
the overhead inside the agent (tens of MiB) is larger than in this small process.

The policy names a CODEX_HOME holding the usual secrets (auth.json, history.jsonl,
sessions/), as the agent's does: each command checks them and the protected paths of its
writable roots (the workspace and /tmp, see ``sandbox.protected``).

``--tree-dirs N`` also measures that search on a repository with N directories (and a
nested repository in every 1,000th): the first discovery (walk + inotify watches), the
per-command revalidation when nothing changed and after one new directory, the same with
the mtime fallback (no inotify), and the spawn overhead with that repository as workspace.

Target (issue 5): <= 10 ms per mode. Codex v0.20 re-executes itself per sandboxed
command; a whole `codex exec` turn of it with a sandboxed ``printf`` took about 9 ms on the
machine of the issue-12 measurements (bench/README.md).
Target (issue 12): the protections add at most 2 ms per sandboxed command.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "src") not in sys.path:
    sys.path.insert(0, str(REPO / "src"))

from pycodex.protocol.policy import SandboxMode  # noqa: E402
from pycodex.sandbox.policy import SandboxPolicy  # noqa: E402
from pycodex.sandbox.protected import Tracker  # noqa: E402
from pycodex.sandbox.spawn import run_command  # noqa: E402

TRUE = shutil.which("true") or "/bin/true"
MODES = (SandboxMode.READ_ONLY, SandboxMode.WORKSPACE_WRITE)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


async def _once(policy: SandboxPolicy, cwd: Path) -> tuple[float, float]:
    """Wall time of one run, and the CPU time its child used (robust to a busy machine)."""
    cpu = _children_cpu()
    started = time.perf_counter()
    result = await run_command([TRUE], cwd=cwd, env=os.environ, timeout_ms=10_000, sandbox=policy)
    if result.exit_code != 0:
        raise SystemExit(f"{policy.mode}: `true` exited {result.exit_code}: {result.stderr}")
    return time.perf_counter() - started, _children_cpu() - cpu


async def _measure(
    runs: int, cwd: Path, codex_home: Path, modes: tuple[SandboxMode, ...] = MODES
) -> dict[str, dict[str, float]]:
    plain = SandboxPolicy(mode=SandboxMode.DANGER_FULL_ACCESS)
    out: dict[str, dict[str, float]] = {}
    for mode in modes:
        policy = SandboxPolicy(mode=mode, workspace=cwd, codex_home=codex_home)
        for _ in range(5):  # warm-up: the support probe, the BPF program, the page cache
            await _once(policy, cwd)
            await _once(plain, cwd)
        base, boxed = [], []
        for _ in range(runs):
            base.append(await _once(plain, cwd))
            boxed.append(await _once(policy, cwd))
        plain_ms = statistics.median(w for w, _ in base) * 1000
        boxed_ms = statistics.median(w for w, _ in boxed) * 1000
        cpu_ms = (statistics.mean(c for _, c in boxed) - statistics.mean(c for _, c in base)) * 1000
        out[mode.value] = {
            "plain_ms": round(plain_ms, 3),
            "sandboxed_ms": round(boxed_ms, 3),
            "overhead_ms": round(boxed_ms - plain_ms, 3),
            "overhead_child_cpu_ms": round(cpu_ms, 3),
        }
    return out


def _codex_home(parent: Path) -> Path:
    home = parent / "codex-home"
    (home / "sessions" / "2026").mkdir(parents=True)
    (home / "auth.json").write_text('{"OPENAI_API_KEY": "sk-bench"}')
    (home / "history.jsonl").write_text("")
    (home / "config.toml").write_text("")
    return home


def _make_tree(root: Path, dirs: int) -> None:
    """A repository with ``dirs`` directories, 100 per level-1 directory, and a nested
    repository (``.git`` with its usual layout) in every 1,000th."""
    subprocess.run(["git", "init", "-q", str(root)], check=True, timeout=30)
    for i in range(dirs):
        d = root / f"d{i // 100}" / f"e{i % 100}"
        d.mkdir(parents=True)
        if i % 1000 == 999:
            for sub in ("objects", "refs/heads", "hooks"):
                (d / ".git" / sub).mkdir(parents=True)
            (d / ".git" / "HEAD").write_text("ref: refs/heads/main\n")


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _median_call(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _discovery(root: Path, runs: int) -> dict[str, float]:
    """Protected-path search on ``root``: first discovery and revalidation, in ms."""
    out: dict[str, float] = {}
    for label, inotify in (("inotify", True), ("mtime", False)):
        firsts = []
        for _ in range(3):
            tracker = Tracker(use_inotify=inotify)
            started = time.perf_counter()
            found = tracker.find([str(root)])
            firsts.append(time.perf_counter() - started)
            tracker.close()
        tracker = Tracker(use_inotify=inotify)
        tracker.find([str(root)])
        out[f"{label}_first_ms"] = _ms(statistics.median(firsts))
        out[f"{label}_unchanged_ms"] = _ms(
            _median_call(functools.partial(tracker.find, [str(root)]), runs)
        )
        changed = []
        for i in range(min(runs, 50)):
            (root / "d50" / "e50" / f"new-{label}-{i}").mkdir()
            started = time.perf_counter()
            tracker.find([str(root)])
            changed.append(time.perf_counter() - started)
        out[f"{label}_one_new_dir_ms"] = _ms(statistics.median(changed))
        out[f"{label}_tracked_dirs"] = len(tracker)  # the fallback's bound is smaller
        out[f"{label}_protected_paths"] = len(found.paths)
        tracker.close()
    return out


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--ballast-mb", type=int, default=0, help="resident heap to add first")
    parser.add_argument(
        "--tree-dirs", type=int, default=0, help="also measure the search on N directories"
    )
    args = parser.parse_args()
    ballast = [bytearray(1 << 20) for _ in range(args.ballast_mb)]  # touched: resident
    made_s = 0.0
    discovery: dict[str, float] = {}
    spawn: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp) / "ws"
        subprocess.run(["git", "init", "-q", str(cwd)], check=True, timeout=30)
        home = _codex_home(Path(tmp))
        results = asyncio.run(_measure(args.runs, cwd, home))
        if args.tree_dirs:
            big = Path(tmp) / "big"
            started = time.perf_counter()
            _make_tree(big, args.tree_dirs)
            made_s = round(time.perf_counter() - started, 1)
            discovery = _discovery(big, args.runs)
            modes = (SandboxMode.WORKSPACE_WRITE,)
            spawn = asyncio.run(_measure(args.runs, big, home, modes))["workspace-write"]
    rss_mib = _rss_mib()
    del ballast
    if args.json:
        out = {"spawner_rss_mib": rss_mib, "modes": results}
        if discovery:
            about = {"dirs": args.tree_dirs, "made_in_s": made_s, **discovery}
            out["tree"] = {**about, "spawn": spawn}
        print(json.dumps(out, indent=2))
        return
    print(f"spawner RSS {rss_mib:.1f} MiB (the agent peaks near 26.5 MiB, bench/README.md)")
    for mode, r in results.items():
        print(
            f"{mode:16} plain {r['plain_ms']:6.2f} ms  sandboxed {r['sandboxed_ms']:6.2f} ms"
            f"  overhead {r['overhead_ms']:5.2f} ms (target <= 10)"
            f"  [child CPU +{r['overhead_child_cpu_ms']:.2f} ms]"
        )
    if discovery:
        print(f"repository with {args.tree_dirs} directories (made in {made_s} s):")
        for key, value in discovery.items():
            print(f"  {key:24} {value}")
        print(
            f"  workspace-write there: overhead {spawn['overhead_ms']:.2f} ms"
            f"  [child CPU +{spawn['overhead_child_cpu_ms']:.2f} ms]"
        )


if __name__ == "__main__":
    main()
