"""Turn a parsed patch into the exact bytes to write, without writing anything.

Hunks run in order against an in-memory overlay of the files, so a patch may update a file twice,
delete and re-add it, or move it and keep editing it. Every precondition is checked here: files to
update, delete or move exist and are regular files, files to add and move destinations do not
exist (refusing to clobber). The result also carries the ``FileChange`` summary per absolute path
for approval prompts and events, and where each touched path really lands (``locations``,
symlinks resolved), which is what approval judges and the writer writes.

Every look at the file system goes through a ``FileAccess`` (``files``): the agent's refuses
what its sandbox would, and a refused path fails like an unreadable one, quoting nothing.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from pycodex.apply_patch.diff import unified_diff
from pycodex.apply_patch.errors import FileExists, FileMissing
from pycodex.apply_patch.files import PLAIN, FileAccess, location
from pycodex.apply_patch.hunks import AddFile, DeleteFile, Hunk, Patch, describe_hunk
from pycodex.apply_patch.text import Doc, as_text, decode, encode, new_doc
from pycodex.apply_patch.update import apply_update
from pycodex.protocol.events import FileChange


@dataclass(frozen=True, slots=True)
class FileWrite:
    """One file operation: write ``content`` (``None``: delete) where ``original`` was."""

    path: Path  # where it lands: symlinks resolved (``files.location``)
    content: bytes | None
    original: bytes | None
    mode: int | None = None  # permission bits to give the new file (kept from the old one)
    requested: Path | None = None  # the path as the patch named it (absolute, normalised)


@dataclass(frozen=True)
class PlannedChanges:
    """Everything ``apply_planned`` needs, computed and verified up front."""

    cwd: Path
    writes: tuple[FileWrite, ...]
    changes: dict[str, FileChange]
    added: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    paths: tuple[Path, ...] = field(default=())  # every absolute path the patch touches
    # each of ``paths`` -> where it really lands (symlinks resolved): what approval judges
    locations: dict[Path, Path] = field(default_factory=dict)

    def success_text(self) -> str:
        """``Success. Updated the following files:`` and one ``A``/``M``/``D`` line each."""
        rows = [f"A {p}" for p in self.added]
        rows += [f"M {p}" for p in self.modified]
        rows += [f"D {p}" for p in self.deleted]
        return "Success. Updated the following files:\n" + "".join(f"{r}\n" for r in rows)


def resolve(cwd: Path, path: str) -> Path:
    """Absolute, normalised (``..`` folded, symlinks kept) path of a patch path."""
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        candidate = cwd / candidate
    return Path(os.path.normpath(candidate))


class _Overlay:
    """Current content of every touched path (``None``: absent), read from disk once."""

    def __init__(self, files: FileAccess) -> None:
        self.files = files
        self.real: dict[Path, Path] = {}  # the real path each existing file was read from
        self.docs: dict[Path, Doc | None] = {}
        self.original: dict[Path, bytes | None] = {}
        self.first: dict[Path, Doc] = {}
        self.added: list[str] = []  # display paths for the success text, in patch order
        self.modified: list[str] = []
        self.deleted: list[str] = []

    def get(self, path: Path, display: str, what: str) -> Doc | None:
        if path in self.docs:
            return self.docs[path]
        try:
            data, mode, real = self.files.read(path)
        except (FileNotFoundError, NotADirectoryError):
            self.original[path] = None
            self.docs[path] = None
            return None
        except OSError as error:
            raise FileMissing(f"Failed to read {display} ({what}): {error.strerror}") from error
        if data is None:
            raise FileMissing(f"{display} is not a regular file ({what})")
        doc = decode(data, path, stat.S_IMODE(mode))
        self.real[path] = real
        self.original[path] = data
        self.first[path] = doc
        self.docs[path] = doc
        return doc

    def set(self, path: Path, doc: Doc | None) -> None:
        self.docs[path] = doc


def plan_patch(patch: Patch, cwd: Path | str, files: FileAccess = PLAIN) -> PlannedChanges:
    """Compute and verify every change of ``patch`` relative to ``cwd``; writes nothing and
    reads only through ``files``."""
    base = Path(os.path.abspath(cwd))  # noqa: PTH100 - keep symlinks, as the shell does
    overlay = _Overlay(files)
    for number, hunk in enumerate(patch.hunks):
        _run_hunk(overlay, base, number, hunk)
    return _finish(base, overlay)


def _missing(files: FileAccess, path: Path, display: str, message: str) -> FileMissing:
    """``message`` plus the closest existing names in that directory, if any."""
    names = files.list_names(path.parent)
    import difflib  # failure path only: keep it off the import path

    close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.6)
    if close:
        prefix = display[: len(display) - len(path.name)] if display.endswith(path.name) else ""
        message += " Did you mean: " + ", ".join(prefix + name for name in close) + "?"
    return FileMissing(message)


def _check_parent(files: FileAccess, path: Path, display: str, what: str) -> None:
    """A file cannot be created below an existing non-directory."""
    parent = path.parent
    try:
        kind = files.kind(parent)
        while kind == "missing" and parent != parent.parent:
            parent = parent.parent
            kind = files.kind(parent)
    except OSError as error:
        raise FileMissing(f"Failed to read {parent} ({what}): {error.strerror}") from error
    if kind == "other":
        raise FileExists(f"Cannot create {display} ({what}): {parent} is a file, not a directory.")


def _run_hunk(overlay: _Overlay, base: Path, number: int, hunk: Hunk) -> None:
    what = describe_hunk(number, hunk)
    path = resolve(base, hunk.path)
    current = overlay.get(path, hunk.path, what)
    if isinstance(hunk, AddFile):
        _check_parent(overlay.files, path, hunk.path, what)
        if current is not None:
            raise FileExists(
                f"Cannot add {hunk.path} ({what}): the file already exists. "
                f"Use '*** Update File: {hunk.path}' to change it."
            )
        overlay.set(path, new_doc(hunk.lines))
        overlay.added.append(hunk.path)
        return
    if isinstance(hunk, DeleteFile):
        if current is None:
            raise _missing(
                overlay.files,
                path,
                hunk.path,
                f"Failed to delete {hunk.path} ({what}): no such file.",
            )
        overlay.set(path, None)
        overlay.deleted.append(hunk.path)
        return
    if current is None:
        raise _missing(
            overlay.files,
            path,
            hunk.path,
            f"Failed to read file to update {hunk.path} ({what}): no such file. "
            f"To create it use '*** Add File: {hunk.path}'.",
        )
    doc = apply_update(current, hunk, number) if hunk.chunks else current
    target = path
    if hunk.move_to is not None:
        target = resolve(base, hunk.move_to)
    if target != path:
        assert hunk.move_to is not None
        _check_parent(overlay.files, target, hunk.move_to, what)
        if overlay.get(target, hunk.move_to, what) is not None:
            raise FileExists(
                f"Cannot move {hunk.path} to {hunk.move_to} ({what}): "
                f"{hunk.move_to} already exists."
            )
        overlay.set(path, None)
    overlay.set(target, doc)
    overlay.modified.append(hunk.move_to if target != path and hunk.move_to else hunk.path)


def _finish(base: Path, overlay: _Overlay) -> PlannedChanges:
    writes: list[FileWrite] = []
    changes: dict[str, FileChange] = {}
    moved_away = {
        doc.source
        for path, doc in overlay.docs.items()
        if doc is not None and doc.source is not None and doc.source != path
    }
    locations: dict[Path, Path] = {}
    for path, doc in overlay.docs.items():
        original = overlay.original[path]
        # Content written through an existing file lands where that file was read from.
        through = doc is not None and original is not None
        target = overlay.real[path] if through else location(path, follow=False)
        locations[path] = target
        if doc is None:
            if original is not None:
                mode = overlay.first[path].mode
                writes.append(FileWrite(target, None, original, mode, requested=path))
                if path not in moved_away:
                    changes[str(path)] = FileChange("delete")
            continue
        content = encode(doc)
        if content != original:
            writes.append(FileWrite(target, content, original, doc.mode, requested=path))
        source = doc.source
        if source is not None and source != path and overlay.docs.get(source) is None:
            old = overlay.first[source].texts
            diff = unified_diff(old, doc.texts, doc.origin)
            changes[str(source)] = FileChange("update", unified_diff=diff, move_path=str(path))
        elif original is None:
            changes[str(path)] = FileChange("add", content=as_text(doc))
        else:
            old = overlay.first[path].texts
            origin = doc.origin if source == path else [None] * len(doc.texts)
            changes[str(path)] = FileChange(
                "update", unified_diff=unified_diff(old, doc.texts, origin)
            )
    return PlannedChanges(
        cwd=base,
        writes=tuple(writes),
        changes=changes,
        added=tuple(dict.fromkeys(overlay.added)),
        modified=tuple(dict.fromkeys(overlay.modified)),
        deleted=tuple(dict.fromkeys(overlay.deleted)),
        paths=tuple(overlay.docs),
        locations=locations,
    )
