"""Helpers for the apply_patch tests: whole trees as ``{relative path: bytes}``."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (and every directory, as ``b"<dir>"``), for exact
    before/after comparison."""
    tree: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        tree[key] = b"<dir>" if path.is_dir() else path.read_bytes()
    return tree


def files_only(tree: dict[str, bytes]) -> dict[str, bytes]:
    return {key: value for key, value in tree.items() if value != b"<dir>"}


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)


def copy_tree(source: Path, target: Path) -> None:
    if source.exists():
        shutil.copytree(source, target)
    else:
        target.mkdir(parents=True)


def patch(*lines: str) -> str:
    """A patch from its body lines, with the envelope added."""
    return "*** Begin Patch\n" + "".join(f"{line}\n" for line in lines) + "*** End Patch\n"
