"""Prometheus's own linter over a metrics exposition: `promtool check metrics` (installed by
scripts/install-services.sh from the Debian package `prometheus`)."""

from __future__ import annotations

import shutil
import subprocess


def check_metrics(text: str) -> None:
    """Fail with promtool's complaints unless ``text`` passes ``promtool check metrics``."""
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool is missing: run scripts/install-services.sh"
    done = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, f"{done.stdout}{done.stderr}\n---\n{text}"
