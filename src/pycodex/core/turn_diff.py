"""The turn diff: everything the patches of one turn changed, as one git-style diff.

Before a patch is applied, ``TurnDiffTracker.before_patch`` remembers the content of every
file it touches as it was before the turn first changed it (or that it did not exist); a
move is followed, so ``a.py`` moved to ``b.py`` and then edited shows as one rename with the
combined edit. ``unified_diff`` then compares each baseline with the file now on disk.

The output is what ``git diff`` prints (``diff --git a/P b/P``, ``new file mode`` /
``deleted file mode`` / ``rename from``/``rename to``, ``index`` lines with git blob hashes,
``---``/``+++``, hunks with 3 lines of context, ``\\ No newline at end of file``), so it can
be fed to ``git apply``. Paths are relative to the git root (the cwd outside a repository);
a file outside that root keeps its absolute path.

Pure: the module does no I/O of its own. Callers pass ``read``, a function giving the current
``FileState`` of a path (``file_state_reader(files)`` is the real one, reading through the
same ``FileAccess`` as patch planning: the agent's refuses what its sandbox would, so a turn
diff never quotes ``/proc``, ``/sys``, ``/dev`` or ``$CODEX_HOME``), so the diff logic is
tested with plain dicts.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pycodex.apply_patch.files import FileAccess
from pycodex.protocol.events import FileChange

REGULAR = "100644"
EXECUTABLE = "100755"
CONTEXT_LINES = 3
AUTOJUNK_ABOVE = 4000  # lines; difflib's exact matching is quadratic in the worst case
_NULL_HASH = "0000000"
NO_NEWLINE = "\\ No newline at end of file\n"


@dataclass(frozen=True, slots=True)
class FileState:
    """A file's bytes and git mode (``100644`` or ``100755``)."""

    data: bytes
    mode: str = REGULAR


Reader = Callable[[Path], FileState | None]


def read_file_state(path: Path, files: FileAccess) -> FileState | None:
    """``path`` read through ``files``: ``None`` when it is absent, not a regular file, or
    may not be read."""
    try:
        data, mode, _ = files.read(path)
    except OSError:
        return None
    if data is None:
        return None
    return FileState(data, EXECUTABLE if mode & 0o111 else REGULAR)


def file_state_reader(files: FileAccess) -> Reader:
    """The ``Reader`` that reads through ``files``."""

    def read(path: Path) -> FileState | None:
        return read_file_state(path, files)

    return read


@dataclass(slots=True)
class _Entry:
    """One file followed through the turn: where it started, what it held, where it is."""

    origin: Path
    baseline: FileState | None
    current: Path | None  # None: moved over by another file (treated as deleted)


@dataclass(slots=True)
class TurnDiffTracker:
    """Per-turn baselines of the files patches touched. Not thread-safe; one per turn."""

    root: Path | None = None  # paths are shown relative to this (git root, else cwd)
    emitted: str = ""  # the diff last sent out, so an unchanged diff is not sent again
    _entries: list[_Entry] = field(default_factory=list)

    def _at(self, path: Path) -> _Entry | None:
        for entry in self._entries:
            if entry.current == path:
                return entry
        return None

    def before_patch(
        self, paths: Iterable[Path], changes: dict[str, FileChange], read: Reader
    ) -> None:
        """Call just before applying a patch that touches ``paths`` (absolute) with
        ``changes`` (keyed by absolute path): baselines new paths, then follows moves."""
        created: list[_Entry] = []
        for path in [*paths, *(Path(p) for p in changes)]:
            if self._at(path) is None:
                created.append(_Entry(path, read(path), path))
                self._entries.append(created[-1])
        for source, change in changes.items():
            if change.move_path is None:
                continue
            mover = self._at(Path(source))
            target = Path(change.move_path)
            if mover is None or target == mover.current:
                continue
            occupant = self._at(target)
            if occupant is not None:  # absent on disk (moves never clobber)
                if occupant.baseline is None or any(occupant is e for e in created):
                    self._entries = [e for e in self._entries if e is not occupant]
                else:
                    occupant.current = None
            mover.current = target

    @property
    def touched(self) -> bool:
        return bool(self._entries)

    def unified_diff(self, read: Reader) -> str:
        """The cumulative diff of the turn so far ("" when everything is back as it was)."""
        parts: list[tuple[str, str]] = []
        for entry in self._entries:
            new = read(entry.current) if entry.current is not None else None
            old_name = self._display(entry.origin)
            new_name = self._display(entry.current) if entry.current is not None else old_name
            if new is None:
                new_name = old_name  # gone: a deletion where it started
            if entry.baseline is None:
                old_name = new_name  # created this turn: an addition where it is now
            text = file_diff(old_name, new_name, entry.baseline, new)
            if text:
                parts.append((old_name, text))
        parts.sort(key=lambda part: part[0])
        return "".join(text for _, text in parts)

    def _display(self, path: Path) -> str:
        if self.root is not None and path.is_relative_to(self.root):
            return path.relative_to(self.root).as_posix()
        return path.as_posix()


def blob_hash(data: bytes) -> str:
    """Git's object id of a blob holding ``data`` (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _short(state: FileState | None) -> str:
    return blob_hash(state.data)[:7] if state is not None else _NULL_HASH


def _is_binary(data: bytes) -> bool:
    if b"\0" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def file_diff(old_name: str, new_name: str, old: FileState | None, new: FileState | None) -> str:
    """The ``diff --git`` section turning ``old`` (at ``old_name``) into ``new`` (at
    ``new_name``); ``None`` is an absent file. "" when there is no difference."""
    renamed = old is not None and new is not None and old_name != new_name
    if old is None and new is None:
        return ""
    if old == new and not renamed:
        return ""
    header = [f"diff --git a/{old_name} b/{new_name}\n"]
    if old is None:
        assert new is not None
        header.append(f"new file mode {new.mode}\n")
    elif new is None:
        header.append(f"deleted file mode {old.mode}\n")
    else:
        if old.mode != new.mode:
            header += [f"old mode {old.mode}\n", f"new mode {new.mode}\n"]
        if renamed:
            header += [f"rename from {old_name}\n", f"rename to {new_name}\n"]
    if old is not None and new is not None and old.data == new.data:
        return "".join(header)  # a pure rename or mode change: no content lines
    index = f"index {_short(old)}..{_short(new)}"
    if old is not None and new is not None and old.mode == new.mode:
        index += f" {old.mode}"
    header.append(index + "\n")
    a_label = f"a/{old_name}" if old is not None else "/dev/null"
    b_label = f"b/{new_name}" if new is not None else "/dev/null"
    old_data = old.data if old is not None else b""
    new_data = new.data if new is not None else b""
    if _is_binary(old_data) or _is_binary(new_data):
        header.append(f"Binary files {a_label} and {b_label} differ\n")
        return "".join(header)
    header += [f"--- {a_label}\n", f"+++ {b_label}\n"]
    old_lines = old_data.decode("utf-8").splitlines(keepends=True)
    new_lines = new_data.decode("utf-8").splitlines(keepends=True)
    return "".join(header) + hunks(old_lines, new_lines)


def _range(start: int, count: int) -> str:
    """``start,count`` as git writes it: ``,1`` left out, an empty range starts one before."""
    if count == 1:
        return str(start + 1)
    if count == 0:
        return f"{start},0"
    return f"{start + 1},{count}"


def _line(prefix: str, text: str) -> str:
    if text.endswith("\n"):
        return prefix + text
    return prefix + text + "\n" + NO_NEWLINE


def hunks(old: Sequence[str], new: Sequence[str], context: int = CONTEXT_LINES) -> str:
    """The ``@@`` hunks turning ``old`` into ``new`` (lines with their endings)."""
    out: list[str] = []
    for group in _PatienceMatcher(old, new).get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        i1, i2, j1, j2 = first[1], last[2], first[3], last[4]
        out.append(f"@@ -{_range(i1, i2 - i1)} +{_range(j1, j2 - j1)} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out += [_line(" ", text) for text in old[a1:a2]]
                continue
            out += [_line("-", text) for text in old[a1:a2]]
            out += [_line("+", text) for text in new[b1:b2]]
    return "".join(out)


class _PatienceMatcher(difflib.SequenceMatcher[str]):
    """difflib's opcode grouping over ``_matching_blocks`` instead of its own matching."""

    def __init__(self, old: Sequence[str], new: Sequence[str]) -> None:
        super().__init__(None, old, new, autojunk=False)
        self._old, self._new = old, new

    def get_matching_blocks(self) -> list[difflib.Match]:
        return _matching_blocks(self._old, self._new)


def _matching_blocks(a: Sequence[str], b: Sequence[str]) -> list[difflib.Match]:
    """Equal runs of ``a`` and ``b`` (patience style): the common head and tail, then the
    lines that occur once in each side and keep their order as anchors, difflib only for
    the gaps between anchors. Near-linear for source files, where difflib alone is
    quadratic (a 20,000-line file with 500 edits: seconds -> milliseconds)."""
    lo, a_hi, b_hi = 0, len(a), len(b)
    while lo < a_hi and lo < b_hi and a[lo] == b[lo]:
        lo += 1
    while a_hi > lo and b_hi > lo and a[a_hi - 1] == b[b_hi - 1]:
        a_hi -= 1
        b_hi -= 1
    pairs: list[tuple[int, int]] = [(i, i) for i in range(lo)]
    previous = (lo, lo)
    for i, j in [*_anchors(a, b, (lo, a_hi), (lo, b_hi)), (a_hi, b_hi)]:
        pairs += _gap_pairs(a, b, (previous[0], i), (previous[1], j))
        pairs.append((i, j))
        previous = (i + 1, j + 1)
    pairs.pop()  # the (a_hi, b_hi) sentinel
    pairs += [(a_hi + k, b_hi + k) for k in range(len(a) - a_hi)]
    blocks: list[difflib.Match] = []
    for i, j in pairs:
        if blocks and blocks[-1].a + blocks[-1].size == i and blocks[-1].b + blocks[-1].size == j:
            last = blocks[-1]
            blocks[-1] = difflib.Match(last.a, last.b, last.size + 1)
        else:
            blocks.append(difflib.Match(i, j, 1))
    blocks.append(difflib.Match(len(a), len(b), 0))
    return blocks


def _anchors(
    a: Sequence[str], b: Sequence[str], a_span: tuple[int, int], b_span: tuple[int, int]
) -> list[tuple[int, int]]:
    """Lines unique on both sides, as (i, j) pairs, longest run increasing in both."""
    (a_lo, a_hi), (b_lo, b_hi) = a_span, b_span
    counts: dict[str, list[int]] = {}
    for i in range(a_lo, a_hi):
        counts.setdefault(a[i], [0, 0, i])[0] += 1
    for j in range(b_lo, b_hi):
        entry = counts.get(b[j])
        if entry is not None:
            entry[1] += 1
            if entry[1] == 1:
                entry.append(j)
    candidates = sorted((e[2], e[3]) for e in counts.values() if e[0] == 1 and e[1] == 1)
    # Longest increasing subsequence by j (patience sorting), O(n log n).
    tails: list[int] = []  # j of the smallest tail of each pile length
    tail_index: list[int] = []
    back: list[int] = []
    for n, (_, j) in enumerate(candidates):
        k = bisect.bisect_left(tails, j)
        back.append(tail_index[k - 1] if k else -1)
        if k == len(tails):
            tails.append(j)
            tail_index.append(n)
        else:
            tails[k] = j
            tail_index[k] = n
    chain: list[tuple[int, int]] = []
    n = tail_index[-1] if tail_index else -1
    while n >= 0:
        chain.append(candidates[n])
        n = back[n]
    return chain[::-1]


def _gap_pairs(
    a: Sequence[str], b: Sequence[str], a_span: tuple[int, int], b_span: tuple[int, int]
) -> list[tuple[int, int]]:
    """Matched (i, j) lines inside a gap between anchors, by difflib."""
    (a_lo, a_hi), (b_lo, b_hi) = a_span, b_span
    if a_lo >= a_hi or b_lo >= b_hi:
        return []
    big = (a_hi - a_lo) + (b_hi - b_lo) > AUTOJUNK_ABOVE
    matcher = difflib.SequenceMatcher(None, a[a_lo:a_hi], b[b_lo:b_hi], autojunk=big)
    return [
        (a_lo + block.a + k, b_lo + block.b + k)
        for block in matcher.get_matching_blocks()
        for k in range(block.size)
    ]
