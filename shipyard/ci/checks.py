"""The stages that run the project's own commands: the static checks declared under
``ci.checks:`` in ``shipyard.yaml`` (argv-split, never through a shell) and its code tests
(pytest, in a subprocess)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from shipyard.core.errors import ConfigurationError

CHECK_TIMEOUT_S = 1800.0
_SUMMARY = re.compile(
    r"^(?:=+ )?(\d+ (?:passed|failed|errors?|skipped|deselected).*?) in [\d.]+s.*$"
)


class StageFailed(Exception):
    """A stage found a problem: one sentence, an optional hint, and the figures."""

    def __init__(
        self, message: str, *, hint: str | None = None, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = dict(details or {})


def declared_checks(entries: Sequence[str | Sequence[str]]) -> list[list[str]]:
    """The commands under ``ci.checks``, each as an argv list (a string is split as a shell
    would split it, but never run through one)."""
    commands = []
    for i, entry in enumerate(entries):
        try:
            argv = shlex.split(entry) if isinstance(entry, str) else list(entry)
        except ValueError as error:
            raise ConfigurationError(
                f"ci.checks[{i}]: {entry!r} cannot be split into arguments: {error}.",
                hint="Balance the quotes, or give the command as a list of arguments.",
            ) from None
        if not argv:
            raise ConfigurationError(
                f"ci.checks[{i}] is empty.", hint="Give a command line, e.g. `ruff check .`."
            )
        commands.append(argv)
    return commands


def run_checks(commands: Sequence[Sequence[str]], cwd: Path) -> tuple[str, dict[str, Any]]:
    """Run every command in ``cwd``; fail on the first one that cannot start or exits non-zero."""
    ran: list[dict[str, Any]] = []
    for argv in commands:
        line = shlex.join(argv)
        try:
            done = subprocess.run(
                list(argv), cwd=cwd, capture_output=True, text=True, timeout=CHECK_TIMEOUT_S,
                check=False,
            )  # fmt: skip
        except FileNotFoundError:
            raise StageFailed(
                f"Check `{line}`: the command {argv[0]!r} was not found.",
                hint="Install it in the CI environment, or fix ci.checks in shipyard.yaml.",
                details={"ran": ran},
            ) from None
        except subprocess.TimeoutExpired:
            raise StageFailed(f"Check `{line}` ran longer than {CHECK_TIMEOUT_S:g} s.") from None
        ran.append({"command": line, "exit_code": done.returncode})
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip().splitlines()
            raise StageFailed(
                f"Check `{line}` failed with exit code {done.returncode}"
                + (f": {output[-1].strip()}" if output else "."),
                details={"ran": ran, "output": "\n".join(output[-40:])},
            )
    return (f"{len(ran)} check(s) passed" if ran else "no checks declared"), {"ran": ran}


def run_tests(cwd: Path, env: Mapping[str, str] | None = None) -> tuple[str, dict[str, Any]]:
    """Run the project's tests with pytest in a subprocess (the ``shipyard.testing`` plugin
    loads through its entry point); no tests at all passes with a note."""
    argv = [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider"]
    done = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, env={**os.environ, **dict(env or {})},
        check=False,
    )  # fmt: skip
    lines = (done.stdout + done.stderr).strip().splitlines()
    summary = next((m.group(1) for line in reversed(lines) if (m := _SUMMARY.match(line))), "")
    failing = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
    details = {"exit_code": done.returncode, "summary": summary, "failing": failing[:20],
               "output": "\n".join(lines[-60:])}  # fmt: skip
    if done.returncode == 5:
        return "no tests were collected", details
    if done.returncode == 0:
        return f"pytest: {summary or 'passed'}", details
    if "No module named pytest" in done.stderr:
        raise StageFailed("pytest is not installed.", hint="pip install 'shipyard[ci]'",
                          details=details)  # fmt: skip
    first = f" (first: {failing[0].split(' ', 1)[1]})" if failing else ""
    raise StageFailed(
        f"The tests did not pass: {summary or f'pytest exited with {done.returncode}'}{first}.",
        hint="Run `pytest` in the project to see the failures.",
        details=details,
    )
