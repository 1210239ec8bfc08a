"""The ``shipyard`` console script: the command line's start-up and shutdown, tuned.

Starting a command imports thousands of objects that live until the process exits (modules,
classes, compiled SQL and validation schemas). Python's cyclic garbage collector would walk
them again and again while they are created, and once more at shutdown: a quarter of a fully
cached ``shipyard run`` was spent so. So the collector is paused from the first import until
the command's module is loaded (:func:`command_ready`), the objects made so far are then frozen
out of later collections (``gc.freeze``), and everything is frozen again at exit. The command
itself runs with the collector on, as any program does.
"""

from __future__ import annotations

import gc

_paused = False


def main() -> None:
    global _paused
    gc.disable()
    _paused = True
    try:
        from shipyard.cli.app import main as run_command

        run_command()
    finally:
        gc.freeze()


def command_ready() -> None:
    """Resume collection once the command to run is loaded (a no-op outside the console
    script, e.g. under a test runner, where the collector was never paused)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
