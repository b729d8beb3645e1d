"""Protected paths inside writable roots, found once and kept current for every command.

What is protected (made read-only by ``namespaces``, denied by ``seatbelt``), as it exists
when a command starts:

- every ``.git`` entry under a writable root: directories (nested repositories, old-style
  submodules), ``.git`` files (submodules, worktrees) with the ``gitdir:`` they name and that
  directory's ``commondir``, ``.git`` symlinks (their target);
- every directory git itself would take as a repository: ``HEAD``, ``objects/`` and ``refs/``
  side by side (a bare repository, or a committed directory laid out as one);
- every ``.codex`` and ``.agents`` directory (project configuration).

A found repository is not searched further (its insides are protected with it).

Why a watched cache and not a walk per command: walking 10,000 directories takes 0.2-0.5 s
on a busy 2-core machine, and even ``stat``-ing each of them 50-180 ms, against a budget of
2 ms per command (``bench/sandbox_bench.py --tree-dirs``). So the first command walks the
roots breadth-first and puts an inotify watch on each directory; the kernel queues an event
in the very system call that creates, removes or renames an entry, so draining the queue
when the next command starts tells exactly which directories changed, and only those are
read again. Where inotify is missing (no instance left, ``fs.inotify.max_user_instances``)
or a directory is watched twice (a bind mount), its mtime is compared instead (a new entry
changes its parent's mtime). A lost-events overflow rebuilds everything.

The walk is bounded: at most ``MAX_DIRS`` directories (all roots together, breadth-first,
the roots in the order given: ``namespaces`` puts the deepest first, the workspace before
/tmp), fewer without inotify (``FALLBACK_MAX_DIRS``), and it stops where the kernel refuses
another watch. Beyond that, a repository deeper in the tree is not protected; ``Found``
says so and the session is told once (see ``notices``).

CODEX_HOME's secrets (``SECRET_FILES``, ``SECRET_DIRS``) are what ``pycodex.storage`` writes
there (``auth.json``, ``history.jsonl``, ``sessions/``) plus what the Codex CLI sharing the
same directory writes (``.credentials.json``, ``archived_sessions/``, ``log/``).
"""

# str paths and os calls on purpose: pathlib objects would slow a walk of 10,000s of dirs
# ruff: noqa: PTH112, PTH113, PTH116, PTH118, PTH120
from __future__ import annotations

import contextlib
import errno
import os
import stat
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pycodex.sandbox._inotify import Inotify

GIT = ".git"
CONFIG_DIRS = (".codex", ".agents")  # project configuration (current Codex keeps both read-only)
MAX_DIRS = 50_000
FALLBACK_MAX_DIRS = 500  # without inotify: a stat of each per command (~3 ms here)
WATCH_LIMIT = "inotify watch limit, fs.inotify.max_user_watches"
SECRET_FILES = ("auth.json", ".credentials.json", "history.jsonl")
SECRET_DIRS = ("sessions", "archived_sessions", "log")
_POINTER_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Found:
    """Real paths to keep read-only (sorted, none inside another, each inside a root)."""

    paths: tuple[str, ...]
    skipped: str | None = None  # the first directory not searched, and why
    # device, inode and a count of the entry events naming it, for each path: a repository
    # replaced on the host (its mount in a cached namespace is gone with it) is a new one,
    # even when the new directory got the old inode number back
    idents: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Secret:
    path: str  # real path
    is_dir: bool
    # device, inode and ctime: a replaced file is a new secret (even with the old inode
    # number, when it was deleted and made again)
    ident: tuple[int, int, int]


class _Dir:
    __slots__ = ("mtime", "protected", "subdirs", "wd")

    def __init__(self, wd: int) -> None:
        self.wd = wd  # -1: not watched, compared by mtime
        self.mtime = -1
        self.subdirs: tuple[str, ...] = ()
        self.protected: tuple[str, ...] = ()


def _ident(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


def identity(path: str) -> tuple[int, int]:
    """Device and inode (following symlinks); (-1, -1) when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (st.st_dev, st.st_ino)


def _read_pointer(path: str) -> str | None:
    """The first line of a small regular file (never blocks on a FIFO named ``.git``)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = os.read(fd, _POINTER_BYTES)
    except OSError:
        return None
    finally:
        os.close(fd)
    lines = data.decode("utf-8", "replace").splitlines()
    return lines[0].strip() if lines else None


def _existing_dir(base: str, pointer: str) -> str | None:
    target = os.path.realpath(os.path.join(base, pointer))
    return target if os.path.isdir(target) else None


def _git_entry(path: str) -> list[str]:
    """``path`` named ``.git``: what to protect (it, and what a ``.git`` file points at)."""
    real = os.path.realpath(path)
    out = [real]
    line = _read_pointer(real) if os.path.isfile(real) else None
    if line and line.startswith("gitdir:"):
        gitdir = _existing_dir(os.path.dirname(path), line[len("gitdir:") :].strip())
        if gitdir is not None:
            out.append(gitdir)
            common = _read_pointer(os.path.join(gitdir, "commondir"))
            if common:
                found = _existing_dir(gitdir, common)
                if found is not None:
                    out.append(found)
    return out


_SPECIAL = frozenset((GIT, *CONFIG_DIRS, "HEAD", "objects", "refs"))
_NOT_SEARCHED = frozenset((GIT, *CONFIG_DIRS))


def _is_repository(special: dict[str, os.DirEntry[str]]) -> bool:
    """HEAD, objects/ and refs/ side by side: git would use the directory as a repository."""
    try:
        return (
            special["HEAD"].is_file() and special["objects"].is_dir() and special["refs"].is_dir()
        )
    except (KeyError, OSError):
        return False


def scan(path: str, *, mtime: bool = True) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """One directory: (subdirectories to search, protected real paths, mtime in ns or -1).

    ``mtime=False`` skips the ``stat`` (a watched directory needs no mtime)."""
    special: dict[str, os.DirEntry[str]] = {}
    subdirs: list[str] = []
    try:
        when = os.stat(path, follow_symlinks=False).st_mtime_ns if mtime else -1
        with os.scandir(path) as it:
            for entry in it:
                name = entry.name
                if name in _SPECIAL:
                    special[name] = entry
                if name not in _NOT_SEARCHED and entry.is_dir(follow_symlinks=False):
                    subdirs.append(name)
    except OSError:
        return (), (), -1
    if not special:
        return tuple(sorted(subdirs)), (), when
    if _is_repository(special):
        return (), (os.path.realpath(path),), when
    protected: list[str] = []
    with contextlib.suppress(OSError):
        if GIT in special:
            protected += _git_entry(special[GIT].path)
        for name in CONFIG_DIRS:
            if name in special and special[name].is_dir():
                protected.append(os.path.realpath(special[name].path))
    return tuple(sorted(subdirs)), tuple(protected), when


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root if root.endswith("/") else root + "/")


def minimal(paths: Iterable[str], roots: Sequence[str]) -> tuple[str, ...]:
    """Sorted, inside some root, without any path inside another one of them."""
    out: list[str] = []
    for p in sorted(set(paths)):
        if any(_inside(p, r) for r in roots) and not (out and _inside(p, out[-1])):
            out.append(p)
    return tuple(out)


class Tracker:
    """The protected paths of every root asked about so far, kept current (thread-safe)."""

    def __init__(self, *, use_inotify: bool = True, max_dirs: int = MAX_DIRS) -> None:
        self._lock = threading.Lock()
        self._inotify: Inotify | None = None
        self._no_inotify = "not used"
        if use_inotify:
            try:
                self._inotify = Inotify()
            except OSError as exc:
                self._no_inotify = exc.strerror or str(exc)
        # without inotify every directory costs a stat per command: a smaller bound
        self._max = max_dirs if self._inotify is not None else min(max_dirs, FALLBACK_MAX_DIRS)
        self._dirs: dict[str, _Dir] = {}
        self._wd_path: dict[int, str] = {}
        self._unwatched: set[str] = set()
        self._with_protected: dict[str, tuple[tuple[str, tuple[int, int]], ...]] = {}
        self._roots: dict[str, tuple[int, int]] = {}
        self._epochs: dict[str, int] = {}
        self._skipped: str | None = None
        self._gen = 0
        self._found: dict[tuple[str, ...], tuple[int, Found]] = {}

    @property
    def watching(self) -> bool:
        return self._inotify is not None

    def __len__(self) -> int:
        return len(self._dirs)

    def find(self, roots: Sequence[str]) -> Found:
        """The protected paths under ``roots`` (real paths of existing directories) now."""
        with self._lock:
            self._refresh()
            for root in roots:
                ident = _ident(root)
                if ident is None:
                    continue
                if self._roots.get(root) != ident or root not in self._dirs:
                    self._forget(root)
                    self._roots[root] = ident
                    self._walk([root])
            key = tuple(roots)
            cached = self._found.get(key)
            if cached is not None and cached[0] == self._gen:
                return cached[1]
            idents = dict(pair for pairs in self._with_protected.values() for pair in pairs)
            paths = minimal(idents, roots)
            ids = tuple((*idents[p], self._epochs.get(p, 0)) for p in paths)
            found = Found(paths, self._skipped, ids)
            self._found[key] = (self._gen, found)
            return found

    def close(self) -> None:
        with self._lock:
            if self._inotify is not None:
                self._inotify.close()
                self._inotify = None

    # --- keeping the view current ---------------------------------------------------

    def _refresh(self) -> None:
        dirty: set[str] = set()
        if self._inotify is not None:
            drained = self._inotify.drain()
            if drained.overflow:
                self._reset()
                return
            for wd in drained.gone:
                path = self._wd_path.pop(wd, None)
                if path is not None:
                    self._forget(path)
                    dirty.add(os.path.dirname(path))
            dirty.update(self._wd_path[wd] for wd in drained.wds if wd in self._wd_path)
            if drained.names:
                now = {p for pairs in self._with_protected.values() for p, _ in pairs}
                for wd, name in drained.names:
                    parent = self._wd_path.get(wd)
                    path = os.path.join(parent, name) if parent is not None else ""
                    if path in now or name in _NOT_SEARCHED:
                        self._replaced(path)
        for path in list(self._unwatched):
            d = self._dirs.get(path)
            try:
                mtime = os.stat(path, follow_symlinks=False).st_mtime_ns
            except OSError:
                mtime = -2
            if d is not None and mtime != d.mtime:
                dirty.add(path)
                for p in d.protected:  # without names, any change may have replaced them
                    self._replaced(p)
        for path in sorted(dirty):  # parents before children
            if path in self._dirs:
                self._rescan(path)

    def _replaced(self, path: str) -> None:
        """An entry event named protected ``path`` (or a ``.git``/``.codex`` that may become
        one): it is a new one, whatever its inode number."""
        self._epochs[path] = self._epochs.get(path, 0) + 1
        self._gen += 1

    def _reset(self) -> None:
        for root in list(self._roots):
            self._forget(root)
        self._roots.clear()
        self._skipped = None
        self._gen += 1

    def _watch(self, path: str) -> int | None:
        """A watch (-1: compared by mtime); None: stop, the user's watch limit is reached."""
        if self._inotify is None:
            return -1
        try:
            wd = self._inotify.watch(path)
        except OSError as exc:
            # over the limit, every later directory would cost a stat per command: stop
            return None if exc.errno == errno.ENOSPC else -1
        if self._wd_path.setdefault(wd, path) != path:  # the same directory twice (bind)
            return -1
        return wd

    def _walk(self, start: list[str]) -> None:
        queue = deque(start)
        while queue:
            path = queue.popleft()
            if path in self._dirs:
                continue
            wd = self._watch(path) if len(self._dirs) < self._max else None
            if wd is None:
                reason = WATCH_LIMIT if len(self._dirs) < self._max else f"{self._max} dirs"
                if self._inotify is None:
                    reason += f"; no inotify: {self._no_inotify}"
                self._skipped = self._skipped or f"{path} ({reason})"
                break
            d = self._dirs[path] = _Dir(wd)  # watch first, then read
            if d.wd < 0:
                self._unwatched.add(path)
            self._set(path, d)
            queue.extend(os.path.join(path, name) for name in d.subdirs)
        self._gen += 1

    def _set(self, path: str, d: _Dir) -> None:
        d.subdirs, d.protected, d.mtime = scan(path, mtime=d.wd < 0)
        if d.protected:
            self._with_protected[path] = tuple((p, identity(p)) for p in d.protected)
        else:
            self._with_protected.pop(path, None)

    def _rescan(self, path: str) -> None:
        d = self._dirs[path]
        old = d.subdirs
        self._set(path, d)
        for name in set(old) - set(d.subdirs):
            self._forget(os.path.join(path, name))
        self._walk([os.path.join(path, name) for name in d.subdirs])

    def _forget(self, path: str) -> None:
        d = self._dirs.pop(path, None)
        if d is None:
            return
        self._gen += 1
        self._with_protected.pop(path, None)
        self._unwatched.discard(path)
        if d.wd >= 0 and self._inotify is not None:
            if self._wd_path.get(d.wd) == path:
                del self._wd_path[d.wd]
            self._inotify.unwatch(d.wd)
        for name in d.subdirs:
            self._forget(os.path.join(path, name))


_tracker: list[Tracker] = []
_tracker_lock = threading.Lock()


def tracker() -> Tracker:
    """The process's tracker (one inotify instance, shared by every session)."""
    with _tracker_lock:
        if not _tracker:
            _tracker.append(Tracker())
        return _tracker[0]


def secrets(codex_home: str | None) -> tuple[Secret, ...]:
    """CODEX_HOME's secrets that exist now (real paths; a replaced file gets a new ident)."""
    if not codex_home:
        return ()
    home = os.path.realpath(codex_home)
    out = []
    for name in (*SECRET_FILES, *SECRET_DIRS):
        path = os.path.join(home, name)
        try:
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                st = os.stat(path)
                path = os.path.realpath(path)
        except OSError:
            continue
        ident = (st.st_dev, st.st_ino, st.st_ctime_ns)
        out.append(Secret(path, stat.S_ISDIR(st.st_mode), ident))
    return tuple(out)
