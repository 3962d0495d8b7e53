"""deploy/nginx.conf for real: Debian's nginx runs the shipped file in front of the running stack.

The file is used as shipped except for the values marked `# SITE:` (ports, the
upstream, certificate, web root, this host's origin), replaced by plain text
substitution in cma_stack/proxy.py, the one way `make run INSTANCES=n`, the
benchmark and tests/test_instances.py start it too; it is wrapped in a minimal
main configuration the way the official nginx image includes it. Requests come
from different loopback addresses (127.0.0.x) so each check has its own
per-address rate budget; the browser (127.0.0.1) has its own too.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import ssl
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from cma_stack import NGINX, SHIPPED_NGINX_CONF, Stack, free_port, start_nginx, templated
from tests.helpers import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.stack

SCHOOL_ORIGIN = "https://www.riverbend.example"  # on the shipped allow-list, left as shipped
FOREIGN_ORIGIN = "https://evil.example"
HSTS = "max-age=31536000"
JSON = {"Accept": "application/json"}
POLLING = "/socket.io/?EIO=4&transport=polling"
WEBSOCKET = "/socket.io/?EIO=4&transport=websocket"
PAY_QUESTION = "how much do certified medical assistants make"
PAY_FIGURE = "$20.76"
SESSIONS_AT_ONCE = 10  # widget sessions one address may start in one burst (the comment in nginx.conf)


# --------------------------------------------------------------------------- nginx


@dataclass
class Proxy:
    origin: str  # https://127.0.0.1:<port>, also on the allow-list
    http_port: int
    https_port: int
    error_log: Path
    rate: int  # requests per second of the shipped /socket.io/ zone
    burst: int
    connections: int  # open requests per address
    body_limit: int  # bytes


def _shipped_limits(conf: str) -> dict[str, int]:
    """The numbers the shipped file sets, so the checks follow them if they are tuned."""
    rate = re.search(r"limit_req_zone\s+\$binary_remote_addr zone=\w+:\d+m rate=(\d+)r/s;", conf)
    burst = re.search(r"limit_req zone=\w+ burst=(\d+) nodelay;", conf)
    connections = re.search(r"limit_conn \w+ (\d+);", conf)
    body = re.search(r"client_max_body_size (\d+)k;", conf)
    assert rate and burst and connections and body, "the shipped limits are not where this test looks"
    return {
        "rate": int(rate.group(1)),
        "burst": int(burst.group(1)),
        "connections": int(connections.group(1)),
        "body_limit": int(body.group(1)) * 1024,
    }


def test_templating_refuses_a_missing_or_repeated_site_value() -> None:
    """A renamed `# SITE:` value must fail the start, not leave the shipped placeholder in place."""
    assert templated("listen 80;", {"listen 80;": "listen 8080;"}) == "listen 8080;"
    for text in ("listen 81;", "listen 80; listen 80;"):
        with pytest.raises(ValueError, match="exactly once"):
            templated(text, {"listen 80;": "listen 8080;"})


@pytest.fixture(scope="module")
def proxy(stack: Stack) -> Iterator[Proxy]:
    """nginx with the shipped configuration in front of the shared stack, serving a copy of web/."""
    assert NGINX.exists(), "nginx is missing: `make install` (or apt-get install nginx)"
    workdir = Path(tempfile.mkdtemp(prefix="cma-nginx-"))
    running = start_nginx(workdir, [urlsplit(stack.rasa_url).port], free_port(), free_port())
    try:
        stack.send("nginx-warm-up", "/greet", timeout=120)  # the first reply loads the models
        yield Proxy(
            running.origin,
            running.http_port,
            running.https_port,
            running.error_log,
            **_shipped_limits(SHIPPED_NGINX_CONF.read_text()),
        )
    finally:
        running.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------- a client from a chosen address


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


class Client:
    """HTTPS to the proxy from one loopback address, over one keep-alive connection."""

    def __init__(self, proxy: Proxy, address: str):
        self.proxy = proxy
        self.address = address
        self.connection = self._connect()

    def _connect(self) -> http.client.HTTPSConnection:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the throwaway certificate
        return http.client.HTTPSConnection(
            "127.0.0.1", self.proxy.https_port, context=context, source_address=(self.address, 0), timeout=30
        )

    def request(
        self,
        method: str,
        path: str,
        origin: str | None = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        headers = dict(headers or {})
        if origin:
            headers["Origin"] = origin
        if method != "GET" or body:
            headers.setdefault("Content-Type", "text/plain;charset=UTF-8")
        self.connection.request(method, path, body=body or None, headers=headers)
        response = self.connection.getresponse()
        reply = Reply(response.status, response.headers, response.read())
        if response.will_close:
            self.connection.close()
            self.connection = self._connect()
        return reply

    def handshake(self, origin: str | None) -> str:
        """A socket.io polling handshake plus namespace connect; the engine.io session id."""
        reply = self.request("GET", POLLING, origin)
        assert reply.status == 200, reply
        sid = json.loads(reply.body.decode()[1:])["sid"]
        assert self.request("POST", f"{POLLING}&sid={sid}", origin, b"40").status == 200
        return sid

    def close(self) -> None:
        self.connection.close()


def upgrade(proxy: Proxy, address: str, origin: str | None) -> tuple[int, http.client.HTTPSConnection]:
    """A real WebSocket opening handshake; the status and the (still open) connection."""
    client = Client(proxy, address)
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
    }
    if origin:
        headers["Origin"] = origin
    client.connection.request("GET", WEBSOCKET, headers=headers)
    response = client.connection.getresponse()
    status = response.status
    assert response.headers.get("Strict-Transport-Security") == HSTS, (status, dict(response.headers))
    if status != 101:
        response.read()
    return status, client.connection


def assert_hsts(reply: Reply) -> None:
    assert reply.headers.get("Strict-Transport-Security") == HSTS, (reply.status, dict(reply.headers))


# --------------------------------------------------------------------------- checks


def test_only_allowed_origins_reach_socket_io(proxy: Proxy) -> None:
    client = Client(proxy, "127.0.0.11")
    for origin in (FOREIGN_ORIGIN, "null", f"{proxy.origin}.evil.example", proxy.origin.replace("https", "http")):
        reply = client.request("GET", POLLING, origin)
        assert reply.status == 403, (origin, reply)
        assert_hsts(reply)
    for origin in (proxy.origin, SCHOOL_ORIGIN, None):  # None: the demo pages' own same-origin polls
        reply = client.request("GET", POLLING, origin)
        assert reply.status == 200 and reply.body.startswith(b'0{"sid":'), (origin, reply)
    client.close()

    opened: list[http.client.HTTPSConnection] = []
    try:
        for origin, expected in ((FOREIGN_ORIGIN, 403), (None, 403), (proxy.origin, 101), (SCHOOL_ORIGIN, 101)):
            status, connection = upgrade(proxy, "127.0.0.11", origin)
            opened.append(connection)
            assert status == expected, (origin, status)
    finally:
        for connection in opened:
            connection.close()


def test_rest_and_the_http_api_are_not_reachable(proxy: Proxy, stack: Stack) -> None:
    message = json.dumps({"sender": "nginx-outsider", "message": "/greet"}).encode()
    token = f"?token={stack.api_token}"
    api_paths = (
        f"/status{token}",
        f"/version{token}",
        f"/domain{token}",
        f"/conversations/nginx-insider/tracker{token}",
    )
    # Directly, Rasa answers all of these: a 404 through nginx is nginx's doing.
    assert stack.send("nginx-insider", "/greet")
    for path in api_paths:
        assert requests.get(f"{stack.rasa_url}{path}", headers=JSON, timeout=30).status_code == 200, path
    client = Client(proxy, "127.0.0.12")
    for origin in (None, proxy.origin):
        reply = client.request("POST", "/webhooks/rest/webhook", origin, message, {"Content-Type": "application/json"})
        assert reply.status == 404, reply
        assert_hsts(reply)
    for path in (*api_paths, f"/model{token}", "/webhooks/rest", "/webhooks/socketio", "/model/parse"):
        assert client.request("GET", path, headers=JSON).status == 404, path
    assert client.request("POST", f"/model/parse{token}", None, b'{"text": "hi"}').status == 404
    assert client.request("PUT", f"/model{token}", None, b"{}").status == 404
    # "/" is the demo page, not Rasa's "Hello from Rasa".
    home = client.request("GET", "/")
    assert home.status == 200 and b"widget/rasa-chat.js" in home.body and b"Rasa:" not in home.body
    assert_hsts(home)
    client.close()


def test_oversized_bodies_get_413(proxy: Proxy) -> None:
    client = Client(proxy, "127.0.0.13")
    sid = client.handshake(proxy.origin)
    post = f"{POLLING}&sid={sid}"
    # The largest legitimate message: 1,000 characters, each JSON-escaped to six bytes (\uXXXX).
    largest = ('42["nginx_test",' + json.dumps("\u2028" * 1000) + "]").encode()
    assert len(largest) > 6000
    assert client.request("POST", post, proxy.origin, largest).status == 200
    # nginx refuses them itself (its error page), whatever Rasa's own limits: anything over 64 kB at the latest.
    for size in (proxy.body_limit + 1, 64 * 1024 + 1, 1_000_001):
        reply = client.request("POST", post, proxy.origin, b'42["nginx_test","' + b"x" * size + b'"]')
        assert reply.status == 413 and b"<center>nginx</center>" in reply.body, (size, reply)
        assert_hsts(reply)
    client.close()


def test_a_burst_from_one_address_is_rate_limited(proxy: Proxy) -> None:
    client = Client(proxy, "127.0.0.14")
    path = f"{POLLING}&sid=no-such-session"  # answered by Rasa (400) unless nginx limits it first
    started = time.monotonic()
    statuses = [client.request("GET", path, proxy.origin).status for _ in range(proxy.burst + 60)]
    elapsed = time.monotonic() - started
    passed = [status for status in statuses if status != 429]
    assert set(passed) == {400}, set(passed)
    assert 429 in statuses
    # nodelay: the whole burst goes through at once, then the rate; the rest is refused.
    assert proxy.burst <= len(passed) <= proxy.burst + 1 + proxy.rate * elapsed, (len(passed), elapsed)
    limited = client.request("GET", path, proxy.origin)
    assert limited.status == 429
    assert_hsts(limited)
    assert "limiting requests" in proxy.error_log.read_text()

    # Another address at the same moment is not affected ...
    other = Client(proxy, "127.0.0.15")
    assert other.request("GET", path, proxy.origin).status == 400
    other.close()
    # ... and the limited one may go on at a normal pace (half the rate) straight away.
    time.sleep(2 / proxy.rate)
    for _ in range(10):
        assert client.request("GET", path, proxy.origin).status == 400
        time.sleep(2 / proxy.rate)
    client.close()


def test_open_websockets_per_address_are_limited(proxy: Proxy) -> None:
    assert proxy.connections + 1 <= proxy.burst, "this check opens one more socket than the connection limit"
    opened: list[http.client.HTTPSConnection] = []
    try:
        for _ in range(proxy.connections):
            status, connection = upgrade(proxy, "127.0.0.16", proxy.origin)
            opened.append(connection)
            assert status == 101
        status, connection = upgrade(proxy, "127.0.0.16", proxy.origin)
        connection.close()
        assert status == 429
        assert "limiting connections" in proxy.error_log.read_text()
        status, connection = upgrade(proxy, "127.0.0.17", proxy.origin)  # another address still can
        opened.append(connection)
        assert status == 101
        opened.pop(0).close()  # one socket closed: room for one more
        deadline = time.monotonic() + 5
        while (status := upgrade(proxy, "127.0.0.16", proxy.origin))[0] != 101 and time.monotonic() < deadline:
            status[1].close()
            time.sleep(0.2)
        opened.append(status[1])
        assert status[0] == 101
    finally:
        for connection in opened:
            connection.close()


def test_hsts_and_the_plain_http_redirect(proxy: Proxy) -> None:
    client = Client(proxy, "127.0.0.18")
    for path, status in (("/index.html", 200), ("/widget/rasa-chat.js", 200), ("/no-such-page", 404)):
        reply = client.request("GET", path)
        assert reply.status == status, path
        assert_hsts(reply)
    client.close()
    plain = http.client.HTTPConnection("127.0.0.1", proxy.http_port, timeout=10)
    plain.request("GET", "/index.html")
    response = plain.getresponse()
    assert response.status == 301
    assert response.headers["Location"].startswith("https://") and response.headers["Location"].endswith("/index.html")
    plain.close()


# --------------------------------------------------------------------------- the widget through nginx


def run_widget_session(proxy: Proxy) -> dict[str, object]:
    """The demo page from nginx over HTTPS in Chromium: open the chat, ask about pay. What it saw."""
    from playwright.sync_api import expect, sync_playwright

    socket_requests: list[str] = []
    refused: list[str] = []
    websockets: list[str] = []
    frames: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.on(
                "request", lambda request: socket_requests.append(request.url) if "/socket.io/" in request.url else None
            )
            page.on(
                "response",
                lambda response: (
                    refused.append(f"{response.status} {response.url}") if response.status >= 400 else None
                ),
            )

            def on_websocket(websocket) -> None:
                websockets.append(websocket.url)
                websocket.on("framereceived", lambda payload: frames.append(str(payload)))

            page.on("websocket", on_websocket)
            page.goto(f"{proxy.origin}/index.html")
            page.locator(".rcw-launcher").click()
            expect(page.locator(".rcw-bot:not(.rcw-typing) .rcw-bubble").first).to_contain_text(
                "medical assist", timeout=60_000
            )
            page.locator(".rcw-input").fill(PAY_QUESTION)
            page.locator(".rcw-input").press("Enter")
            expect(
                page.locator(".rcw-bot:not(.rcw-typing) .rcw-bubble").filter(has_text=PAY_FIGURE).first
            ).to_be_visible(timeout=30_000)
            page.wait_for_timeout(1000)  # let the transport settle (upgrade done, polling stopped)
            requests_of_session = list(socket_requests)
            context.close()
        finally:
            browser.close()
    return {"requests": requests_of_session, "refused": refused, "websockets": websockets, "frames": frames}


@pytest.mark.browser
def test_the_widget_works_through_nginx(proxy: Proxy) -> None:
    # Playwright's sync API needs a thread without a running event loop (the browser tests may hold this one).
    with ThreadPoolExecutor(max_workers=1) as pool:
        seen = pool.submit(run_widget_session, proxy).result()
    assert seen["refused"] == [], seen["refused"]
    ws_origin = proxy.origin.replace("https://", "wss://")
    assert [url for url in seen["websockets"] if url.startswith(f"{ws_origin}/socket.io/")], seen["websockets"]
    assert any(PAY_FIGURE in frame for frame in seen["frames"]), "the answer did not come over the WebSocket"
    requests_of_session = len(seen["requests"]) + len(seen["websockets"])  # polls and posts, upgrades
    print(f"one widget session made {requests_of_session} requests to /socket.io/: {seen['requests']}")
    # The burst lets several students behind one address start a session at the same moment.
    assert requests_of_session * SESSIONS_AT_ONCE <= proxy.burst, seen["requests"]
