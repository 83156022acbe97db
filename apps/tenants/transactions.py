"""The services' atomic blocks, and the one transaction of a change whose refusal is the answer.

A service's atomic block opens a savepoint when it is nested, so a caller can catch a refusal
and carry on in the same transaction (a page, a test, another service). A SCIM write never
carries on: the refusal is the response and undoes the whole request. Inside
`single_transaction()` the services' blocks therefore open no savepoint, which saves a
SAVEPOINT and a RELEASE round trip per service call (docs/architecture.md, "Fast paths").
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.db import transaction

_in_single_transaction: ContextVar[bool] = ContextVar("in_single_transaction", default=False)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def single_transaction() -> Iterator[None]:
    """One transaction for the whole change; a refusal inside it undoes all of it."""
    marker = _in_single_transaction.set(True)
    try:
        with transaction.atomic():
            yield
    finally:
        _in_single_transaction.reset(marker)


def atomic() -> transaction.Atomic:
    """transaction.atomic() for a service: no savepoint inside single_transaction()."""
    return transaction.atomic(savepoint=not _in_single_transaction.get())


def atomic_service(function: Callable[P, R]) -> Callable[P, R]:
    """@transaction.atomic for a service, with atomic()'s savepoint rule."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with atomic():
            return function(*args, **kwargs)

    return wrapper
