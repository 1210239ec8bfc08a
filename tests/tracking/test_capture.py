"""What a run records about its environment: the package lock, read back from its cache."""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

from shipyard.tracking import capture


def _fresh_lock() -> bytes:
    capture.package_lock.cache_clear()
    return capture.package_lock()


def test_the_cached_lock_equals_the_installed_distributions(tmp_path: Path) -> None:
    expected = _fresh_lock()
    names = {line.split("==")[0].lower() for line in expected.decode().splitlines()}
    assert "shipyard" in names and "sqlalchemy" in names
    assert len(names) == len({d.metadata["Name"].lower() for d in metadata.distributions()})

    capture.package_lock.cache_clear()
    assert capture.package_lock(tmp_path) == expected  # computed, then kept
    kept = list((tmp_path / "package-locks").iterdir())
    assert len(kept) == 1 and kept[0].read_bytes().endswith(expected)

    capture.package_lock.cache_clear()
    assert capture.package_lock(tmp_path) == expected  # read back


def test_a_changed_environment_is_read_again(tmp_path: Path, monkeypatch) -> None:
    site = tmp_path / "site"  # a folder on sys.path, as site-packages is
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    expected = _fresh_lock()
    capture.package_lock.cache_clear()
    capture.package_lock(tmp_path)
    kept = next((tmp_path / "package-locks").iterdir())
    stamp = kept.read_bytes().splitlines(keepends=True)[0]
    kept.write_bytes(stamp + b"stale==1.0\n")
    capture.package_lock.cache_clear()
    assert capture.package_lock(tmp_path) == b"stale==1.0\n"  # the stamp still matches

    os.utime(site, ns=(0, 0))  # what installing or removing a distribution there does
    capture.package_lock.cache_clear()
    assert capture.package_lock(tmp_path) == expected
    assert len(list((tmp_path / "package-locks").iterdir())) == 1  # one file per interpreter
