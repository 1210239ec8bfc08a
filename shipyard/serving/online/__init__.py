"""Online serving: an ASGI model server on uvicorn (DESIGN.md section 6).

``serve(target, ...)`` serves ``NAME@ALIAS``, ``NAME/VERSION`` or a stored deployment;
``create_app`` gives the ASGI app for embedding in another server.
"""

from shipyard.serving.online.api import serve
from shipyard.serving.online.app import ServingApp
from shipyard.serving.online.options import ServeOptions
from shipyard.serving.online.server import create_app, run_server

__all__ = ["ServeOptions", "ServingApp", "create_app", "run_server", "serve"]
