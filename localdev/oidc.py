"""The local OpenID Connect provider (oidc-provider-mock), with pages that need no CDN.

The provider's own templates load Pico CSS from cdn.jsdelivr.net: offline, or
under a strict network policy, the sign-in page came out unstyled. Its pages
here use templates of ours (``localdev/oidc_templates``) with a few inline
styles instead; everything else is the provider as published (pinned in
requirements/local.in). Run it as ``python -m localdev.oidc`` with the same
options as ``oidc-provider-mock`` (``--host``, ``--port``, ``--user``...).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import flask
import jinja2
import oidc_provider_mock
import oidc_provider_mock.__main__ as provider_cli
from werkzeug.serving import make_server

TEMPLATES = Path(__file__).resolve().parent / "oidc_templates"

_published_app = oidc_provider_mock.app


def local_app(**options: Any) -> flask.Flask:
    """The provider's Flask app (same options as ``oidc_provider_mock.app``), with our templates first."""
    app = _published_app(**options)
    # Ours win; a page we have no template for still renders the provider's own.
    app.jinja_loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(TEMPLATES), *([app.jinja_loader] if app.jinja_loader else [])]
    )
    return app


@contextmanager
def serve_in_thread(port: int = 0, **options: Any) -> Iterator[Any]:
    """The provider on a background thread (for tests), stopped when the block ends."""
    server = make_server("localhost", port, local_app(**options), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()


def main() -> None:
    # The published command line builds its app with the name it imported;
    # pointing that name at ours keeps every option of the command.
    provider_cli.app = local_app
    provider_cli.run()


if __name__ == "__main__":
    main()
