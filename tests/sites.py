"""A small web site on loopback for the tests of links an admin sends: a good article page, a
PDF, errors, redirects (to itself, to private addresses, in a loop), a page too large, a page
that never comes and one that trickles in, and content of kinds the bot does not read. It
counts what it sent, so a test can tell that a download was cut off early."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from pathlib import Path

from aiohttp import web

PDF = (Path(__file__).resolve().parent / "fixtures" / "pdf" / "report-simple.pdf").read_bytes()
TITLE = "Glacier retreat in the Alps speeds up"
# A page without a canonical link of its own: the bot keeps the address it was fetched from.
ARTICLE = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{TITLE} | Mountain Post</title></head>
<body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About us</a></nav>
<article>
<h1>{TITLE}</h1>
<p>The Morteratsch glacier lost another forty metres of length last summer, the largest retreat
measured since records began in 1878, according to the Swiss glacier monitoring network.</p>
<h2>Why the melt accelerated</h2>
<p>Researchers blame a warm spring with little snow, which left the ice exposed to the sun for
weeks longer than usual, and dust from the Sahara that darkened the surface.</p>
<p>Meltwater now forms lakes at the glacier's tongue, where hikers walked on ice two decades
ago, and the valley's hut has moved its path twice.</p>
</article>
<footer>© Mountain Post. All rights reserved. Contact us. Privacy policy.</footer>
</body></html>
""".encode()
CHUNK = 64 * 1024


class Site:
    """The site, listening on 127.0.0.1 once started; `url(path)` is the address of a page."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()  # bytes written, by path
        self.hosts: list[str] = []  # the Host header of every request
        self.port = 0
        self._runner: web.AppRunner | None = None

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/article", self._article)
        app.router.add_get("/report", self._report)
        app.router.add_get("/missing", self._missing)
        app.router.add_get("/moved", self._moved)
        app.router.add_get("/to-private", self._to_private)
        app.router.add_get("/to-loopback", self._to_loopback)
        app.router.add_get("/loop", self._loop)
        app.router.add_get("/endless", self._endless)
        app.router.add_get("/declared-huge", self._declared_huge)
        app.router.add_get("/slow", self._slow)
        app.router.add_get("/trickle", self._trickle)
        app.router.add_get("/image", self._image)
        # A handler stops when its client hangs up, as the slow pages' clients do.
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None,
                                     handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _article(self, request: web.Request) -> web.Response:
        self.hosts.append(request.host)
        self.sent["/article"] += len(ARTICLE)
        return web.Response(body=ARTICLE, content_type="text/html", charset="utf-8")

    async def _report(self, _: web.Request) -> web.Response:
        return web.Response(body=PDF, content_type="application/pdf", headers={
            "Content-Disposition": "attachment; filename*=UTF-8''annual%20report%202023.pdf"})

    async def _missing(self, _: web.Request) -> web.Response:
        return web.Response(status=404, text="no such page")

    async def _moved(self, _: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/article")

    async def _to_private(self, _: web.Request) -> web.Response:
        raise web.HTTPFound("http://10.0.0.1/admin")

    async def _to_loopback(self, _: web.Request) -> web.Response:
        raise web.HTTPFound(self.url("/article", host="127.0.0.2"))

    async def _loop(self, _: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        """64 MB of page, without saying so in advance."""
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        try:
            for _ in range(64 * 1024 * 1024 // CHUNK):
                await response.write(b"<p>" + b"x" * (CHUNK - 7) + b"</p>\n")
                self.sent["/endless"] += CHUNK
        except (ConnectionError, RuntimeError):
            pass  # the client hung up, as it should
        return response

    async def _declared_huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.content_length = 100 * 1024 * 1024
        await response.prepare(request)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(30)  # the client must not wait to see the body
        return response

    async def _slow(self, _: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response(body=ARTICLE, content_type="text/html")

    async def _trickle(self, request: web.Request) -> web.StreamResponse:
        """A byte every 50 ms: each read is quick, the whole would take minutes."""
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        try:
            for byte in ARTICLE:
                await response.write(bytes([byte]))
                self.sent["/trickle"] += 1
                await asyncio.sleep(0.05)
        except (ConnectionError, RuntimeError):
            pass
        return response

    async def _image(self, _: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG\r\n\x1a\n" + bytes(64), content_type="image/png")
