"""Property tests: random files and random edits, driven by fixed seeds (a broad, stable
sweep) and by hypothesis (which searches and shrinks a failing case).

1. For random files (LF or CRLF, with or without a final newline) and random non-overlapping
   edits, a patch generated from the edit - with its context lines fuzzed by trailing
   whitespace, re-indentation and Unicode punctuation - applies and reproduces the edit exactly,
   context lines keeping the file's own text. (Context lines with *less* indentation than the
   file are covered by the deterministic re-indentation tests in test_apply.py.)
2. A patch whose context is absent from the file fails and changes nothing, even when earlier
   hunks of the same patch are valid.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pycodex.apply_patch import apply_patch_text
from pycodex.apply_patch.seek import fold
from tests.apply_patch.support import snapshot, write_tree

WORDS = ["alpha", "beta", "x = 1", 'say("hi")', "a - b", "return x", "}", "", "pass", "it's"]


def _line(rng: random.Random) -> str:
    word = rng.choice(WORDS)
    if word and rng.random() < 0.4:
        word = f"{word} {rng.randrange(5)}"
    return " " * rng.choice([0, 0, 4, 8]) + word if word else ""


def _fuzz(rng: random.Random, line: str) -> str:
    choice = rng.randrange(5)
    if choice == 1:
        return line + rng.choice([" ", "  ", "\t"])
    if choice == 2:
        return "\t" + line
    if choice == 3:
        return "  " + line.replace('"', "\u201c", 1).replace("'", "\u2019").replace(
            " - ", " \u2014 "
        )
    return line


@dataclass(frozen=True)
class Edit:
    start: int
    stop: int
    new: tuple[str, ...]


def _unique(keys: list[str], pattern: list[str], lo: int) -> bool:
    size = len(pattern)
    hits = sum(1 for s in range(lo, len(keys) - size + 1) if keys[s : s + size] == pattern)
    return hits == 1


def _make_patch(
    rng: random.Random, path: str, lines: list[str], edits: list[Edit]
) -> list[str] | None:
    """Body lines of an Update File hunk realising ``edits``; ``None`` if no context size makes
    some chunk unique (the case is then skipped)."""
    keys = [fold(line) for line in lines]
    out = [f"*** Update File: {path}"]
    previous_end = 0
    for number, edit in enumerate(edits):
        limit = edits[number + 1].start if number + 1 < len(edits) else len(lines)
        for context in range(12):
            lo = max(previous_end, edit.start - context)
            hi = min(limit, edit.stop + context)
            if hi - lo == 0:
                continue
            if _unique(keys, keys[lo:hi], previous_end):
                break
        else:
            return None
        out.append("@@")
        out.extend(" " + _fuzz(rng, line) for line in lines[lo : edit.start])
        out.extend("-" + _fuzz(rng, line) for line in lines[edit.start : edit.stop])
        out.extend("+" + line for line in edit.new)
        out.extend(" " + _fuzz(rng, line) for line in lines[edit.stop : hi])
        previous_end = hi
    return out


def _edits(rng: random.Random, size: int) -> list[Edit]:
    edits: list[Edit] = []
    position = 0
    for _ in range(rng.randrange(1, 4)):
        start = position + rng.randrange(0, 6)
        if edits and start > size:
            break
        start = min(start, size)
        stop = min(size, start + rng.randrange(0, 3))
        new = tuple(f"new {rng.randrange(1000)}" for _ in range(rng.randrange(0, 3)))
        if stop == start and not new:
            new = ("inserted",)
        edits.append(Edit(start, stop, new))
        position = stop + 1
    return edits


def _encode(lines: list[str], eol: str, final_newline: bool) -> bytes:
    if not lines:
        return b""
    text = eol.join(lines) + (eol if final_newline else "")
    return text.encode()


def _generated_case(rng: random.Random, work: Path) -> bool:
    """One random file and edit; the generated patch must reproduce the edit exactly.
    False when no context size makes a chunk unique (nothing to check)."""
    lines = [_line(rng) for _ in range(rng.randrange(1, 30))]
    eol = rng.choice(["\n", "\r\n"])
    final_newline = rng.random() < 0.8 or not lines[-1]
    if len(lines) == 1 and not final_newline:
        eol = "\n"  # the file has no line ending to keep: new lines get the default
    edits = _edits(rng, len(lines))
    body = _make_patch(rng, "f.txt", lines, edits)
    if body is None:
        return False
    expected = list(lines)
    for edit in reversed(edits):
        expected[edit.start : edit.stop] = edit.new
    write_tree(work, {"f.txt": _encode(lines, eol, final_newline)})
    patch = "*** Begin Patch\n" + "\n".join(body) + "\n*** End Patch\n"
    result = apply_patch_text(patch, work)
    assert result.success, f"{patch}\n{result.output}"
    want = _encode(expected, eol, final_newline or not expected) if expected else b""
    got = (work / "f.txt").read_bytes()
    assert got == want, f"{patch}\n{lines!r}\n{got!r}\n{want!r}"
    return True


def test_generated_patches_reproduce_the_edit(tmp_path: Path) -> None:
    rng = random.Random(20260425)
    applied = sum(_generated_case(rng, tmp_path / str(case)) for case in range(300))
    assert applied >= 250, applied


@settings(max_examples=150, deadline=None)
@given(rng=st.randoms(use_true_random=False))
def test_hypothesis_generated_patches_reproduce_the_edit(rng: random.Random) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _generated_case(rng, Path(tmp))


@settings(max_examples=100, deadline=None)
@given(rng=st.randoms(use_true_random=False))
def test_hypothesis_absent_context_changes_nothing(rng: random.Random) -> None:
    source = [_line(rng) for _ in range(rng.randrange(2, 20))]
    body = _make_patch(rng, "target.txt", source, _edits(rng, len(source)))
    assume(body is not None and any(line[:1] in " -" and line[1:].strip() for line in body))
    assert body is not None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_tree(work, {"target.txt": "UNRELATED\n", "ok.txt": "keep\nme\n"})
        before = snapshot(work)
        patch = (
            "*** Begin Patch\n*** Update File: ok.txt\n-keep\n+kept\n"
            + "\n".join(body)
            + "\n*** End Patch\n"
        )
        result = apply_patch_text(patch, work)
        assert not result.success, patch
        assert snapshot(work) == before


@pytest.mark.parametrize("seed", range(3))
def test_patch_with_absent_context_changes_nothing(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    for case in range(40):
        source = [_line(rng) for _ in range(rng.randrange(2, 20))]
        edits = _edits(rng, len(source))
        body = _make_patch(rng, "target.txt", source, edits)
        if body is None or not any(line[:1] in " -" and line[1:].strip() for line in body):
            continue
        work = tmp_path / f"{seed}-{case}"
        other = [f"UNRELATED {rng.randrange(10**6)}" for _ in range(rng.randrange(1, 20))]
        write_tree(
            work,
            {
                "target.txt": "\n".join(other) + "\n",
                "ok.txt": "keep\nme\n",
                "sub/gone.txt": "bye\n",
            },
        )
        before = snapshot(work)
        patch = (
            "*** Begin Patch\n*** Add File: sub/new/added.txt\n+fresh\n"
            "*** Update File: ok.txt\n-keep\n+kept\n*** Delete File: sub/gone.txt\n"
            + "\n".join(body)
            + "\n*** End Patch\n"
        )
        result = apply_patch_text(patch, work)
        assert not result.success, patch
        assert "target.txt" in result.output
        assert snapshot(work) == before


PIECES = [
    "*** Begin Patch",
    "*** End Patch",
    "*** Add File: a.txt",
    "*** Add File: new.txt",
    "*** Delete File: b.txt",
    "*** Update File: a.txt",
    "*** Update File: b.txt",
    "*** Move to: c.txt",
    "*** End of File",
    "@@",
    "@@ one",
    "@@ -1,2 +1,2 @@",
    " one",
    "-two",
    "+three",
    "",
    "   ",
    "two",
    "<<'EOF'",
    "EOF",
    "+",
    "-",
    " ",
]


def test_arbitrary_input_never_crashes_and_failures_change_nothing(tmp_path: Path) -> None:
    rng = random.Random(7)
    outcomes = {True: 0, False: 0}
    for case in range(400):
        work = tmp_path / str(case)
        write_tree(work, {"a.txt": "one\ntwo\n", "b.txt": "one\r\ntwo"})
        before = snapshot(work)
        lines = [rng.choice(PIECES) for _ in range(rng.randrange(0, 12))]
        if rng.random() < 0.7:
            lines = ["*** Begin Patch", *lines, "*** End Patch"]
        result = apply_patch_text("\n".join(lines), work)
        outcomes[result.success] += 1
        if not result.success:
            assert result.output.startswith("error: "), result.output
            assert snapshot(work) == before, "\n".join(lines)
    assert outcomes[True] >= 3  # some random patches are valid and apply
    assert outcomes[False] > 100
