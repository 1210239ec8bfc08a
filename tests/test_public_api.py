from __future__ import annotations

import shipyard


def test_all_lists_exactly_the_public_names_sorted() -> None:
    public = {name for name in vars(shipyard) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(shipyard, name)).__name__ == "module"}
    assert set(shipyard.__all__) == public - modules
    assert shipyard.__all__ == sorted(shipyard.__all__)


def test_the_error_tree_has_one_root() -> None:
    errors = [getattr(shipyard, n) for n in shipyard.__all__ if n.endswith("Error")]
    assert all(issubclass(e, shipyard.ShipyardError) for e in errors)
    assert shipyard.UsageError.exit_code == 2 and shipyard.NotFoundError.exit_code == 1
    assert shipyard.NotFoundError.http_status == 404
    assert shipyard.InputValidationError.http_status == 422
