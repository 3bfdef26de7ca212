"""atmo.lib.listing: list parameters read from any query string without failing."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import QueryDict

from atmo.keys.models import SSHKey
from atmo.lib.listing import DEFAULT_PER_PAGE, MAX_PER_PAGE, Listing, everything
from tests.keys.factories import SSHKeyFactory

LISTING = Listing(
    sorts={"name": ["title"], "created": ["created_at"]},
    default_sort="-created",
    states={"all": everything, "rsa": lambda keys: keys.filter(key__startswith="ssh-rsa")},
    search="title__icontains",
)


def read(query: str, listing: Listing = LISTING) -> Any:
    return listing.read(QueryDict(query))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", DEFAULT_PER_PAGE),
        ("abc", DEFAULT_PER_PAGE),
        ("0", DEFAULT_PER_PAGE),
        ("-3", DEFAULT_PER_PAGE),
        ("10", 10),
        ("100000", MAX_PER_PAGE),
        ("1e3", DEFAULT_PER_PAGE),
    ],
)
def test_it_bounds_the_page_size_and_falls_back_on_bad_values(value: str, expected: int) -> None:
    assert read(f"per_page={value}").per_page == expected


def test_it_ignores_unknown_sorts_and_states() -> None:
    params = read("sort=password&state=<script>")
    assert params.sort == "-created"
    assert params.state == "all"
    assert read("sort=-name").sort == "-name"


def test_links_keep_the_other_parameters_and_go_back_to_the_first_page() -> None:
    params = read("q=lap&page=3&other=1&per_page=10")
    assert params.url(sort="name") == "?other=1&per_page=10&q=lap&sort=name"
    assert params.url(page=4) == "?other=1&page=4&per_page=10&q=lap"
    # The default sort is dropped, and a sort already ascending turns descending.
    assert read("sort=name").sort_url("name") == "?sort=-name"
    assert read("sort=-name").url(sort="-created") == "?"


def test_a_prefix_keeps_two_lists_on_one_page_apart() -> None:
    clusters = Listing(
        sorts={"name": ["identifier"]}, default_sort="name", prefix="clusters_", state_key="clusters"
    )
    params = clusters.read(QueryDict("clusters_sort=-name&sort=created&clusters=all&jobs_page=2"))
    assert params.sort == "-name"
    assert params.url(page=2) == "?clusters=all&clusters_page=2&clusters_sort=-name&jobs_page=2&sort=created"


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "number"), [("abc", 1), ("999", 3), ("-1", 3), ("2", 2), ("", 1)])
def test_a_bad_page_number_gives_the_first_or_the_last_page(user: Any, page: str, number: int) -> None:
    SSHKeyFactory.create_batch(5, created_by=user)
    shown = read(f"page={page}&per_page=2").paginate(SSHKey.objects.all())
    assert shown.number == number


@pytest.mark.django_db
def test_it_filters_by_name_and_sorts_with_a_stable_tie_break(user: Any) -> None:
    for title in ["laptop", "desktop", "old laptop"]:
        SSHKeyFactory(created_by=user, title=title)
    titles = [key.title for key in read("q=LAPTOP&sort=name").paginate(SSHKey.objects.all())]
    assert titles == ["laptop", "old laptop"]
    titles = [key.title for key in read("sort=-name").paginate(SSHKey.objects.all())]
    assert titles == ["old laptop", "laptop", "desktop"]
