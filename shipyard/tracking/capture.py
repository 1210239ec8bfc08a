"""What a run records about where it came from: git state, entrypoint, Python, packages, host."""

from __future__ import annotations

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
    """Commit, dirty flag and (when dirty) the diff against HEAD; None outside a git work tree."""
    where = str(cwd or Path.cwd())
    status = _git(["status", "--porcelain=v2", "--branch", "--untracked-files=no"], where)
    if status is None:
        return None
    commit = None
    dirty = False
    for line in status.decode(errors="replace").splitlines():
        if line.startswith("# branch.oid "):
            commit = line.split()[2]
        elif not line.startswith("#"):
            dirty = True
    if commit is None or commit == "(initial)":
        return None
    diff = _git(["diff", "--binary", "HEAD"], where) if dirty else None
    return GitState(commit=commit, dirty=dirty, diff=diff)


def _git(args: list[str], cwd: str) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


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
