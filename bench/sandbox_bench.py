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

Target (issue 5): <= 10 ms per mode. Codex v0.20 pays ~58 ms per sandboxed command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "src") not in sys.path:
    sys.path.insert(0, str(REPO / "src"))

from pycodex.protocol.policy import SandboxMode  # noqa: E402
from pycodex.sandbox.policy import SandboxPolicy  # noqa: E402
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


async def _measure(runs: int, cwd: Path) -> dict[str, dict[str, float]]:
    plain = SandboxPolicy(mode=SandboxMode.DANGER_FULL_ACCESS)
    out: dict[str, dict[str, float]] = {}
    for mode in MODES:
        policy = SandboxPolicy(mode=mode, workspace=cwd)
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
    args = parser.parse_args()
    ballast = [bytearray(1 << 20) for _ in range(args.ballast_mb)]  # touched: resident
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        subprocess.run(["git", "init", "-q", str(cwd)], check=True, timeout=30)
        results = asyncio.run(_measure(args.runs, cwd))
    rss_mib = _rss_mib()
    del ballast
    if args.json:
        print(json.dumps({"spawner_rss_mib": rss_mib, "modes": results}, indent=2))
        return
    print(f"spawner RSS {rss_mib:.1f} MiB (the agent peaks near 26.5 MiB, bench/README.md)")
    for mode, r in results.items():
        print(
            f"{mode:16} plain {r['plain_ms']:6.2f} ms  sandboxed {r['sandboxed_ms']:6.2f} ms"
            f"  overhead {r['overhead_ms']:5.2f} ms (target <= 10)"
            f"  [child CPU +{r['overhead_child_cpu_ms']:.2f} ms]"
        )


if __name__ == "__main__":
    main()
