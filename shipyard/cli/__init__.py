"""The ``shipyard`` command: thin Typer views over the library."""
