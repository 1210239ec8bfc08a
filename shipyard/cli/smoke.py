"""``shipyard smoke``: a version's smoke tests, on an ephemeral server or a running one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shipyard.cli.output import JsonOption, print_json, print_table, say
from shipyard.cli.state import state
from shipyard.core.errors import UsageError
from shipyard.core.settings import CONFIG_FILE


def smoke(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="NAME/VERSION or NAME@ALIAS.")],
    url: Annotated[
        str | None,
        typer.Option(help="A running server to test (default: an ephemeral one of its own)."),
    ] = None,
    config: Annotated[
        Path, typer.Option(help="The shipyard.yaml whose `smoke:` cases to run.")
    ] = Path(CONFIG_FILE),
    token_file: Annotated[
        Path | None, typer.Option(help="A file whose first line is the server's bearer token.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run TARGET's smoke tests: its input example and the `smoke:` cases of shipyard.yaml,
    each checked for the response contract, its expectations and its latency budget. Exits 1
    when any case fails."""
    from shipyard.delivery.smoke import load_smoke_cases, smoke_test

    cases = load_smoke_cases(config) if config.is_file() else []
    report = smoke_test(
        target, cases, url=url, token=_token(token_file), workspace=state(ctx).workspace()
    )
    if as_json:
        print_json(report.to_dict())
    else:
        if not report.ready:
            say(f"{report.target} at {report.url}: {report.problems[0]}")
        print_table(
            f"Smoke tests of {report.expected_version} at {report.url}",
            ["case", "result", "status", "ms", "problems"],
            ([r.case, "pass" if r.passed else "FAIL", r.status, r.latency_ms,
              "; ".join(r.problems) or "-"] for r in report.results),
        )  # fmt: skip
        say("All smoke tests passed." if report.passed else "Smoke tests FAILED.")
    if not report.passed:
        raise typer.Exit(1)


def _token(token_file: Path | None) -> str | None:
    if token_file is None:
        return None
    try:
        lines = token_file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"Cannot read the token file {token_file}: {exc.strerror}.") from exc
    for line in lines:
        if line.strip() and not line.strip().startswith("#"):
            return line.strip()
    raise UsageError(f"The token file {token_file} holds no token.")
