"""What the cluster page tests post, read back and expect from EMR."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.contrib.messages import get_messages

from atmo.clusters.models import Cluster


def describe_response(cluster: Cluster, state: str) -> dict[str, Any]:
    return {
        "Cluster": {
            "Id": cluster.jobflow_id,
            "Name": cluster.identifier,
            "Status": {
                "State": state,
                "StateChangeReason": {"Code": "USER_REQUEST", "Message": "Terminated by user request"},
                "Timeline": {"CreationDateTime": cluster.started_at, "ReadyDateTime": cluster.ready_at},
            },
            "MasterPublicDnsName": cluster.master_address,
        }
    }


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def new_cluster_post(key: Any, release: Any, **overrides: Any) -> dict[str, Any]:
    values = {
        "identifier": "new-curie",
        "size": 2,
        "lifetime": 6,
        "idle_timeout": 2,
        "ssh_key": key.pk,
        "emr_release": release.pk,
    }
    values.update(overrides)
    return {f"new-{name}": value for name, value in values.items()}


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            self.found.append(dict(attrs))


def inputs(body: str, name: str) -> list[dict[str, str | None]]:
    """The attributes of each ``<input name=...>`` of the page, whatever their order."""
    parser = _Inputs()
    parser.feed(body)
    return [attrs for attrs in parser.found if attrs.get("name") == name]


def checked_values(body: str, name: str) -> list[str | None]:
    """The values of the checked radio buttons (or boxes) called ``name``."""
    return [attrs.get("value") for attrs in inputs(body, name) if "checked" in attrs]
