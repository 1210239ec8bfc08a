"""What a run records about where it came from: git state, entrypoint, Python, packages, host."""

from __future__ import annotations

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


@lru_cache(maxsize=1)
def package_lock() -> bytes:
    """Installed distributions as a sorted ``name==version`` lock file."""
    seen: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name.lower() not in seen:
            seen[name.lower()] = f"{name}=={dist.version}"
    lines = [seen[key] for key in sorted(seen)]
    return ("\n".join(lines) + "\n").encode()
