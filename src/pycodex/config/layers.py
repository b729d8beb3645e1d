"""Layers of plain mappings, each value remembering where it came from, merged by one function.

A layer is what one source says (built-in providers, config.toml, the selected profile, the
``-c`` overrides, the dedicated flags) as a nested dict, plus an :class:`Origin` for every
node. :func:`merge_layers` folds them, later layers winning; tables merge key by key, any
other value replaces what was there. The origin of the winner is kept, so an error or
``config show`` can say exactly which file line, profile, override or flag set a value.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pycodex.config.toml_lines import KeyPath, dotted


@dataclass(frozen=True)
class Origin:
    """Where a value came from: ``label`` is shown to the user, the rest locates errors."""

    label: str  # "config.toml:3", "profile fast (config.toml:9)", "-c model=o3", "flag --model"
    file: str | None = None  # what an error names first ("config.toml", "-c model=o3", ...)
    line: int | None = None
    key: str | None = None  # the key path as written at that source


@dataclass
class Layer:
    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[KeyPath, Origin] = field(default_factory=dict)


def walk(values: Mapping[str, Any], prefix: KeyPath = ()) -> Iterator[KeyPath]:
    """Every node path of a nested mapping (tables and leaves), parents first."""
    for key, value in values.items():
        path = (*prefix, key)
        yield path
        if isinstance(value, Mapping):
            yield from walk(value, path)


def layer_from_values(values: dict[str, Any], origin_for: Callable[[KeyPath], Origin]) -> Layer:
    return Layer(values, {path: origin_for(path) for path in walk(values)})


def same_origin(values: dict[str, Any], origin: Origin) -> Layer:
    """A layer whose every node has one origin (a flag, one ``-c``)."""
    return Layer(
        values,
        {
            path: Origin(origin.label, origin.file, origin.line, dotted(path))
            for path in walk(values)
        },
    )


def merge_layers(layers: Sequence[Layer]) -> Layer:
    """Fold layers, later ones winning: tables merge key by key, other values replace."""
    out = Layer()
    for layer in layers:
        _merge_into(out, out.values, layer, layer.values, ())
    return out


def _merge_into(
    out: Layer, dst: dict[str, Any], layer: Layer, src: Mapping[str, Any], prefix: KeyPath
) -> None:
    for key, value in src.items():
        path = (*prefix, key)
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            out.origins[path] = layer.origins[path]
            _merge_into(out, dst[key], layer, value, path)
            continue
        depth = len(path)
        for stale in [p for p in out.origins if p[:depth] == path]:
            del out.origins[stale]
        dst[key] = copy.deepcopy(value)
        for p, origin in layer.origins.items():
            if p[:depth] == path:
                out.origins[p] = origin


def find_origin(origins: Mapping[KeyPath, Origin], path: KeyPath) -> Origin | None:
    """The origin of ``path`` or of its nearest ancestor that has one."""
    for k in range(len(path), 0, -1):
        found = origins.get(path[:k])
        if found is not None:
            return found
    return None
