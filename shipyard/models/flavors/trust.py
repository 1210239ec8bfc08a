"""Importing code a model package names: only code the caller trusts.

A package that names a class by import path (``module:qualname``) makes loading import that
module, which runs its top-level code. So the class is imported only when the caller trusts
it: ``trusted=True``, or a trust list naming the class (``module.qualname``), its module, or a
package above it (``myproject`` trusts ``myproject.nets:Net``). The same list holds the type
names skops asks about, so one ``trusted_types`` setting covers both.
"""

from __future__ import annotations

from typing import Any

from shipyard.core.errors import UnsafeModelError
from shipyard.models.flavors.base import Trust
from shipyard.models.flavors.python import resolve_reference


def trusts_reference(reference: str, trusted: Trust) -> bool:
    """Whether ``trusted`` covers the class ``reference`` (``module:qualname``)."""
    if trusted is True:
        return True
    if not trusted:
        return False
    names = set(trusted)
    module, _, qualname = reference.partition(":")
    if reference in names or f"{module}.{qualname}" in names:
        return True
    parts = module.split(".")
    return any(".".join(parts[:end]) in names for end in range(1, len(parts) + 1))


def import_trusted(reference: str, *, trusted: Trust, what: str) -> Any:
    """Import the object ``reference`` names, once the caller trusts it; else UnsafeModelError."""
    if not trusts_reference(reference, trusted):
        module = reference.partition(":")[0]
        raise UnsafeModelError(
            f"This {what} names the class {reference}; importing it runs that module's code, "
            "and it is not trusted.",
            hint=f"If you trust that code, pass trusted=[{module!r}] (or trusted=True), or list "
            f"{module!r} under `trusted_types` in shipyard.yaml.",
        )
    return resolve_reference(reference)
