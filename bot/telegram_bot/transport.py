"""python-telegram-bot's requests sent with aiohttp instead of httpx.

PTB's `HTTPXRequest` spends most of the bot's CPU under load: httpx, httpcore and h11 parse HTTP
in pure Python, and httpcore's pool polls every idle connection's socket each time a request
starts or ends. aiohttp parses with llhttp in C and learns of closed connections from the event
loop, and sends a Telegram request for about a quarter of the CPU. `AiohttpRequest` keeps
`HTTPXRequest`'s contract: the same timeouts and defaults, form or multipart bodies, a keep-alive
pool, transport failures raised as `TimedOut` or `NetworkError` from the aiohttp error.

`never_sent` and `may_arrive_late` read those errors for the retry policy in `sending`.
"""

from __future__ import annotations

import ssl
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import certifi
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` over one `aiohttp.ClientSession`, made in `initialize` (it needs the
    running loop) and closed in `shutdown`. Timeouts as in `HTTPXRequest`, but for one
    difference: waiting for a pooled connection and connecting share one bound, the sum of
    `pool_timeout` and `connect_timeout`. The others bound writing the request
    (`media_write_timeout` when it uploads files) and each wait for the answer."""

    __slots__ = ("_media_write_timeout", "_pool_size", "_proxies", "_session", "_timeouts")

    def __init__(
        self,
        connection_pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts[0]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # Certificates checked against certifi's bundle, as httpx does: aiohttp's default,
            # the system's, may be missing from slim container images.
            tls = ssl.create_default_context(cafile=certifi.where())
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ssl=tls))
            self._proxies.clear()

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        default_read, default_write, default_connect, default_pool = self._timeouts
        read = _given(read_timeout, default_read)
        write = _given(write_timeout, self._media_write_timeout if files else default_write)
        connect = _given(connect_timeout, default_connect)
        pool = _given(pool_timeout, default_pool)
        # aiohttp has no write timeout, and starts `sock_read` only once the request is out:
        # `total` bounds a stalled write. Its `connect` is the wait for a pooled connection plus
        # the connecting itself.
        timeout = aiohttp.ClientTimeout(total=_sum(pool, connect, write, read),
                                        connect=_sum(pool, connect), sock_connect=connect,
                                        sock_read=read)
        headers = {"User-Agent": self.USER_AGENT}
        body: bytes | aiohttp.FormData | None = None
        if files and request_data is not None:
            body = _multipart(request_data.json_parameters, files)
        elif request_data is not None:
            body = request_data.url_encoded_parameters().encode()
            headers |= _FORM
        try:
            async with self._session.request(method, url, data=body, headers=headers,
                                             timeout=timeout, proxy=self._proxy(url)) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's ServerTimeoutError, or `total` running out
            if isinstance(exc, aiohttp.ConnectionTimeoutError):
                raise TimedOut("Timed out connecting: the request was not sent.") from exc
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # Some of aiohttp's messages quote the URL, and the token is in its path.
            reason = str(exc).replace(url, "the Bot API")
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {reason}") from exc

    def _proxy(self, url: str) -> str | None:
        """The proxy HTTPS_PROXY (or HTTP_PROXY) names for `url` unless NO_PROXY exempts it, as
        httpx honours them. Looked up once per host: aiohttp's own `trust_env` looks them up,
        and reads ~/.netrc, in a thread for every request, which costs more than the request."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._proxies:
            exempt = urllib.request.proxy_bypass(parts.hostname or "")
            proxies = urllib.request.getproxies()
            self._proxies[key] = None if exempt else proxies.get(parts.scheme)
        return self._proxies[key]


def _multipart(fields: dict[str, str], files: dict[str, Any]) -> aiohttp.FormData:
    form = aiohttp.FormData(fields)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


def _given(value: Any, default: float | None) -> float | None:
    """A timeout passed to a bot method, or the default for a value PTB marks as not given."""
    return value if value is None or isinstance(value, int | float) else default


def _sum(*timeouts: float | None) -> float | None:
    """The time several timed steps may take together: unbounded if any one of them is."""
    return None if None in timeouts else sum(t for t in timeouts if t is not None)


def never_sent(error: BaseException | None) -> bool:
    """True when the transport `error` (what PTB's `NetworkError` was raised from) means the
    request did not reach the server in full, so the server cannot have acted on it: no
    connection was made (refused, DNS, TLS, or a connect or pool timeout), or the connection was
    closing while the request was being written."""
    if isinstance(error, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return True
    while error is not None:  # a failed body write is reported from the response, caused by it
        if isinstance(error, aiohttp.ClientConnectionResetError):
            return True
        error = error.__cause__
    return False


def may_arrive_late(error: BaseException | None) -> bool:
    """True when the request went out and its answer did not come in time: the server may
    still be acting on it."""
    return isinstance(error, TimeoutError) and not isinstance(error,
                                                             aiohttp.ConnectionTimeoutError)

