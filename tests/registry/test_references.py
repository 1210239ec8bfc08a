"""References mean the same for models and datasets, and a version is parsed in one place."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import shipyard as sy
from shipyard import registry
from shipyard._store.workspace import Workspace
from shipyard.core.errors import UsageError
from shipyard.core.refs import MAX_VERSION, parse_version
from shipyard.data.refs import DatasetRef, is_path_like, parse_dataset_ref
from shipyard.registry.refs import ModelRef, parse_ref
from tests.cli.process import run_shipyard
from tests.packaged import package_hash
from tests.registered_model import Registered

BAD_VERSIONS = ["²", "١", "３", "0", "-1", "1.0", "", " 3", "1" * 5000, str(MAX_VERSION + 1)]


@pytest.mark.parametrize("text", BAD_VERSIONS)
def test_a_version_is_ascii_digits_within_64_bits(text: str) -> None:
    with pytest.raises(UsageError, match=r"(?i)version"):
        parse_version(text)
    with pytest.raises(UsageError):
        parse_ref(f"churn/{text}")
    with pytest.raises(UsageError):
        parse_dataset_ref(f"churn/{text}")


def test_the_largest_version_and_ints_are_accepted() -> None:
    assert parse_version(str(MAX_VERSION)) == MAX_VERSION and parse_version(3) == 3
    with pytest.raises(UsageError):
        parse_version(True)


def test_models_and_datasets_read_references_alike() -> None:
    assert parse_ref("churn/3") == ModelRef("churn", version=3)
    assert parse_dataset_ref("churn/3") == DatasetRef("churn", 3)
    assert parse_ref("churn@production") == ModelRef("churn", alias="production")
    assert parse_dataset_ref("churn@latest") == parse_dataset_ref("churn") == DatasetRef("churn")
    assert str(DatasetRef("churn", 3)) == "churn/3"
    with pytest.raises(UsageError, match="dataset versions have no aliases"):
        parse_dataset_ref("churn@production")
    assert not is_path_like("churn/3") and is_path_like("data/churn.parquet")


def test_the_old_dataset_form_still_works_with_a_deprecation_warning() -> None:
    with pytest.warns(DeprecationWarning, match="write churn/3"):
        assert parse_dataset_ref("churn@3") == DatasetRef("churn", 3)


def test_a_dataset_logged_is_loaded_by_name_slash_version(workspace: Workspace) -> None:
    frame = pd.DataFrame({"a": [1, 2, 3]})
    version = sy.log_dataset(frame, "tiny", workspace=workspace)
    assert version.ref == "tiny/1"
    pd.testing.assert_frame_equal(sy.load_dataset("tiny/1", workspace=workspace), frame)
    with pytest.warns(DeprecationWarning):
        pd.testing.assert_frame_equal(sy.load_dataset("tiny@1", workspace=workspace), frame)


def test_functions_that_take_a_version_take_a_reference(workspace: Workspace) -> None:
    workspace.models.create_version(
        "churn", package_hash=package_hash(workspace), flavor="python", signature=None,
        source_run_id=None, actor="trainer",
    )  # fmt: skip
    assert registry.check_policy("churn/1", alias="production", workspace=workspace).allowed
    move = sy.promote("churn/1", alias="production", workspace=workspace)
    assert (move.model, move.alias, move.after) == ("churn", "production", 1)
    assert sy.promote("churn", "1", "staging", workspace=workspace).after == 1
    with pytest.raises(UsageError, match="does not name a version"):
        sy.promote("churn@production", alias="x", workspace=workspace)
    with pytest.raises(UsageError, match="Which alias"):
        sy.promote("churn/1", workspace=workspace)
    with pytest.raises(UsageError, match="not a version number"):
        sy.promote("churn", "²", "staging", workspace=workspace)


@pytest.mark.parametrize("version", ["1" * 5000, "9999999999999999999999999", "²"])
def test_the_cli_refuses_an_impossible_version_as_a_usage_error(
    registered: Registered, version: str
) -> None:
    done = run_shipyard("--home", str(registered.home), "models", "show", f"churn/{version}",
                        cwd=registered.home.parent)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "not a version number" in done.stderr


def test_the_cli_shows_a_dataset_by_name_slash_version(tmp_path: Path) -> None:
    home = tmp_path / "h"
    workspace = Workspace(sy.load_settings(home=home, capture_git=False))
    try:
        sy.log_dataset(pd.DataFrame({"a": [1, 2]}), "tiny", workspace=workspace)
    finally:
        workspace.close()
    shown = run_shipyard("--home", str(home), "data", "show", "tiny/1", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "tiny/1" in shown.stdout
