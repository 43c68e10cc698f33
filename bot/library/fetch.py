"""Downloading the document behind a link an admin sent, as safely as a server on someone's
network must: http and https only; the site's name resolved, every address it resolves to
checked to be public (not private, loopback, link-local, multicast or reserved) unless
BOT_FETCH_ALLOW_HOSTS allows it, and the connection made to exactly the address checked (so a
name that resolves differently a moment later cannot slip through); the same for every redirect
hop; within a size limit counted while the body streams in, and one deadline for the whole
download, redirects included.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message

import httpx

from bot.library.errors import size_text

MAX_REDIRECTS = 5
USER_AGENT = "Mozilla/5.0 (compatible; ArticleQABot/0.1; fetches pages an admin sends)"
# What the bot asks for and reads: web pages, PDF files and text. A server that does not say
# (application/octet-stream, as some serve PDF files) gets its content sniffed by the caller.
ACCEPT = "text/html,application/xhtml+xml,application/pdf,text/plain;q=0.9,text/markdown;q=0.9"
READABLE_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/pdf",
                            "text/plain", "text/markdown", "text/x-markdown",
                            "application/octet-stream", "binary/octet-stream"})
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class FetchError(Exception):
    """The link could not be downloaded; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """How much, how long, and which private hosts (names, addresses or networks) are allowed."""

    max_bytes: int
    timeout: float
    allow_hosts: frozenset[str] = frozenset()

    def allows(self, host: str, address: Address) -> bool:
        if host.casefold() in self.allow_hosts:
            return True
        return any(address in network for network in _networks(self.allow_hosts))


@dataclass(frozen=True, slots=True)
class Fetched:
    """A downloaded document: the URL it was finally read from (after redirects), its bytes,
    the media type the server gave, and the file name it suggested (Content-Disposition)."""

    url: str
    data: bytes
    media_type: str
    file_name: str | None


async def fetch(url: str, policy: FetchPolicy) -> Fetched:
    """The document at `url`, or `FetchError`."""
    try:
        async with asyncio.timeout(policy.timeout):
            return await _fetch(_parse(url), policy)
    except TimeoutError:
        raise FetchError(f"the site did not send the document within {policy.timeout:g} s "
                         "(BOT_FETCH_TIMEOUT); try again later, or save the page and send it "
                         "as a file") from None


async def _fetch(url: httpx.URL, policy: FetchPolicy) -> Fetched:
    # No proxy from the environment: the addresses checked must be the ones connected to.
    async with httpx.AsyncClient(trust_env=False, follow_redirects=False,
                                 timeout=policy.timeout,
                                 headers={"User-Agent": USER_AGENT, "Accept": ACCEPT}) as client:
        for hop in range(MAX_REDIRECTS + 1):
            addresses = await _public_addresses(url, policy, redirected=hop > 0)
            response = await _connect(client, url, addresses)
            try:
                if response.is_redirect:
                    url = _redirect(url, response)
                    continue
                return await _read(url, response, policy)
            finally:
                await response.aclose()
    raise FetchError(f"the link redirects more than {MAX_REDIRECTS} times; send the address "
                     "the page finally has")


def _parse(text: str) -> httpx.URL:
    try:
        url = httpx.URL(text.strip())
    except (httpx.InvalidURL, ValueError) as exc:
        raise FetchError(f"this is not a link the bot can read ({exc}); send an http:// or "
                         "https:// address") from None
    _check_url(url)
    return url


def _check_url(url: httpx.URL, redirected: bool = False) -> None:
    what = "the link redirects to an address that" if redirected else "the link"
    if url.scheme not in ("http", "https"):
        raise FetchError(f"{what} is not http or https ({url.scheme or 'no scheme'}); send an "
                         "http:// or https:// address")
    if not url.host:
        raise FetchError(f"{what} names no site; send the page's full address")
    if url.userinfo:
        raise FetchError(f"{what} holds a user name or password, which the bot does not send; "
                         "save the page and send it as a file")


def _redirect(url: httpx.URL, response: httpx.Response) -> httpx.URL:
    location = response.headers.get("Location", "")
    if not location:
        raise FetchError(f"the site answered {response.status_code} (a redirect) without "
                         "saying where to; check the link")
    try:
        target = url.join(location)
    except (httpx.InvalidURL, ValueError):
        raise FetchError("the site redirects to an address that is not a valid link") from None
    _check_url(target, redirected=True)
    return target


async def _public_addresses(url: httpx.URL, policy: FetchPolicy, *,
                            redirected: bool) -> list[Address]:
    """The addresses `url`'s host resolves to, if every one of them may be fetched from."""
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError(f"the site {url.host} cannot be found; check the link") from None
    addresses = list(dict.fromkeys(_address(str(info[4][0])) for info in found))
    for address in addresses:
        if not _is_public(address) and not policy.allows(url.host, address):
            what = (f"the link redirects to {url.host}, a" if redirected
                    else f"{url.host} is a")
            raise FetchError(f"{what} private or local address ({address}), which the bot does "
                             "not fetch from; if the site is on your own network, add it to "
                             "BOT_FETCH_ALLOW_HOSTS")
    if not addresses:
        raise FetchError(f"the site {url.host} cannot be found; check the link")
    return addresses


async def _connect(client: httpx.AsyncClient, url: httpx.URL,
                   addresses: list[Address]) -> httpx.Response:
    """The response of the first address that answers, connecting to the address itself while
    the request (Host header, TLS name and certificate check) still names the site."""
    failure: Exception | None = None
    for address in addresses:
        request = client.build_request(
            "GET", url.copy_with(host=str(address)),
            headers={"Host": url.netloc.decode("ascii")},
            extensions={"sni_hostname": url.raw_host.decode("ascii")})
        try:
            return await client.send(request, stream=True)
        except httpx.ConnectError as exc:
            failure = exc
        except httpx.HTTPError as exc:
            raise FetchError(f"the download from {url.host} failed ({_reason(exc)}); try "
                             "again later") from None
    raise FetchError(f"could not connect to {url.host} ({_reason(failure)}); check the link, "
                     "or try again later")


async def _read(url: httpx.URL, response: httpx.Response, policy: FetchPolicy) -> Fetched:
    if response.status_code >= 400:
        raise FetchError(f"the site answered {response.status_code} "
                         f"{response.reason_phrase or 'error'}; check that the link opens the "
                         "article in a browser")
    if response.status_code != 200:
        raise FetchError(f"the site answered {response.status_code} "
                         f"{response.reason_phrase} instead of the page; check the link")
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type and media_type not in READABLE_TYPES:
        raise FetchError(f"the link leads to {media_type}, not a web page, PDF or text; send a "
                         "link to the article itself")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise FetchError(_too_big(int(declared), policy.max_bytes))
    data = await _body(response, policy.max_bytes)
    return Fetched(url=str(url), data=data, media_type=media_type,
                   file_name=_suggested_name(response))


async def _body(response: httpx.Response, limit: int) -> bytes:
    """The body, decompressed, read only as far as `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchError(_too_big(None, limit))
            chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise FetchError(f"the download broke off ({_reason(exc)}); try again later") from None
    return b"".join(chunks)


def _suggested_name(response: httpx.Response) -> str | None:
    disposition = response.headers.get("Content-Disposition")
    if not disposition:
        return None
    header = Message()
    header["Content-Disposition"] = disposition
    name = header.get_filename()  # RFC 2231 names (filename*=UTF-8''…) included
    return name.replace("\\", "/").rsplit("/", 1)[-1] if name else None


def _too_big(size: int | None, limit: int) -> str:
    what = f"is {size_text(size)}" if size else "is larger than that"
    return (f"the document {what}, over the {size_text(limit)} limit for documents "
            "(BOT_UPLOAD_MAX_MB); split it, or link to a shorter version")


def _address(text: str) -> Address:
    address = ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 scope (%eth0) aside
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return address


def _is_public(address: Address) -> bool:
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        # IPv6 addresses that carry an IPv4 address a gateway would deliver to (6to4, NAT64)
        # are as public as that address.
        inner = address.sixtofour
        if inner is None and address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return _is_public(inner)
    return True


def _networks(entries: Iterable[str]) -> list[Network]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue  # a host name
    return networks


def _reason(error: BaseException | None) -> str:
    if error is None:
        return "no address answered"
    return str(error) or type(error).__name__
