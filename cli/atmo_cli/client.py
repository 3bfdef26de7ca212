"""Where the API is, who the client is, and the API's answers (problem details become errors)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import httpx

CONFIG_PATH = Path("~/.config/atmo/config.toml")


@dataclass(frozen=True)
class Settings:
    url: str
    token: str


def load_settings(config_path: Path | None = None) -> Settings:
    """``ATMO_URL``/``ATMO_TOKEN``, else ``url``/``token`` of the config file (the environment wins)."""
    path = (config_path or Path(os.environ.get("ATMO_CONFIG", CONFIG_PATH))).expanduser()
    stored: dict[str, Any] = {}
    if path.exists():
        with path.open("rb") as file:
            stored = tomllib.load(file)
    url = os.environ.get("ATMO_URL") or stored.get("url") or ""
    token = os.environ.get("ATMO_TOKEN") or stored.get("token") or ""
    if not url or not token:
        raise click.UsageError(f"Set ATMO_URL and ATMO_TOKEN, or url and token in {path}.")
    return Settings(url.rstrip("/"), token)


class APIError(click.ClickException):
    """The API refused: its problem's words, and the exit code for the status."""

    def __init__(self, response: httpx.Response) -> None:
        try:
            problem = response.json()
        except ValueError:
            problem = {"detail": response.text[:200] or response.reason_phrase}
        lines = [problem.get("detail") or problem.get("title") or f"HTTP {response.status_code}"]
        lines += [
            f"  {e.get('pointer', '#').removeprefix('#/')}: {e['detail']}" for e in problem.get("errors", [])
        ]
        super().__init__("\n".join(lines))
        self.exit_code = 2 if response.status_code in (400, 404, 409) else 1


class Client:
    """An ``httpx`` client with the token, returning decoded JSON."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        self.http = httpx.Client(
            base_url=f"{settings.url}/api/v1/",
            headers={"Authorization": f"Bearer {settings.token}", "Accept": "application/json"},
            timeout=30,
            transport=transport,
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise APIError(response)
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every row of a paginated list, following the cursor."""
        rows: list[dict[str, Any]] = []
        page = self.get(path, **params)
        while True:
            rows += page["results"]
            if not page.get("next"):
                return rows
            page = self.request("GET", page["next"])
