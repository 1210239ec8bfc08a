"""What a run records about where it came from: git state, entrypoint, Python, packages, host."""

from __future__ import annotations

import hashlib
import os
import platform
import socket
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

GIT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class GitState:
    commit: str
    dirty: bool
    diff: bytes | None


def capture_git(cwd: Path | None = None) -> GitState | None:
    """Commit, dirty flag and (when dirty) the diff against HEAD; None outside a git work tree.

    ``rev-parse`` and ``diff`` run side by side; a non-empty diff of tracked files is what
    makes the tree dirty (untracked files are not part of what produced a run).
    """
    where = str(cwd or Path.cwd())
    diff_process = _start_git(["diff", "--binary", "HEAD"], where)
    commit_process = _start_git(["rev-parse", "--verify", "HEAD"], where)
    commit = _finish_git(commit_process)
    diff = _finish_git(diff_process)
    if not commit or diff is None:
        return None
    return GitState(commit=commit.decode().strip(), dirty=bool(diff), diff=diff or None)


def _start_git(args: list[str], cwd: str) -> subprocess.Popen[bytes] | None:
    try:
        return subprocess.Popen(
            ["git", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},  # never take the index lock
        )
    except OSError:
        return None


def _finish_git(process: subprocess.Popen[bytes] | None) -> bytes | None:
    if process is None:
        return None
    try:
        output, _ = process.communicate(timeout=GIT_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None
    return output if process.returncode == 0 else None


def entrypoint() -> str | None:
    """The script or module the process runs, as the user started it."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and getattr(spec, "name", None):
        return f"python -m {spec.name}"
    path = getattr(main, "__file__", None)
    if path:
        try:
            return str(Path(path).resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(Path(path).resolve())
    return sys.argv[0] or None


@lru_cache(maxsize=1)
def environment() -> dict[str, Any]:
    """Python, platform and host facts (the same for the life of the process)."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "host": socket.gethostname(),
        "executable": sys.executable,
    }


@lru_cache(maxsize=4)
def package_lock(cache_dir: Path | None = None) -> bytes:
    """Installed distributions as a sorted ``name==version`` lock file.

    Reading every distribution's metadata takes a few tenths of a second; with ``cache_dir``
    the lock is kept there, one file per interpreter, stamped with the modification times of
    the folders on ``sys.path`` (installing, upgrading or removing a distribution changes its
    folder), so a later process in an unchanged environment reads it back instead.
    """
    interpreter = _digest(sys.executable, sys.prefix)
    cached = cache_dir / "package-locks" / f"{interpreter}.txt" if cache_dir else None
    stamp = f"# {_digest(*_path_times())}\n".encode()
    if cached is not None and cached.is_file():
        content = cached.read_bytes()
        if content.startswith(stamp):
            return content[len(stamp) :]
    seen: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name.lower() not in seen:
            seen[name.lower()] = f"{name}=={dist.version}"
    lines = [seen[key] for key in sorted(seen)]
    lock = ("\n".join(lines) + "\n").encode()
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.partial")
            partial.write_bytes(stamp + lock)
            partial.replace(cached)
        except OSError:
            pass  # a cache that cannot be written is only slower
    return lock


def _path_times() -> list[str]:
    """Each folder on ``sys.path`` with its modification time."""
    times = []
    for entry in sys.path:
        try:
            times.append(f"{entry}:{Path(entry or '.').stat().st_mtime_ns}")
        except OSError:
            times.append(f"{entry}:-")
    return times


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
