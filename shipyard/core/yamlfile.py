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

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from shipyard.core.errors import ConfigurationError, NotFoundError

KeyPath = tuple[str | int, ...]
Locate = Callable[[Sequence[str | int]], int | None]


MAX_BYTES_VARIABLE = "SHIPYARD_CONFIG_MAX_BYTES"
"""Environment variable overriding :data:`DEFAULT_MAX_BYTES` (the ``config_max_bytes``
setting: it is read from the environment, since it bounds the reading of shipyard.yaml)."""
DEFAULT_MAX_BYTES = 1_048_576
"""Largest configuration file read: a shipyard.yaml is a few kilobytes."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists a configuration file may have."""
MAX_ALIAS_EXPANSION = 100_000
"""Most values that aliases (``*name``) may add to a document once expanded."""


def max_bytes() -> int:
    """The size cap on configuration files: ``SHIPYARD_CONFIG_MAX_BYTES`` or 1 MiB."""
    text = os.environ.get(MAX_BYTES_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MAX_BYTES
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise ConfigurationError(
            f"{MAX_BYTES_VARIABLE}={text!r} is not a positive number of bytes.",
            hint=f"For example {MAX_BYTES_VARIABLE}=4194304 for 4 MiB.",
        )
    return int(text)


def load_yaml(path: str | Path) -> tuple[Any, Locate]:
    """The document in ``path`` and a function giving the line (1-based) of a key path.

    A file over the size cap (:func:`max_bytes`), not UTF-8, nested deeper than
    :data:`MAX_DEPTH`, or whose aliases expand past :data:`MAX_ALIAS_EXPANSION` values is
    refused with a :class:`ConfigurationError` naming the file, before it is expanded.
    """
    source = Path(path)
    limit = max_bytes()
    try:
        with source.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise NotFoundError(
            f"{source} does not exist.", hint="Create one with `shipyard init`."
        ) from None
    except OSError as exc:
        raise ConfigurationError(f"Cannot read {source}: {exc.strerror or exc}.") from None
    if len(data) > limit:
        raise ConfigurationError(
            f"{source} is larger than {limit:,} bytes, the limit for configuration files.",
            hint=f"Check it is the right file, or raise the limit with {MAX_BYTES_VARIABLE}.",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(
            f"{source} is not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}).",
            hint="Configuration files are YAML text in UTF-8; check it is the right file.",
        ) from None
    return parse_yaml(text, name=source.name)


def parse_yaml(text: str, *, name: str = "<yaml>") -> tuple[Any, Locate]:
    """Like :func:`load_yaml`, for text already read; ``name`` is used in error messages."""
    loader = _BoundedLoader(text, name)
    try:
        node = loader.get_single_node()
        lines: dict[KeyPath, int] = {}
        if node is not None:
            _check_expansion(node, name)
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


def _event_parser() -> Any:
    """libyaml's C scanner and parser when PyYAML has it (about five times faster), else
    PyYAML's own; composing stays in Python either way, so its depth can be bounded."""
    try:
        from yaml._yaml import CParser

        return CParser
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        from yaml.parser import Parser
        from yaml.reader import Reader
        from yaml.scanner import Scanner

        class PythonParser(Reader, Scanner, Parser):
            def __init__(self, text: str) -> None:
                Reader.__init__(self, text)
                Scanner.__init__(self)
                Parser.__init__(self)

        return PythonParser


_Parser: Any = _event_parser()


class _BoundedLoader(Composer, _Parser, SafeConstructor, Resolver):  # type: ignore[misc]
    """A safe loader that refuses nesting deeper than :data:`MAX_DEPTH` while composing (the
    composer recurses once per level)."""

    def __init__(self, text: str, name: str) -> None:
        _Parser.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._name = name
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1
                raise ConfigurationError(
                    f"{self._name}:{line}: nested more than {MAX_DEPTH} levels deep.",
                    hint="Configuration is a few levels of mappings and lists; check the file.",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def dispose(self) -> None:
        parent = getattr(super(), "dispose", None)
        if parent is not None:
            parent()


def _check_expansion(root: yaml.Node, name: str) -> None:
    """Refuse a document whose aliases refer to themselves or expand past
    :data:`MAX_ALIAS_EXPANSION` values, counting each node once per place it appears (linear
    in the file: sizes are memoised per node)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    distinct = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            open_nodes.discard(key)
            if sizes[key] > distinct + MAX_ALIAS_EXPANSION:
                raise ConfigurationError(
                    f"{name}: its aliases expand to more than {MAX_ALIAS_EXPANSION:,} values.",
                    hint="Repeat fewer values through anchors and aliases (&name, *name).",
                )
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise ConfigurationError(
                f"{name}:{node.start_mark.line + 1}: an alias refers to the value that holds it.",
                hint="An anchor (&name) can only be used (*name) outside its own value.",
            )
        open_nodes.add(key)
        distinct += 1
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


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
    if not text.strip():
        return text
    try:
        document, _ = parse_yaml(text, name="the value")
    except ConfigurationError as exc:
        if isinstance(exc.__context__, yaml.YAMLError):  # malformed: the text as given
            return text
        raise
    return document


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
