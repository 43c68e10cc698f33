"""Downloading a linked document (`bot.library.fetch`) from a real web server on loopback: what it
returns, what it refuses before connecting (schemes, private and local addresses, on every
redirect hop), and the limits on size and time that hold while the body streams in."""

from __future__ import annotations

import asyncio
import time

import pytest
from sites import ARTICLE, PDF, Site

from bot.library import FetchError, FetchPolicy, fetch

MB = 1024 * 1024
LOCAL = FetchPolicy(max_bytes=MB, timeout=5.0, allow_hosts=frozenset({"127.0.0.1"}))


async def test_a_page_is_downloaded_with_its_address(site: Site) -> None:
    fetched = await fetch(site.url("/article"), LOCAL)
    assert fetched.data == ARTICLE
    assert fetched.media_type == "text/html"
    assert fetched.url == site.url("/article")
    assert fetched.file_name is None


async def test_redirects_are_followed_and_the_final_address_kept(site: Site) -> None:
    fetched = await fetch(site.url("/moved"), LOCAL)
    assert fetched.url == site.url("/article")
    assert fetched.data == ARTICLE


async def test_a_pdf_comes_with_the_name_its_site_suggests(site: Site) -> None:
    fetched = await fetch(site.url("/report"), LOCAL)
    assert fetched.data == PDF
    assert (fetched.media_type, fetched.file_name) == ("application/pdf", "annual report 2023.pdf")


async def test_the_connection_goes_to_the_address_checked_under_the_site_s_name(
    site: Site,
) -> None:
    # "localhost" resolves to the allowed 127.0.0.1: the bot connects to that address itself,
    # and the request still names the site, as a browser's would.
    await fetch(site.url("/article", host="localhost"), LOCAL)
    assert site.hosts == [f"localhost:{site.port}"]


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/article",  # loopback
    "http://localhost:9/",
    "http://[::1]:9/",
    "http://10.1.2.3/",  # private networks
    "http://192.168.0.1/router",
    "http://172.16.5.4/",
    "http://169.254.169.254/latest/meta-data/",  # link-local: a cloud's metadata service
    "http://0.0.0.0:9/",
    "http://224.0.0.1/",  # multicast
    "http://100.64.0.1/",  # shared address space (carrier NAT)
    "http://[fd00::1]/",  # unique local IPv6
    "http://[fe80::1]/",
    "http://[::ffff:10.0.0.1]/",  # IPv4-mapped
    "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "http://[2002:a00:1::]/",  # 6to4 of 10.0.0.1
    "http://2130706433/",  # 127.0.0.1 written as a number
])
async def test_private_and_local_addresses_are_refused_before_connecting(url: str) -> None:
    with pytest.raises(FetchError, match="private or local address") as caught:
        await fetch(url, FetchPolicy(max_bytes=MB, timeout=5.0))
    assert "BOT_FETCH_ALLOW_HOSTS" in str(caught.value)


async def test_an_allowed_network_lets_its_addresses_through(site: Site) -> None:
    policy = FetchPolicy(max_bytes=MB, timeout=5.0, allow_hosts=frozenset({"127.0.0.0/8"}))
    assert (await fetch(site.url("/article"), policy)).data == ARTICLE


@pytest.mark.parametrize("path", ["/to-private", "/to-loopback"])
async def test_a_redirect_to_another_private_address_is_refused(site: Site, path: str) -> None:
    with pytest.raises(FetchError, match=r"the link redirects to .* private or local address"):
        await fetch(site.url(path), LOCAL)


@pytest.mark.parametrize(("url", "problem"), [
    ("ftp://example.com/article.pdf", "is not http or https (ftp)"),
    ("file:///etc/passwd", "is not http or https (file)"),
    ("javascript:alert(1)", "is not http or https"),
    ("http://user:secret@example.com/", "user name or password"),
    ("http:///article", "names no site"),
    ("http://no-such-host.invalid/article", "cannot be found"),
])
async def test_links_that_are_not_web_addresses_are_refused(url: str, problem: str) -> None:
    with pytest.raises(FetchError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        await fetch(url, LOCAL)


async def test_an_error_page_is_refused_with_its_status(site: Site) -> None:
    with pytest.raises(FetchError, match="the site answered 404 Not Found"):
        await fetch(site.url("/missing"), LOCAL)


async def test_a_redirect_loop_ends(site: Site) -> None:
    with pytest.raises(FetchError, match="redirects more than 5 times"):
        await fetch(site.url("/loop"), LOCAL)


async def test_other_kinds_of_content_are_refused(site: Site) -> None:
    with pytest.raises(FetchError, match="leads to image/png, not a web page"):
        await fetch(site.url("/image"), LOCAL)


async def test_a_page_too_large_is_cut_off_while_it_streams(site: Site) -> None:
    with pytest.raises(FetchError, match="larger than that, over the 1 MB limit"):
        await fetch(site.url("/endless"), LOCAL)
    await asyncio.sleep(0.2)  # the server notices the closed connection
    # 64 MB were on offer; the bot stopped reading after its limit (plus what the
    # connection's buffers held).
    assert site.sent["/endless"] < 16 * MB


async def test_a_page_that_says_it_is_too_large_is_refused_unread(site: Site) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="is 100 MB, over the 1 MB limit"):
        await fetch(site.url("/declared-huge"), LOCAL)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("path", ["/slow", "/trickle"])
async def test_one_deadline_holds_for_the_whole_download(site: Site, path: str) -> None:
    policy = FetchPolicy(max_bytes=MB, timeout=0.5, allow_hosts=frozenset({"127.0.0.1"}))
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"within 0\.5 s"):
        await fetch(site.url(path), policy)
    assert time.monotonic() - started < 2.0
