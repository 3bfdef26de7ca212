"""Every page of the site that takes an object id, with ids that are none, name nothing, or name
another user's object: 404 or 403, never a server error, nothing changed, AWS never asked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.hostile.conftest import World, snapshot

pytestmark = pytest.mark.django_db

#: Ids the ``<int:id>`` converter does not match, and ids that match no row.
NOT_IDS = ["x", "-1", "1.5", "\x00", " ", "1e3", "0x1", "[1]"]
NO_ROW_IDS = ["0", "99999999999999999999", "9223372036854775808"]
#: The site's own URL namespaces (the admin has its own tests).
SITE_PREFIXES = ("clusters-", "jobs-", "keys-")


def object_routes(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(route with ``{id}``, URL name) of every site page that takes an ``id``."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from object_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and "<int:id>" in str(entry.pattern):
            name = entry.name or ""
            if name.startswith(SITE_PREFIXES):
                yield "/" + (prefix + str(entry.pattern)).replace("<int:id>", "{id}"), name


ROUTES = sorted(set(object_routes()))


def strangers_object(world: World, name: str) -> Any:
    kind = name.split("-")[0]
    return {"clusters": world.strangers_cluster, "jobs": world.strangers_job, "keys": world.strangers_key}[
        kind
    ]


def test_the_routes_cover_every_kind_of_object() -> None:
    names = {name for _, name in ROUTES}
    assert {
        "clusters-detail",
        "clusters-terminate",
        "jobs-run",
        "jobs-download",
        "keys-raw",
        "keys-delete",
    } <= names


@pytest.mark.parametrize("route, name", ROUTES, ids=[name for _, name in ROUTES])
def test_no_id_reaches_an_object_it_should_not(
    client_for: Any, world: World, aws: Any, route: str, name: str
) -> None:
    client = client_for(world.owner)
    before = snapshot()
    expectations = [(quote(bad, safe=""), {404}) for bad in NOT_IDS + NO_ROW_IDS]
    expectations.append((str(strangers_object(world, name).pk), {403, 404}))
    failures = []
    for object_id, allowed in expectations:
        url = route.format(id=object_id)
        for method in ("get", "head", "post"):
            status = getattr(client, method)(url).status_code
            if status not in allowed | {405}:
                failures.append((method, url, status))
    assert not failures
    assert snapshot() == before
