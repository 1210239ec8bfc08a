"""The code a run was made from: a temporary ``git worktree`` at the recorded commit, with the
recorded diff applied when the tree was dirty."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

GIT_TIMEOUT_SECONDS = 60


@dataclass
class CodeCheckout:
    """Where the code for a reproduction is, and how faithful it is to the recorded run."""

    project_dir: Path
    commit: str | None = None
    worktree: bool = False
    diff_applied: bool = False
    problems: list[str] = field(default_factory=list)


def _git(
    args: list[str], cwd: Path, *, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", *args], cwd=cwd, input=input, capture_output=True, check=False,
        timeout=GIT_TIMEOUT_SECONDS,
    )  # fmt: skip


def repository_root(path: Path) -> Path | None:
    """The top of the git work tree holding ``path``, or None."""
    try:
        found = _git(["rev-parse", "--show-toplevel"], path)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(found.stdout.decode().strip()) if found.returncode == 0 else None


def current_commit(path: Path) -> str | None:
    try:
        found = _git(["rev-parse", "--verify", "HEAD"], path)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found.stdout.decode().strip() if found.returncode == 0 else None


@contextmanager
def checkout(
    project_dir: Path, commit: str | None, *, dirty: bool, diff: bytes | None
) -> Iterator[CodeCheckout]:
    """The project folder as it was at ``commit`` (plus ``diff`` when the run was dirty), in a
    temporary worktree removed afterwards. When that cannot be made (no commit recorded, no
    repository, an unknown commit), the current folder, with the reasons in ``problems``."""
    root = repository_root(project_dir)
    if commit is None or root is None:
        reason = "the run recorded no git commit" if commit is None else (
            f"{project_dir} is not in a git repository")  # fmt: skip
        yield CodeCheckout(project_dir, problems=[f"{reason}; the current code was used"])
        return
    if _git(["cat-file", "-e", f"{commit}^{{commit}}"], root).returncode != 0:
        yield CodeCheckout(project_dir, problems=[
            f"commit {commit[:12]} is not in the repository at {root}; the current code "
            "was used"])  # fmt: skip
        return
    relative = project_dir.resolve().relative_to(root.resolve())
    with tempfile.TemporaryDirectory(prefix="shipyard-reproduce-") as temporary:
        tree = Path(temporary) / "tree"
        added = _git(["worktree", "add", "--detach", str(tree), commit], root)
        if added.returncode != 0:
            yield CodeCheckout(project_dir, problems=[
                f"cannot check out {commit[:12]}: {added.stderr.decode().strip()}; the current "
                "code was used"])  # fmt: skip
            return
        try:
            if not (tree / relative).is_dir():
                yield CodeCheckout(project_dir, problems=[
                    f"{relative} is not tracked by git at {commit[:12]}; the current code was "
                    "used"])  # fmt: skip
                return
            result = CodeCheckout(tree / relative, commit=commit, worktree=True)
            if dirty:
                if diff is None:
                    result.problems.append("the run's tree was dirty and its diff was not stored")
                else:
                    applied = _git(["apply", "--whitespace=nowarn", "-"], tree, input=diff)
                    result.diff_applied = applied.returncode == 0
                    if not result.diff_applied:
                        result.problems.append(
                            "the run's uncommitted changes do not apply to "
                            f"{commit[:12]}: {applied.stderr.decode().strip()}"
                        )
            yield result
        finally:
            _git(["worktree", "remove", "--force", str(tree)], root)
