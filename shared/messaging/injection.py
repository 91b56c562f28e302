"""Handlers take the message first and then what they need, by name; `inject` binds those names from the
one set of dependencies a service's bootstrap builds (production adapters, or the unit tests' fakes)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from shared.contract.cloudevents import CloudEventAttributes

Handler = Callable[..., Awaitable[object]]


def inject(
    handler: Handler, dependencies: Mapping[str, object]
) -> Callable[[Any, CloudEventAttributes], Awaitable[object]]:
    """`handler(message, attributes?, **named)` as a reaction `(message, attributes)`: every parameter after
    the message is looked up by name in `dependencies` (`attributes` is the message's CloudEvents
    attributes). A name the dependencies lack fails here, when the service is wired, not at the first event."""
    parameters = list(inspect.signature(handler).parameters)[1:]
    wants_attributes = "attributes" in parameters
    names = [p for p in parameters if p != "attributes"]
    if missing := [n for n in names if n not in dependencies]:
        raise KeyError(f"{handler.__name__} needs {missing}, which the bootstrap does not provide")
    bound = {name: dependencies[name] for name in names}

    async def reaction(message: Any, attributes: CloudEventAttributes) -> object:
        if wants_attributes:
            return await handler(message, attributes=attributes, **bound)
        return await handler(message, **bound)

    reaction.__name__ = handler.__name__
    reaction.__doc__ = handler.__doc__
    return reaction


def inject_all(handlers: Mapping[str, Handler], dependencies: Mapping[str, object]) -> dict[str, Any]:
    return {name: inject(handler, dependencies) for name, handler in handlers.items()}
