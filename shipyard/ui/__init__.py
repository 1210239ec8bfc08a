"""The web UI (``shipyard ui``, ``sy.ui``): server-rendered pages over the public library, each
with a JSON twin under ``/api``; see docs/ui.md."""

from shipyard.ui.server import ui

__all__ = ["ui"]
