"""Model tests in pytest: the ``shipyard.testing`` plugin (fixtures ``shipyard_workspace``,
``model`` and ``dataset``, registered through the ``pytest11`` entry point) and assertions
that run the evaluation package's behavioural checks on any model."""

from shipyard.testing.assertions import (
    assert_directional,
    assert_invariant,
    assert_min_functionality,
)

__all__ = ["assert_directional", "assert_invariant", "assert_min_functionality"]
