"""The `@` file picker's index: a gitignore-aware listing and a fast fuzzy search over it.

Why pure Python for the listing: front ends may not start processes (import-linter allows
``subprocess`` only in ``pycodex.sandbox``), so ``git ls-files`` is not an option here. The
walker implements the .gitignore rules a user relies on: nested ``.gitignore`` files (deeper
wins), ``.git/info/exclude``, ``!`` negation, trailing ``/`` (directories only), anchoring
(a ``/`` at the start or middle), ``*``, ``?``, ``[...]``, ``**``, escapes, and "an excluded
directory is never entered, so nothing below it can be re-included". ``.gitignore`` files
are honoured also outside a git repository. Not honoured: ``core.excludesFile`` and files
that are tracked although ignored (git's index is not read). A caller that has a better
list (the CLI layer may run ``git ls-files``) passes it as ``paths=`` and no walk happens.

Why the search is shaped like this: 100,000 paths must be searched in well under 50 ms per
keystroke in CPython. The expensive parts run inside ``re`` over one joined string (a
subsequence regex finds every matching line in one C-level scan; each line carries its
index so ``findall`` returns indices without Python work per line). A query that extends
the previous one only rescans the previous matches. Detailed scoring (basename, boundary,
contiguity bonuses; gap and length penalties) is Python and so is spent on a bounded
number of candidates, best tiers first: basename contains the query, basename contains it
as a subsequence, then the rest; paths are stored shortest first, so a cut inside a tier
keeps the shortest. With fewer matches than the budget (typical once 2-3 characters are
typed) the ranking is exact.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

__all__ = ["FileIndex", "GitIgnore", "Match", "walk_files"]

SCORE_BUDGET = 2000  # candidates scored in Python per keystroke


@dataclass(frozen=True)
class Match:
    """One search result: ``positions`` index the matched characters of ``path``."""

    path: str
    score: int
    positions: tuple[int, ...]


# --------------------------------------------------------------------------- gitignore


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool
    base: str  # directory of the ignore file, relative to the walk top, "" or "a/b/"


def _glob_to_regex(pat: str) -> str:
    """Translate an anchored gitignore glob (no leading/trailing slash) to a regex."""
    out: list[str] = []
    i, n = 0, len(pat)
    while i < n:
        c = pat[i]
        if c == "*":
            if pat.startswith("**", i):
                at_start = i == 0 or pat[i - 1] == "/"
                j = i + 2
                if at_start and (j == n or pat[j] == "/"):
                    if j == n:  # "x/**": everything inside
                        out.append(".*")
                        i = j
                    else:  # "**/x" or "x/**/y": zero or more directories
                        out.append("(?:.*/)?")
                        i = j + 1
                    continue
                out.append("[^/]*")  # other "**" are plain stars
                i = j
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pat.find(
                "]", i + 2 if pat.startswith("[!", i) or pat.startswith("[^", i) else i + 1
            )
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pat[i + 1 : j]
                neg = body[:1] in ("!", "^")
                body = body[1:] if neg else body
                body = body.replace("\\", "\\\\").replace("[", "\\[")
                out.append(f"[{'^' if neg else ''}{body}]")
                i = j
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pat[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def parse_gitignore(text: str, base: str = "") -> list[_Rule]:
    """The rules of one ignore file whose directory is ``base`` ("" or "dir/sub/")."""
    rules: list[_Rule] = []
    for raw in text.splitlines():
        line = raw
        # Trailing spaces are ignored unless escaped with a backslash.
        while line.endswith(" ") and not line.endswith("\\ "):
            line = line[:-1]
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate or line.startswith(("\\!", "\\#")):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        if not anchored and not line.startswith("**"):
            line = "**/" + line
        regex = re.compile(_glob_to_regex(line) + r"\Z", re.DOTALL)
        rules.append(_Rule(regex, negate, dir_only, base))
    return rules


class GitIgnore:
    """Ordered rules from several ignore files: the last matching rule decides."""

    def __init__(self, rules: Sequence[_Rule] = ()) -> None:
        self.rules: tuple[_Rule, ...] = tuple(rules)

    def extended(self, rules: Sequence[_Rule]) -> GitIgnore:
        return GitIgnore(self.rules + tuple(rules)) if rules else self

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """Whether ``rel`` (relative to the walk top, ``/``-separated) is excluded."""
        for rule in reversed(self.rules):
            if rule.dir_only and not is_dir:
                continue
            if rule.base:
                if not rel.startswith(rule.base):
                    continue
                sub = rel[len(rule.base) :]
            else:
                sub = rel
            if rule.regex.match(sub):
                return not rule.negate
        return False


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _git_top(root: Path) -> Path | None:
    for d in (root, *root.parents):
        if (d / ".git").exists():
            return d
    return None


def walk_files(root: Path) -> list[str]:
    """Files under ``root`` (relative, ``/``-separated) that git would not ignore.

    Symlinks are listed, never followed; ``.git`` is skipped; unreadable directories too.
    """
    root = root.resolve()
    top = _git_top(root) or root
    ignore = GitIgnore(parse_gitignore(_read(top / ".git" / "info" / "exclude")))
    # Ignore files of the directories between the repository top and ``root``.
    prefix = "" if top == root else root.relative_to(top).as_posix() + "/"
    parts = prefix.split("/")[:-1] if prefix else []
    d, base = top, ""
    for part in parts:
        ignore = ignore.extended(parse_gitignore(_read(d / ".gitignore"), base))
        d, base = d / part, base + part + "/"
    out: list[str] = []
    stack: list[tuple[str, str, GitIgnore]] = [(str(root), prefix, ignore)]
    strip = len(prefix)
    while stack:
        path, rel, rules = stack.pop()
        try:
            with os.scandir(path) as it:
                entries = list(it)
        except OSError:
            continue
        # Only a directory that has a .gitignore pays for reading one (most have none).
        if any(e.name == ".gitignore" for e in entries):
            rules = rules.extended(parse_gitignore(_read(Path(path, ".gitignore")), rel))
        check = rules.ignored if rules.rules else None
        for entry in entries:
            name = entry.name
            if name == ".git":
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            child = rel + name
            if check is not None and check(child, is_dir):
                continue
            if is_dir:
                stack.append((entry.path, child + "/", rules))
            else:
                out.append(child[strip:])
    return out


# --------------------------------------------------------------------------- search

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SEPARATORS = frozenset("_-. ")


def _lower(path: str) -> str:
    low = path.lower()
    return low if len(low) == len(path) else path.translate(_ASCII_LOWER)


def _subsequence(query: str) -> str:
    """Regex body: the query's characters in order, each ``[^\\nX]*X`` (no backtracking)."""
    body = re.escape(query[0])
    for ch in query[1:]:
        e = re.escape(ch)
        body += f"[^\\n{e}]*{e}"
    return body


class FileIndex:
    """Index of the files under ``root``; build once (``build`` or ``start``), then search.

    ``paths`` (relative, ``/``-separated) skips the walk, e.g. when the CLI layer got
    ``git ls-files --cached --others --exclude-standard`` output.
    """

    def __init__(self, root: Path | str, *, paths: Iterable[str] | None = None) -> None:
        self.root = Path(root)
        self._given = None if paths is None else list(paths)
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self._paths: list[str] = []
        self._last: tuple[str, list[int], int] | None = None

    # ----- building

    def build(self) -> FileIndex:
        """Walk (unless paths were given) and prepare the search structures (blocking).

        Idempotent: a second call (or one racing the background build) waits and returns.
        """
        with self._build_lock:
            if self._ready.is_set():
                return self
            try:
                paths = self._given if self._given is not None else walk_files(self.root)
                self._load(paths)
            except BaseException as exc:  # surfaced through .error; search returns []
                self.error = exc
                raise
            finally:
                self._ready.set()
        return self

    def start(self) -> FileIndex:
        """Build in a daemon thread (once); ``search`` returns ``[]`` until ``ready``."""
        with self._lock:
            if self._thread is not None:
                return self
            self._thread = threading.Thread(target=self._build_quietly, daemon=True)
            self._thread.start()
        return self

    def _build_quietly(self) -> None:
        with contextlib.suppress(Exception):  # kept in self.error for the caller
            self.build()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until built (or ``timeout``); True when ready."""
        return self._ready.wait(timeout)

    def __len__(self) -> int:
        return len(self._paths)

    @property
    def paths(self) -> list[str]:
        return list(self._paths)

    def _load(self, paths: Iterable[str]) -> None:
        # A newline in a file name would break the one-line-per-path scans: such (rare,
        # hostile) names are not offered.
        ordered = sorted({p for p in paths if "\n" not in p}, key=lambda p: (len(p), p))
        lower = [_lower(p) for p in ordered]
        starts = [p.rfind("/") + 1 for p in ordered]
        base = [low[s:] for low, s in zip(lower, starts, strict=True)]
        with self._lock:
            self._paths = ordered
            self._lower = lower
            self._starts = starts
            self._text = _Lines(lower, range(len(ordered)))
            self._base = _Lines(base, range(len(ordered)))
            self._last = None

    # ----- searching

    def search(self, query: str, limit: int = 20) -> list[Match]:
        """The best ``limit`` matches for ``query`` (case-insensitive; spaces ignored).

        Before the index is ready this starts the background build and returns ``[]``.
        """
        if not self._ready.is_set():
            self.start()
            return []
        if limit <= 0:
            return []
        q = "".join(_lower(query).split())
        with self._lock:
            if not q:
                return [Match(p, 0, ()) for p in self._paths[:limit]]
            matches, bound = self._matching(q)
            self._last = (q, matches, bound)
            if bound == len(self._paths) and len(matches) <= SCORE_BUDGET:  # exact
                chosen: Iterable[int] = matches
            else:
                chosen = self._tiers(q, matches)
            scored: list[tuple[int, int, str, tuple[int, ...]]] = []
            for i in chosen:
                path = self._paths[i]
                score, positions = _score(path, self._lower[i], self._starts[i], q)
                scored.append((-score, len(path), path, positions))
        scored.sort()
        return [Match(p, -s, pos) for s, _, p, pos in scored[:limit]]

    def _matching(self, q: str) -> tuple[list[int], int]:
        """The shortest SCORE_BUDGET paths containing ``q`` as a subsequence, and a bound.

        Every path with an index below the bound was checked (all were: the list is
        complete). A query that extends the previous one rescans the previous matches, then
        continues the full scan from the previous bound: exact, and usually cheap.
        """
        cap, last = SCORE_BUDGET, self._last
        found: list[int] = []
        start = 0
        if last is not None and q.startswith(last[0]):
            if q == last[0]:
                return last[1], last[2]
            found = _Lines(self._lower, last[1]).subsequence(q, cap)
            start = last[2]
        if len(found) < cap:
            found += self._text.subsequence(q, cap - len(found), self._text.offsets[start])
        return found, (found[-1] + 1 if len(found) >= cap else len(self._paths))

    def _tiers(self, q: str, matches: list[int]) -> list[int]:
        """At most SCORE_BUDGET candidates, best tiers first (each shortest first)."""
        chosen: dict[int, None] = {}
        tiers: tuple[Callable[[int], list[int]], ...] = (
            lambda n: self._base.substring("\n" + q, n),  # basename starts with q
            lambda n: self._base.substring(q, n),  # basename contains q
            lambda n: self._text.substring(q, n),  # path contains q
            # basename has q's letters in order (never when q has a "/")
            lambda n: [] if "/" in q else self._base.subsequence(q, n),
            lambda n: matches[:n],  # anywhere in the path
        )
        for tier in tiers:
            room = SCORE_BUDGET - len(chosen)
            if room <= 0:
                break
            for i in tier(room + len(chosen)):
                chosen[i] = None
        return list(chosen)[:SCORE_BUDGET]


class _Lines:
    """Selected texts joined as one newline-separated string, so ``re``/``find`` scan in C."""

    def __init__(self, texts: Sequence[str], indices: Iterable[int]) -> None:
        self.indices = list(indices)
        self.text = "\n" + "\n".join([texts[i] for i in self.indices]) + "\n"
        offsets = [0]
        pos = 0
        for i in self.indices:
            pos += len(texts[i]) + 1
            offsets.append(pos)
        self.offsets = offsets  # offsets[k]: the newline before line k
        self.by_start = dict(zip(offsets, self.indices, strict=False))

    def _collect(self, hits: Iterable[int], cap: int) -> list[int]:
        out: list[int] = []
        offsets, indices = self.offsets, self.indices
        last = -1
        for pos in hits:
            k = bisect_right(offsets, pos) - 1
            if k != last:
                out.append(indices[k])
                last = k
                if len(out) >= cap:
                    break
        return out

    def subsequence(self, q: str, cap: int, pos: int = 0) -> list[int]:
        """Lines (from text offset ``pos``) containing ``q`` in order, at most ``cap``."""
        first = re.escape(q[0])
        pattern = re.compile(f"\\n[^\\n{first}]*{_subsequence(q)}")
        # Each match starts at its line's newline and ends inside the line: one per line.
        starts = [m.start() for m in islice(pattern.finditer(self.text, pos), cap)]
        return list(map(self.by_start.__getitem__, starts))

    def substring(self, needle: str, cap: int) -> list[int]:
        def hits() -> Iterator[int]:
            text, offsets = self.text, self.offsets
            pos = text.find(needle)
            while pos >= 0:
                yield pos
                k = bisect_right(offsets, pos)  # continue on the next line
                pos = text.find(needle, offsets[k]) if k < len(offsets) else -1

        return self._collect(hits(), cap)


def _align(low: str, q: str, lo: int) -> list[int] | None:
    """Tight positions of ``q`` in ``low[lo:]``: a contiguous hit, else forward then back."""
    hit = low.rfind(q, lo)
    if hit >= 0:
        return list(range(hit, hit + len(q)))
    pos = lo - 1
    for ch in q:  # leftmost end of a complete match
        pos = low.find(ch, pos + 1)
        if pos < 0:
            return None
    positions = [pos]
    for ch in reversed(q[:-1]):  # then the shortest window ending there
        pos = low.rfind(ch, lo, pos)
        positions.append(pos)
    positions.reverse()
    return positions


def _score(path: str, low: str, start: int, q: str) -> tuple[int, tuple[int, ...]]:
    """Score one path (higher is better) and the matched positions."""
    positions = _align(low, q, start)
    in_base = positions is not None
    if positions is None:
        positions = _align(low, q, 0)
        if positions is None:  # not a match (cannot happen for scanned candidates)
            return -(10**6), ()
    score = 16 * len(q)
    prev = -2
    for p in positions:
        if p == 0 or path[p - 1] == "/":
            score += 12
        elif path[p - 1] in _SEPARATORS or (path[p].isupper() and path[p - 1].islower()):
            score += 8
        if p == prev + 1:
            score += 6
        elif prev >= 0:
            score -= 3 + min(p - prev - 1, 12) // 3
        prev = p
    if in_base:
        score += 20
        if positions[0] == start:
            score += 15
            name = low[start:]
            if name == q or name.split(".", 1)[0] == q:
                score += 25
    score -= len(path) // 8
    return score, tuple(positions)
