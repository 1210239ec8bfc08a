"""The packages loaded in this process and still in use, shared: loading the same package
under the same trust again returns the model already in memory instead of deserialising it
once more (a CI run, for instance, holds the candidate while its ephemeral server and the
batch engine ask for it). Entries are weak references, so a model no one holds any more is
freed as before; the key includes the manifest's bytes, which list every file's hash, so a
package rewritten in place is loaded anew."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable
from pathlib import Path

from shipyard.core.hashing import sha256_bytes
from shipyard.models.flavors.base import Trust
from shipyard.models.loaded import LoadedModel

_IN_USE: weakref.WeakValueDictionary[Hashable, LoadedModel] = weakref.WeakValueDictionary()
_WARMED: weakref.WeakSet[LoadedModel] = weakref.WeakSet()
_LOCK = threading.Lock()


def key_for(root: Path, manifest_bytes: bytes, trusted: Trust) -> Hashable:
    """What makes two loads the same: the folder, its manifest and what the caller trusts."""
    trust: Hashable = trusted if isinstance(trusted, bool) else frozenset(trusted)
    return (str(root.resolve()), sha256_bytes(manifest_bytes), trust)


def find(key: Hashable) -> LoadedModel | None:
    """The model loaded under ``key`` if something in this process still holds it."""
    with _LOCK:
        return _IN_USE.get(key)


def keep(key: Hashable, loaded: LoadedModel) -> LoadedModel:
    """Share ``loaded`` under ``key`` (or the one another thread shared first)."""
    with _LOCK:
        return _IN_USE.setdefault(key, loaded)


def is_warm(loaded: LoadedModel) -> bool:
    with _LOCK:
        return loaded in _WARMED


def mark_warm(loaded: LoadedModel) -> None:
    with _LOCK:
        _WARMED.add(loaded)
