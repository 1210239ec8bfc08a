"""The shipyard.yaml loader refuses what would freeze or crash it, naming the file, at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.core.errors import ConfigurationError
from shipyard.core.settings import load_settings
from shipyard.core.yamlfile import (
    DEFAULT_MAX_BYTES,
    MAX_ALIAS_EXPANSION,
    MAX_DEPTH,
    load_yaml,
    parse_scalar,
)
from tests.cli.process import run_shipyard


def billion_laughs(levels: int = 9) -> str:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "billion-laughs": (billion_laughs(), f"aliases expand to more than {MAX_ALIAS_EXPANSION:,}"),
    "self-alias": ("settings: &s {project: *s}\n", "an alias refers to the value that holds it"),
    # libyaml's parser stops at 1,000 levels, the composer at MAX_DEPTH
    "deep-list": ("x: " + "[" * 5000 + "]" * 5000 + "\n", "maximum nesting depth"),
    "deep-map": ("x: " + "{a: " * 500 + "1" + "}" * 500 + "\n", f"more than {MAX_DEPTH} levels"),
    "deep-block": ("".join(f"{'  ' * i}k{i}:\n" for i in range(200)), "levels deep"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_documents_are_refused_naming_the_file(tmp_path: Path, case: str) -> None:
    text, message = HOSTILE[case]
    path = tmp_path / "shipyard.yaml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=r"^shipyard\.yaml") as caught:
        load_yaml(path)
    assert message in str(caught.value)
    assert caught.value.hint


def test_a_file_over_the_size_cap_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "shipyard.yaml"
    path.write_text("items:\n" + "  - {name: item, value: 1}\n" * (DEFAULT_MAX_BYTES // 25))
    with pytest.raises(ConfigurationError, match="larger than 1,048,576 bytes") as caught:
        load_yaml(path)
    assert str(path) in str(caught.value) and "SHIPYARD_CONFIG_MAX_BYTES" in str(caught.value)
    monkeypatch.setenv("SHIPYARD_CONFIG_MAX_BYTES", "100")
    path.write_text("project: churn\nsettings: {store_url: sqlite:///x.db}\n" * 3)
    with pytest.raises(ConfigurationError, match="larger than 100 bytes"):
        load_settings()
    monkeypatch.setenv("SHIPYARD_CONFIG_MAX_BYTES", "a lot")
    with pytest.raises(ConfigurationError, match="not a positive number of bytes"):
        load_yaml(path)


def test_a_binary_file_is_refused_as_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "shipyard.yaml"
    path.write_bytes(b"project: x\n" + bytes(range(128, 256)))
    with pytest.raises(ConfigurationError, match=r"shipyard.yaml is not UTF-8 text \(byte 0x80"):
        load_yaml(path)


def test_aliases_within_the_limit_still_work(tmp_path: Path) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text("base: &base {min: 0.8}\nfirst: *base\nsecond: {<<: *base, max: 1}\n")
    document, locate = load_yaml(path)
    assert document == {"base": {"min": 0.8}, "first": {"min": 0.8},
                        "second": {"min": 0.8, "max": 1}}  # fmt: skip
    assert locate(("second", "max")) == 3


def test_command_line_values_go_through_the_same_limits() -> None:
    assert parse_scalar("[a, b]") == ["a", "b"] and parse_scalar("a: [") == "a: ["
    with pytest.raises(ConfigurationError, match="levels deep"):
        parse_scalar("[" * 200 + "]" * 200)


@pytest.mark.parametrize("case", ["billion-laughs", "self-alias", "deep-list"])
def test_the_cli_refuses_a_hostile_shipyard_yaml_in_one_sentence(tmp_path: Path, case: str) -> None:
    (tmp_path / "shipyard.yaml").write_text(HOSTILE[case][0])
    done = run_shipyard("runs", "list", cwd=tmp_path, timeout=30)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "shipyard.yaml" in done.stderr
    assert HOSTILE[case][1] in done.stderr
    assert not (tmp_path / ".shipyard").exists()


def test_the_cli_refuses_a_binary_shipyard_yaml(tmp_path: Path) -> None:
    (tmp_path / "shipyard.yaml").write_bytes(bytes(range(256)) * 4)
    done = run_shipyard("runs", "list", cwd=tmp_path, timeout=30)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "is not UTF-8 text" in done.stderr


def _read_section(section: str, path: Path) -> object:
    if section == "settings":
        return load_settings()
    if section == "datasets":
        from shipyard.data.config import read_expectations_file

        return read_expectations_file(path)
    if section == "deployments":
        from shipyard.serving.deploy import declared_deployments

        return declared_deployments(path)
    if section == "monitoring":
        from shipyard.monitoring.config import load_config

        return load_config(path)
    from shipyard.pipeline.config import load_pipeline_config

    return load_pipeline_config(path)


SECTIONS = {
    "settings": ("settings:\n  store_url: sqlite:///x.db\n  colour: blue\n", ":3 settings.colour"),
    "datasets": ("datasets:\n  churn:\n    columns:\n      plan: {allowd: [a]}\n",
                 ":4 datasets.churn.columns.plan.allowd"),
    "deployments": ("deployments:\n  d:\n    routes: {churn/1: 100}\n    shadow: [churn/2]\n",
                    ":4 deployments.d.shadow"),
    "monitoring": ("monitoring:\n  rules:\n    - {name: r, metric: roc_aucc, below: 0.7}\n",
                   ":3 monitoring.rules[0].metric"),
    "pipeline": ("data: {source: d.csv}\ntrain:\n  entrypoint: train:fit\n  sead: 1\n",
                 ":4 train.sead"),
}  # fmt: skip


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_a_bad_key_in_any_section_names_the_file_line_and_key(tmp_path: Path, section: str) -> None:
    text, place = SECTIONS[section]
    path = tmp_path / "shipyard.yaml"
    path.write_text(text)
    with pytest.raises(ConfigurationError) as caught:
        _read_section(section, path)
    assert f"shipyard.yaml{place}" in str(caught.value)
    path.write_text(text + text.splitlines()[0] + "\n")  # the section's key twice
    with pytest.raises(ConfigurationError, match="duplicated key"):
        _read_section(section, path)
