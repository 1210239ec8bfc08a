"""A YAML loader that remembers where every key is, so configuration errors name the line.

::

    document, locate = load_yaml("shipyard.yaml")
    locate(("evaluation", "gates", 0, "metric"))   # -> 23
    where(path, locate, ("evaluation", "gates", 0, "metric"))
    # -> "shipyard.yaml:23 evaluation.gates[0].metric"

``locate`` answers with the line of the deepest part of the path the file has (a key that is
missing points at the mapping that lacks it), or None when not even the first key is there.
Duplicated keys, which plain YAML loaders silently collapse, are an error naming both lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from shipyard.core.errors import ConfigurationError, NotFoundError

KeyPath = tuple[str | int, ...]
Locate = Callable[[Sequence[str | int]], int | None]


def load_yaml(path: str | Path) -> tuple[Any, Locate]:
    """The document in ``path`` and a function giving the line (1-based) of a key path."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFoundError(
            f"{source} does not exist.", hint="Create one with `shipyard init`."
        ) from None
    except OSError as exc:
        raise ConfigurationError(f"Cannot read {source}: {exc}") from exc
    return parse_yaml(text, name=source.name)


def parse_yaml(text: str, *, name: str = "<yaml>") -> tuple[Any, Locate]:
    """Like :func:`load_yaml`, for text already read; ``name`` is used in error messages."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[KeyPath, int] = {}
        if node is not None:
            _index(node, (), lines, name)
        document = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "malformed YAML"
        raise ConfigurationError(
            f"{name}{line}: {problem}.", hint="Fix the YAML syntax (indentation, colons, quotes)."
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{name}: {exc}", hint="Fix the YAML syntax.") from None
    finally:
        loader.dispose()

    def locate(key_path: Sequence[str | int]) -> int | None:
        parts = tuple(key_path)
        while parts:
            if parts in lines:
                return lines[parts]
            parts = parts[:-1]
        return None

    return document, locate


def _index(node: yaml.Node, prefix: KeyPath, lines: dict[KeyPath, int], name: str) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key: str | int = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            path = (*prefix, key)
            if path in lines:
                raise ConfigurationError(
                    f"{name}:{key_node.start_mark.line + 1} {dotted(path)}: duplicated key "
                    f"(first at line {lines[path]}).",
                    hint="Keep one of the two; YAML would silently use the last.",
                )
            lines[path] = key_node.start_mark.line + 1
            _index(value_node, path, lines, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = (*prefix, index)
            lines[path] = item.start_mark.line + 1
            _index(item, path, lines, name)


def dotted(key_path: Sequence[str | int]) -> str:
    """A key path written the YAML way: ``evaluation.gates[0].metric``."""
    text = ""
    for part in key_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def where(name: str | Path, locate: Locate, key_path: Sequence[str | int]) -> str:
    """``shipyard.yaml:23 evaluation.gates[0].metric`` (without the line when unknown)."""
    line = locate(key_path)
    label = Path(name).name
    prefix = f"{label}:{line}" if line is not None else label
    key = dotted(key_path)
    return f"{prefix} {key}" if key else prefix


def parse_scalar(text: str) -> Any:
    """A command-line value typed as YAML types it: ``5`` is an int, ``0.1`` a float, ``true``
    a bool, ``null`` None, ``[a, b]`` a list; anything else stays the string given."""
    try:
        return yaml.safe_load(text) if text.strip() else text
    except yaml.YAMLError:
        return text


def set_path(document: Any, key_path: Sequence[str | int], value: Any) -> Any:
    """Set ``value`` at ``key_path`` in a nested document of dicts and lists, creating missing
    mappings on the way; returns the (possibly new) document."""
    root: Any = {} if document is None else document
    current = root
    for depth, part in enumerate(key_path):
        last = depth == len(key_path) - 1
        if isinstance(current, list):
            if not isinstance(part, int) or not -len(current) <= part < len(current):
                raise ConfigurationError(
                    f"{dotted(key_path[: depth + 1])}: there is no item {part} in that list."
                )
        elif isinstance(current, dict):
            part = str(part)
        else:
            raise ConfigurationError(
                f"{dotted(key_path[:depth])} is a value, not a mapping; cannot set "
                f"{dotted(key_path)}."
            )
        if last:
            current[part] = value
        else:
            child = current.get(part) if isinstance(current, dict) else current[int(part)]
            if not isinstance(child, dict | list):
                child = {}
                current[part] = child
            current = child
    return root


def split_key(text: str) -> KeyPath:
    """``evaluation.gates[0].min`` (or ``evaluation.gates.0.min``) as a key path."""
    parts: list[str | int] = []
    for piece in text.replace("]", "").replace("[", ".").split("."):
        if not piece:
            raise ConfigurationError(f"{text!r} is not a key path like train.params.max_depth.")
        parts.append(int(piece) if piece.isdigit() else piece)
    return tuple(parts)


def dig(document: Any, key_path: Sequence[str | int]) -> Any:
    """The value at ``key_path``, or None when any part is missing."""
    current = document
    for part in key_path:
        if isinstance(current, Mapping):
            current = current.get(part)
        elif (
            isinstance(current, list)
            and isinstance(part, int)
            and -len(current) <= part < len(current)
        ):
            current = current[part]
        else:
            return None
    return current
