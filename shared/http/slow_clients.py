"""uvicorn's HTTP protocol with a deadline for the request line and headers. uvicorn arms a timer only
between requests (keep-alive): a client that opens a connection and sends its headers a byte at a time
(slowloris) was held open for as long as it liked, and enough of them exhaust the service. Here each
request's headers must be complete within `header_timeout_s` of its first byte (of the connection, for the
first one); otherwise a 408 is sent and the connection closed."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

TOO_SLOW = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


def with_header_timeout(header_timeout_s: float) -> type[HttpToolsProtocol]:
    """The protocol class for uvicorn's `http=`, with this deadline."""

    class HeaderDeadlineProtocol(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._header_timer is None:  # the next request on a kept-alive connection
                self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._header_timer = self.loop.call_later(header_timeout_s, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                self.transport.write(TOO_SLOW)
                self.transport.close()

    return HeaderDeadlineProtocol
