"""Fixtures: a workspace on a real SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from shipyard._store.workspace import Workspace
from shipyard.core.settings import Settings, load_settings
from tests.services import PostgresServer, SeaweedServer, start_postgres, start_seaweedfs

pytest_plugins = ["tests.registered_model"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[SeaweedServer]:
    """A real S3 server (SeaweedFS) for the session, stopped by its pid."""
    server = start_seaweedfs()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_url(seaweedfs: SeaweedServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """``s3://`` URL of a fresh bucket on the real S3 server, with the standard AWS variables
    (endpoint, key pair, region) set as a user would set them."""
    for key, value in seaweedfs.environment.items():
        monkeypatch.setenv(key, value)
    return f"s3://{seaweedfs.new_bucket()}"


@pytest.fixture(params=["local", "s3"])
def artifacts_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An artifact store URL: a local folder, then a prefix in a bucket on real S3."""
    if request.param == "local":
        return (tmp_path / "artifacts").as_posix()
    return f"{request.getfixturevalue('s3_url')}/artifacts"


def new_postgres_database(server: PostgresServer) -> str:
    """A fresh, empty database on the session's server; returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.url(name)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's shipyard.yaml or SHIPYARD_* variables."""
    for key in list(os.environ):
        if key.startswith("SHIPYARD_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A metadata store URL: a real SQLite file, then a fresh database on real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{(tmp_path / 'meta' / 'shipyard.db').as_posix()}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return new_postgres_database(server)


@pytest.fixture
def settings(store_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        home=tmp_path / "home",
        store_url=store_url,
        artifacts_url=(tmp_path / "artifacts").as_posix(),
        actor="tester@test",
        capture_git=False,
        capture_packages=False,
    )


@pytest.fixture
def workspace(settings: Settings) -> Iterator[Workspace]:
    ws = Workspace(settings)
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture
def sqlite_workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace(load_settings(home=tmp_path / "home", actor="tester@test"))
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture
def settings_fast_flush(tmp_path: Path) -> Iterator[Workspace]:
    """A SQLite workspace whose metric buffer flushes every 50 ms."""
    ws = Workspace(
        load_settings(home=tmp_path / "fast", metric_flush_interval=0.05, capture_git=False)
    )
    try:
        yield ws
    finally:
        ws.close()
