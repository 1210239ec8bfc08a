from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.core.errors import ConfigurationError
from shipyard.core.settings import load_settings


def test_defaults_use_sqlite_and_a_local_folder() -> None:
    settings = load_settings()
    assert settings.resolved_store_url == "sqlite:///.shipyard/shipyard.db"
    assert settings.resolved_artifacts_url == ".shipyard/artifacts"
    assert settings.project == "default"


def test_precedence_is_arguments_then_environment_then_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "shipyard.yaml").write_text(
        "project: from-file\n"
        "settings:\n"
        "  store_url: sqlite:///meta/s.db\n"
        "  artifacts_url: blobs\n"
        "  metric_flush_interval: 5\n"
    )
    from_file = load_settings()
    assert from_file.project == "from-file"
    assert from_file.resolved_store_url == f"sqlite:///{(tmp_path / 'meta' / 's.db').as_posix()}"
    assert from_file.resolved_artifacts_url == (tmp_path / "blobs").as_posix()
    assert from_file.metric_flush_interval == 5
    assert from_file.config_file == tmp_path / "shipyard.yaml"

    monkeypatch.setenv("SHIPYARD_PROJECT", "from-env")
    monkeypatch.setenv("SHIPYARD_ARTIFACTS_URL", "s3://bucket/prefix")
    from_env = load_settings()
    assert (from_env.project, from_env.resolved_artifacts_url) == ("from-env", "s3://bucket/prefix")

    explicit = load_settings(project="explicit")
    assert explicit.project == "explicit"


def test_bad_values_name_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIPYARD_METRIC_FLUSH_INTERVAL", "soon")
    with pytest.raises(ConfigurationError, match="SHIPYARD_METRIC_FLUSH_INTERVAL: Input should"):
        load_settings()


def test_a_broken_config_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "shipyard.yaml").write_text("settings: [unclosed\n")
    with pytest.raises(ConfigurationError, match=r"shipyard\.yaml:2: "):
        load_settings()
    (tmp_path / "shipyard.yaml").write_text("project: p\nsettings:\n  colour: blue\n")
    with pytest.raises(ConfigurationError, match=r"shipyard\.yaml:3 settings\.colour: Extra"):
        load_settings()
    (tmp_path / "shipyard.yaml").write_text("settings:\n  metric_flush_interval: -1\n")
    with pytest.raises(ConfigurationError, match=r"shipyard\.yaml:2 settings\.metric_flush_"):
        load_settings()
    (tmp_path / "shipyard.yaml").write_text("project: ''\n")
    with pytest.raises(ConfigurationError, match=r"shipyard\.yaml:1 project: String should"):
        load_settings()


def test_duplicated_settings_keys_are_refused(tmp_path: Path) -> None:
    (tmp_path / "shipyard.yaml").write_text(
        "settings:\n  store_url: sqlite:///a.db\n  store_url: sqlite:///b.db\n"
    )
    with pytest.raises(ConfigurationError, match=r"shipyard\.yaml:3 settings\.store_url: dup"):
        load_settings()


def test_environment_values_are_typed_like_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIPYARD_CAPTURE_GIT", "false")
    monkeypatch.setenv("SHIPYARD_SERVE_MAX_BATCH_SIZE", "128")
    monkeypatch.setenv("shipyard_home", "elsewhere")  # any case, as shells allow
    monkeypatch.setenv("SHIPYARD_TRUSTED_TYPES", '["pkg.module.Type"]')
    monkeypatch.setenv("SHIPYARD_NOT_A_SETTING", "ignored")
    settings = load_settings()
    assert settings.capture_git is False and settings.serve_max_batch_size == 128
    assert settings.home == Path("elsewhere")
    assert settings.trusted_types == ("pkg.module.Type",)
    monkeypatch.setenv("SHIPYARD_TRUSTED_TYPES", "pkg.module.Type")
    with pytest.raises(ConfigurationError, match="SHIPYARD_TRUSTED_TYPES is not a JSON list"):
        load_settings()
