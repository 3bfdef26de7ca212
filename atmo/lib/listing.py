"""List parameters: the page, page size, sort order, state and name filters a list page reads.

One :class:`Listing` per list says what may be asked; :meth:`Listing.read` turns a
query string into :class:`ListParams`, never failing: an unknown sort or state, a
page size that is no number, a page past the end all fall back to something
sensible. Two lists on one page (the dashboard) tell their parameters apart by a
``prefix`` (``?clusters_sort=name&jobs_page=2``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import QueryDict

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 200

# Any in: each list hands its own QuerySet class, with its named filters.
StateFilter = Callable[[Any], QuerySet[Any]]


def everything(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset


@dataclass(frozen=True)
class Listing:
    """What one list may be sorted and filtered by.

    ``sorts`` maps a public sort name to the fields it orders by (ascending;
    ``-name`` reverses them). ``states`` maps a state name to a queryset filter;
    the first one is the default. ``search`` is the lookup ``?q=`` fills.
    """

    sorts: Mapping[str, Sequence[str]]
    default_sort: str
    states: Mapping[str, StateFilter] = field(default_factory=lambda: {"all": everything})
    search: str = ""
    prefix: str = ""
    #: The query key of the state filter, when it is not ``<prefix>state`` (the dashboard's ``?clusters=``).
    state_key: str = ""

    def key(self, name: str) -> str:
        if name == "state" and self.state_key:
            return self.state_key
        return f"{self.prefix}{name}"

    @property
    def default_state(self) -> str:
        return next(iter(self.states))

    def read(self, query: QueryDict) -> ListParams:
        sort = query.get(self.key("sort"), "")
        if sort.removeprefix("-") not in self.sorts:
            sort = self.default_sort
        state = query.get(self.key("state"), "")
        if state not in self.states:
            state = self.default_state
        return ListParams(
            listing=self,
            query=query,
            page=query.get(self.key("page"), "1"),
            per_page=read_per_page(query.get(self.key("per_page"), "")),
            sort=sort,
            state=state,
            q=query.get(self.key("q"), "").strip()[:100],
        )


def read_per_page(value: str) -> int:
    """A page size from the query string: default unless positive, at most :data:`MAX_PER_PAGE`."""
    try:
        number = int(value)
    except ValueError:
        return DEFAULT_PER_PAGE
    return min(number, MAX_PER_PAGE) if number > 0 else DEFAULT_PER_PAGE


@dataclass(frozen=True)
class ListParams:
    """One request's choices for one :class:`Listing`, and the links that change them."""

    listing: Listing
    query: QueryDict
    page: str
    per_page: int
    sort: str
    state: str
    q: str

    def filter(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The state and name filters applied, in the chosen order (primary key last, for stable pages)."""
        queryset = self.listing.states[self.state](queryset)
        if self.q and self.listing.search:
            queryset = queryset.filter(**{self.listing.search: self.q})
        descending = self.sort.startswith("-")
        fields = self.listing.sorts[self.sort.removeprefix("-")]
        order = [flip(name) if descending else name for name in fields]
        return queryset.order_by(*order, "-pk")

    def paginate(self, queryset: QuerySet[Any]) -> Page[Any]:
        """The requested page of the filtered list: the first for no number, the last past the end.

        Two queries: the count and the page's rows.
        """
        paginator = Paginator(self.filter(queryset), self.per_page)
        return paginator.get_page(self.page)

    def url(self, **changes: Any) -> str:
        """A query string with ``changes`` (unprefixed names) applied and every other parameter kept.

        A change of sort, filter or page size goes back to the first page. A value
        of None or the default drops the parameter.
        """
        query = self.query.copy()
        if "page" not in changes:
            changes["page"] = None
        defaults = {
            "sort": self.listing.default_sort,
            "state": self.listing.default_state,
            "page": 1,
            "q": "",
        }
        for name, value in changes.items():
            key = self.listing.key(name)
            if value is None or (name in defaults and value == defaults[name]):
                query.pop(key, None)
            else:
                query[key] = str(value)
        encoded = urlencode(sorted(query.lists()), doseq=True)
        return f"?{encoded}" if encoded else "?"

    def sort_url(self, name: str) -> str:
        """The link of a column header: ascending first, descending when already ascending."""
        return self.url(sort=f"-{name}" if self.sort == name else name)

    def sorted_by(self, name: str) -> str:
        """``"ascending"``, ``"descending"`` or ``""``: the ``aria-sort`` of a column header."""
        if self.sort == name:
            return "ascending"
        return "descending" if self.sort == f"-{name}" else ""

    @property
    def q_key(self) -> str:
        return self.listing.key("q")

    @property
    def hidden_fields_for_search(self) -> list[tuple[str, str]]:
        """The query's other parameters, for the hidden inputs of the name filter's form."""
        skip = {self.listing.key(name) for name in ("q", "page")}
        return [(key, value) for key, values in self.query.lists() if key not in skip for value in values]


def flip(order: str) -> str:
    return order[1:] if order.startswith("-") else f"-{order}"
