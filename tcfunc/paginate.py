"""Paginators: every page of a listing action, written once, driven sync or async.

``client.paginate(action, params)`` returns a :class:`Paginator` (a
:class:`AsyncPaginator` on an asyncio client). Iterating it yields each
page's ``Response`` dict; :meth:`Paginator.items` yields the items of the
page's list member across pages. The paging itself is a small state machine
with no I/O (:class:`Pager`: the params of the next request, or done, from
the last answer), so the sync and the async loop share every rule.

How the paging scheme is inferred from the first answer (``scheme=`` overrides it):

1. **Token**: the answer has a next-token member; its value goes back as the
   matching request member (``NextToken`` -> ``NextToken``, ``Context`` ->
   ``Context``, ``NextCursor`` -> ``Cursor``, ``Cursor`` -> ``Cursor``,
   ``ScrollToken``, ``PaginationToken``, ``SearchAfter``, ``ScrollId``,
   ``Marker`` -> the same name). An empty or missing token ends the paging.
2. **Offset/Limit**: otherwise ``TotalCount`` plus exactly one list member.
   When the params carry ``PageNumber`` or ``PageSize`` the pages are
   numbered instead (``PageNumber`` counts from 1 unless the params start
   elsewhere).
3. Neither: the answer is the only page. ``TotalCount`` with several list
   members is ambiguous: ``ClientError.PaginationAmbiguous`` says which, and
   ``scheme=PageScheme.offset(items="...")`` picks one.

Guarantees: ``max_items`` stops early (no request for a page that would not
be used; a ``Limit`` in the params is lowered for the last page); a token
that repeats, or an offset page that adds nothing while ``TotalCount`` says
more remain, raises ``ClientError.PaginationStuck`` instead of looping.

A list that changes while it is paged: each page's ``TotalCount`` is
believed, and offset paging stops as soon as the next offset reaches the
latest ``TotalCount``. When items are removed meanwhile, later items shift to
lower offsets and may be skipped; when items are added, some may appear
twice. Offset paging cannot do better; the token schemes, where the server
keeps the position, do.
"""

from __future__ import annotations

import json
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Tuple,
    Union,
)

import attrs

from ._validate import fail
from .errors import TencentCloudSDKException

__all__ = [
    "TOKEN_PAIRS",
    "AsyncPaginator",
    "Page",
    "PageScheme",
    "Pager",
    "Paginator",
    "classify_spec",
]

#: Answer member -> request member, for the token schemes tccli's specs use.
TOKEN_PAIRS: Mapping[str, str] = {
    "NextToken": "NextToken",
    "Context": "Context",
    "NextCursor": "Cursor",
    "Cursor": "Cursor",
    "ScrollToken": "ScrollToken",
    "PaginationToken": "PaginationToken",
    "SearchAfter": "SearchAfter",
    "ScrollId": "ScrollId",
    "Marker": "Marker",
}
_KINDS = ("offset", "page", "token")
STUCK = "ClientError.PaginationStuck"
AMBIGUOUS = "ClientError.PaginationAmbiguous"


def _check_name(_inst: object, attr: Any, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        fail("ClientError", f"PageScheme.{attr.name} must be a non-empty string or None")


def _check_kind(_inst: object, _attr: object, value: Any) -> None:
    if value not in _KINDS:
        fail("ClientError", f"PageScheme.kind must be one of {', '.join(_KINDS)}, got {value!r}")


@attrs.frozen
class PageScheme:
    """How an action pages; build one with :meth:`offset`, :meth:`page` or :meth:`token`.

    Attributes:
        kind: ``"offset"``, ``"page"`` or ``"token"``.
        items: the answer's list member (None: the one list member there is).
        cursor: the request member that moves (``Offset``, ``PageNumber``,
            or the token's request member).
        size: the request member for the page size (``Limit``, ``PageSize``).
        next_token: for a token scheme, the answer member holding the next token.
    """

    kind: str = attrs.field(validator=_check_kind)
    items: Optional[str] = attrs.field(default=None, validator=_check_name)
    cursor: str = attrs.field(default="Offset", validator=_check_name)
    size: str = attrs.field(default="Limit", validator=_check_name)
    next_token: Optional[str] = attrs.field(default=None, validator=_check_name)

    @classmethod
    def offset(
        cls, items: Optional[str] = None, *, offset: str = "Offset", limit: str = "Limit"
    ) -> PageScheme:
        """Offset/Limit paging, stopping at ``TotalCount``."""
        return cls("offset", items, offset, limit)

    @classmethod
    def page(
        cls, items: Optional[str] = None, *, number: str = "PageNumber", size: str = "PageSize"
    ) -> PageScheme:
        """Numbered pages (from 1, or where the params start), stopping at ``TotalCount``."""
        return cls("page", items, number, size)

    @classmethod
    def token(
        cls,
        request: str = "NextToken",
        response: Optional[str] = None,
        *,
        items: Optional[str] = None,
        limit: str = "Limit",
    ) -> PageScheme:
        """Token paging: the answer's ``response`` member goes back as ``request``."""
        return cls("token", items, request, limit, response or request)

    @classmethod
    def coerce(cls, value: Union[PageScheme, str, None]) -> Optional[PageScheme]:
        """A scheme from itself, None (infer), or ``"offset"``, ``"page"``, ``"token"``."""
        if value is None or isinstance(value, PageScheme):
            return value
        if value == "offset":
            return cls.offset()
        if value == "page":
            return cls.page()
        if value == "token":
            return cls.token()
        return fail("ClientError", "scheme must be a PageScheme, 'offset', 'page', 'token' or None")


@attrs.frozen
class Page:
    """One answer and what it adds: its ``Response``, its items (cut to ``max_items``)."""

    response: Dict[str, Any]
    items: List[Any]


def _empty(token: Any) -> bool:
    return token is None or token in ("", [], {})


def _list_members(response: Mapping[str, Any], skip: str = "") -> List[str]:
    return [k for k, v in response.items() if isinstance(v, list) and k != skip]


def _count(value: Any) -> Optional[int]:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    try:
        return int(value)
    except ValueError:
        return None


class Pager:
    """The paging rules, with no I/O: feed each answer, get the next request's params.

    ``first()`` gives the first request's params; ``feed(response)`` the
    :class:`Page` it makes and whether another request follows (then
    :attr:`params` holds its params).
    """

    def __init__(
        self,
        action: str,
        params: Optional[Mapping[str, Any]],
        *,
        max_items: Optional[int] = None,
        scheme: Union[PageScheme, str, None] = None,
    ) -> None:
        if params is not None and not isinstance(params, Mapping):
            fail("ClientError", "params must be a dict or None")
        if max_items is not None and (
            isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 1
        ):
            fail("ClientError", f"max_items must be an integer >= 1 or None, got {max_items!r}")
        self.action = action
        self.params: Dict[str, Any] = dict(params or {})
        self.max_items = max_items
        self.scheme = PageScheme.coerce(scheme)
        self.seen = 0  # items handed out so far
        self._tokens: set[str] = set()
        self._pages = 0
        self._first_number: Optional[int] = None
        self._page_size: Optional[int] = None
        self._covered = 0
        if self.max_items is not None:
            self._lower_limit()

    def first(self) -> Dict[str, Any]:
        """The first request's params."""
        return dict(self.params)

    def feed(self, response: Dict[str, Any]) -> Tuple[Page, bool]:
        """The page ``response`` makes, and whether to request another (see :attr:`params`)."""
        if not isinstance(response, dict):
            fail("ClientError", f"{self.action}: the answer's Response is not an object")
        self._pages += 1
        scheme = self.scheme
        if scheme is None:
            scheme = self.scheme = self._infer(response)
        items = self._items(response, scheme)
        page_items = items
        if self.max_items is not None and self.seen + len(items) >= self.max_items:
            page_items = items[: self.max_items - self.seen]
            self.seen += len(page_items)
            return Page(response, page_items), False
        self.seen += len(items)
        if scheme is None:  # a single page
            return Page(response, page_items), False
        more = self._advance(response, scheme, len(items))
        if more and self.max_items is not None:
            self._lower_limit()
        return Page(response, page_items), more

    # ------------------------------------------------------------- rules

    def _infer(self, response: Mapping[str, Any]) -> Optional[PageScheme]:
        for answer_name, request_name in TOKEN_PAIRS.items():
            if answer_name in response:
                return PageScheme.token(request_name, answer_name)
        if "TotalCount" not in response:
            return None
        lists = _list_members(response)
        if len(lists) > 1:
            raise TencentCloudSDKException(
                AMBIGUOUS,
                f"{self.action}: the answer has TotalCount and several lists "
                f"({', '.join(sorted(lists))}); pass scheme=PageScheme.offset(items=...)",
            )
        items = lists[0] if lists else None
        if "PageNumber" in self.params or "PageSize" in self.params:
            return PageScheme.page(items)
        return PageScheme.offset(items)

    def _items(self, response: Mapping[str, Any], scheme: Optional[PageScheme]) -> List[Any]:
        skip = (scheme.next_token or "") if scheme is not None else ""
        name = scheme.items if scheme is not None else None
        if name is None:
            lists = _list_members(response, skip)
            if len(lists) > 1:
                raise TencentCloudSDKException(
                    AMBIGUOUS,
                    f"{self.action}: the answer has several lists ({', '.join(sorted(lists))}); "
                    "pass scheme=PageScheme....(items=...) to name the one to page",
                )
            if not lists:
                return []
            name = lists[0]
        value = response.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            fail("ClientError", f"{self.action}: the answer's {name} is not a list")
        return value

    def _advance(self, response: Mapping[str, Any], scheme: PageScheme, added: int) -> bool:
        if scheme.kind == "token":
            token = response.get(scheme.next_token or scheme.cursor)
            if _empty(token):
                return False
            seen = json.dumps(token, sort_keys=True, default=str)
            if seen in self._tokens:
                raise TencentCloudSDKException(
                    STUCK,
                    f"{self.action}: the answer repeated a {scheme.next_token} it gave before; "
                    "stopped instead of paging forever",
                )
            self._tokens.add(seen)
            self.params[scheme.cursor] = token
            return True
        total = _count(response.get("TotalCount"))
        if total is None:
            fail("ClientError", f"{self.action}: the answer has no integer TotalCount to page by")
        if scheme.kind == "offset":
            offset = _count(self.params.get(scheme.cursor, 0)) or 0
            following = offset + added
            if following >= total:
                return False
            if added == 0:
                raise TencentCloudSDKException(
                    STUCK,
                    f"{self.action}: a page at {scheme.cursor} {offset} added nothing while "
                    f"TotalCount says {total}; stopped instead of paging forever",
                )
            self.params[scheme.cursor] = following
            return True
        number = _count(self.params.get(scheme.cursor, 1))
        number = 1 if number is None else number
        if self._first_number is None:
            self._first_number = number
            self._page_size = _count(self.params.get(scheme.size)) or added
            # Items before the first page asked for (PageNumber counts from 1).
            self._covered = max(0, number - 1) * (self._page_size or 0)
        self._covered += added
        if self._covered >= total:
            return False
        if added == 0:
            raise TencentCloudSDKException(
                STUCK,
                f"{self.action}: page {number} added nothing while TotalCount says {total}; "
                "stopped instead of paging forever",
            )
        self.params[scheme.cursor] = number + 1
        return True

    def _lower_limit(self) -> None:
        # Ask for no more than will be used; never raise a limit (the API has a maximum).
        assert self.max_items is not None
        scheme = self.scheme
        names = ("Limit", "PageSize") if scheme is None else (scheme.size,)
        if scheme is not None and scheme.kind == "page":
            return  # a smaller page size would renumber the pages
        for name in names:
            limit = _count(self.params.get(name))
            if limit is not None and limit > self.max_items - self.seen:
                self.params[name] = self.max_items - self.seen


Fetch = Callable[[Dict[str, Any]], Dict[str, Any]]
AsyncFetch = Callable[[Dict[str, Any]], Awaitable[Dict[str, Any]]]


def _response_of(action: str, document: Any) -> Dict[str, Any]:
    response = document.get("Response") if isinstance(document, dict) else None
    if not isinstance(response, dict):
        fail("ClientError", f"{action}: the answer has no Response object")
    return response


class Paginator:
    """Pages of ``action``: iterate for each ``Response``; :meth:`items` for the items.

    Each iteration starts again from the first page.
    """

    def __init__(
        self,
        fetch: Fetch,
        action: str,
        params: Optional[Mapping[str, Any]] = None,
        *,
        max_items: Optional[int] = None,
        scheme: Union[PageScheme, str, None] = None,
    ) -> None:
        # Checked now, before anything is sent.
        Pager(action, params, max_items=max_items, scheme=scheme)
        self._fetch = fetch
        self.action = action
        self._params = dict(params or {})
        self._max_items = max_items
        self._scheme = scheme

    def pages(self) -> Iterator[Page]:
        """Each :class:`Page` (answer and items), fetching the next only when asked."""
        pager = Pager(self.action, self._params, max_items=self._max_items, scheme=self._scheme)
        params: Optional[Dict[str, Any]] = pager.first()
        while params is not None:
            page, more = pager.feed(_response_of(self.action, self._fetch(params)))
            params = dict(pager.params) if more else None
            yield page

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        for page in self.pages():
            yield page.response

    def items(self) -> Iterator[Any]:
        """The items of every page, in order (at most ``max_items``)."""
        for page in self.pages():
            yield from page.items


class AsyncPaginator:
    """:class:`Paginator` for asyncio clients: ``async for``; ``items()`` is an async iterator."""

    def __init__(
        self,
        fetch: AsyncFetch,
        action: str,
        params: Optional[Mapping[str, Any]] = None,
        *,
        max_items: Optional[int] = None,
        scheme: Union[PageScheme, str, None] = None,
    ) -> None:
        Pager(action, params, max_items=max_items, scheme=scheme)
        self._fetch = fetch
        self.action = action
        self._params = dict(params or {})
        self._max_items = max_items
        self._scheme = scheme

    async def pages(self) -> AsyncIterator[Page]:
        """Each :class:`Page`, fetching the next only when asked."""
        pager = Pager(self.action, self._params, max_items=self._max_items, scheme=self._scheme)
        params: Optional[Dict[str, Any]] = pager.first()
        while params is not None:
            page, more = pager.feed(_response_of(self.action, await self._fetch(params)))
            params = dict(pager.params) if more else None
            yield page

    async def __aiter__(self) -> AsyncIterator[Dict[str, Any]]:
        async for page in self.pages():
            yield page.response

    async def items(self) -> AsyncIterator[Any]:
        """The items of every page, in order (at most ``max_items``)."""
        async for page in self.pages():
            for item in page.items:
                yield item


def classify_spec(
    request_members: List[str], response_members: List[Tuple[str, str]]
) -> Optional[str]:
    """How the inference rules page an action, read from its spec (for codegen and counts).

    Args:
        request_members: the request's member names.
        response_members: ``(name, type)`` of the response's members (type
            ``"list"`` for lists).

    Returns:
        ``"token"``, ``"offset"``, ``"page"``, ``"ambiguous"``, or None (not paged).
    """
    answer = {name for name, _type in response_members}
    asked = set(request_members)
    for answer_name, request_name in TOKEN_PAIRS.items():
        if answer_name in answer and request_name in asked:
            return "token"
    if "TotalCount" not in answer:
        return None
    lists = [name for name, kind in response_members if kind == "list"]
    if "Offset" in asked and "Limit" in asked:
        return "offset" if len(lists) == 1 else "ambiguous"
    if "PageNumber" in asked and "PageSize" in asked:
        return "page" if len(lists) == 1 else "ambiguous"
    return None
