"""Browser tests for the web chat widget (web/) against the real stack.

A session-scoped fixture starts the action server and the Rasa server through
cma_stack (socket.io channel from credentials.yml, --cors limited to the
demo site's origin) and serves a copy of web/ whose pages point at that Rasa
server. Each
test drives headless Chromium (Debian's /usr/bin/chromium; override with
CHROMIUM_PATH) through Playwright's sync API and asserts on what the bot really
answers. Screenshots land in results/screenshots/ for review.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import logging
import os
import queue
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from cma_stack import Stack, free_port
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, SCRIPTED_SOCKET, bot_reply, run_axe

pytestmark = [pytest.mark.stack, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
SHOTS = ROOT / "results" / "screenshots"
DEMO_SERVER_URL = "http://127.0.0.1:5005"  # what the committed demo pages embed
DEMO_COLOR = 'data-primary-color="#0b5cad"'
LIGHT_BRAND_COLOR = 'data-primary-color="#f2c14e"'
DEMO_OPEN_ON_LOAD = 'data-open-on-load="false"'
SHORT_SESSION_SECONDS = 6  # short-session.html: idle expiry in seconds instead of the default hour
SOCKET_READY_TIMEOUT = 120  # after cma_stack saw GET / answer (it allows Rasa 240 s for that)
REPLY_TIMEOUT_MS = 20_000  # generous: the first answers warm up the models on a 2-core machine

# Widget selectors (web/widget/rasa-chat.js).
LAUNCHER = ".rcw-launcher"
PANEL = ".rcw-panel"
INPUT = ".rcw-input"
BOT_BUBBLE = ".rcw-bot:not(.rcw-typing) .rcw-bubble"
USER_BUBBLE = ".rcw-user .rcw-bubble"
REPLY_BUTTON = ".rcw-reply"

# The pinned build (web/dist/, npm run build) and the demo page that embeds it.
PACKAGE_VERSION = json.loads((WEB / "package.json").read_text())["version"]
BUNDLE_JS = f"rasa-chat-{PACKAGE_VERSION}.min.js"
BUNDLE_CSS = f"rasa-chat-{PACKAGE_VERSION}.min.css"
BUNDLE_PAGE = "advising.html"
DEMO_BUTTON = "Chat with an assistant"  # the page's own button (web/demo.js uses RasaChat.open)

PAY_QUESTION = "how much do certified medical assistants make?"
PAY_FIGURE = "$20.76"
RMA_QUESTION = "tell me about the RMA"
ISSUER_QUESTION = "who offers it?"
RMA_ISSUER = "American Medical Technologists"


# --------------------------------------------------------------------------- stack


# engine.io logs a harmless "packet queue is empty" error when a polling client disconnects.
QUIET_LOGGER = logging.getLogger("tests.browser.engineio")
QUIET_LOGGER.setLevel(logging.CRITICAL)


def wait_for_socket_reply(rasa_url: str, timeout: float) -> None:
    """Waits until a socket.io user message gets a bot reply (models loaded, actions reachable)."""
    import socketio  # python-socketio ships with Rasa

    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        replies: queue.Queue = queue.Queue()
        client = socketio.Client(reconnection=False, engineio_logger=QUIET_LOGGER)
        client.on("connect", lambda client=client: client.emit("session_request", {"session_id": None}))
        client.on(
            "session_confirm",
            lambda session_id, client=client: client.emit(
                "user_uttered", {"message": "/greet", "session_id": session_id}
            ),
        )
        client.on("bot_uttered", replies.put)
        try:
            client.connect(rasa_url, transports=["polling"], wait_timeout=10)
            reply = replies.get(timeout=max(1.0, deadline - time.monotonic()))
            if reply.get("text"):
                return
        except Exception as error:  # no reply yet (models still warming up)
            last_error = error
            time.sleep(2)
        finally:
            client.disconnect()
    raise TimeoutError(f"Rasa at {rasa_url} gave no socket.io reply: {last_error!r}")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    headers_by_path: dict = {}  # path -> extra response headers (Content-Security-Policy pages)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        for name, value in self.headers_by_path.get(self.path.split("?")[0], {}).items():
            self.send_header(name, value)
        super().end_headers()


def widget_csp(chat_server: str, connect_src: str | None = None) -> str:
    """The policy docs/embedding.md gives a site that hosts the pinned files itself ('self'), for a
    chat server at `chat_server`, inside a page policy that allows nothing else it does not need.
    `connect_src` replaces the chat server's two sources (the control that must fail)."""
    sockets = chat_server.replace("https://", "wss://").replace("http://", "ws://")
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"connect-src {connect_src or f'{chat_server} {sockets}'}",
            "img-src 'self' data:",  # the demo page's favicon, not the widget
            "base-uri 'none'",
            "form-action 'self'",
            "require-trusted-types-for 'script'",
        ]
    )


# Custom UI strings (strings.html): French, plus entries the widget must ignore.
CUSTOM_STRINGS = {
    "title": "Chat carrière",
    "openChat": "Ouvrir le chat : {title}",
    "close": "Fermer le chat",
    "restart": "Recommencer",
    "inputLabel": "Votre message",
    "placeholder": "Posez votre question…",
    "send": "Envoyer",
    "botSaid": "L’assistant a dit :",
    "userSaid": "Vous avez dit :",
    "announceBot": "Réponse de l’assistant : {text}",
    "retry": 5,  # not text: ignored
    "announceReplies": "Suggestions",  # lost its {replies}: ignored
    "colour": "red",  # no such string: ignored
}
CONFIG_STRINGS = {"region": "Assistant de carrière", "send": "Envoyer (config)"}  # window.RasaChatConfig


@dataclass
class Site:
    url: str  # the demo site copy, pointing at the test's Rasa server
    rasa_url: str
    storage_key: str  # the widget's localStorage key for that server
    foreign_url: str  # the same pages from an origin Rasa's --cors does not allow
    csp: dict  # page -> the Content-Security-Policy header it is served with


def add_bundle_pages(docroot: Path, rasa_url: str) -> dict:
    """Variants of the page that embeds the pinned build; returns the pages served with a CSP."""
    page = (docroot / BUNDLE_PAGE).read_text()
    embed = f'src="dist/{BUNDLE_JS}"'
    assert embed in page and "integrity=" in page, f"{BUNDLE_PAGE} no longer embeds dist/{BUNDLE_JS}"
    # A changed file under the pinned hash (a tampered copy on a CDN): the script itself, or only
    # the stylesheet the intact script pins. If the browser ran them, the change would show.
    for folder, name, change in (
        ("dist-tampered", BUNDLE_JS, b"\nwindow.__tampered = true;\n"),
        ("dist-css-tampered", BUNDLE_CSS, b"\n/* changed */\n"),
    ):
        shutil.copytree(WEB / "dist", docroot / folder)
        (docroot / folder / name).write_bytes((WEB / "dist" / name).read_bytes() + change)
        (docroot / f"{folder}.html").write_text(page.replace(embed, f'src="{folder}/{BUNDLE_JS}"'))
    # Translated strings from data-strings (without data-title, which would win) and RasaChatConfig.
    title = re.search(r'\n\s*data-title="[^"]*"', page).group(0)
    strings_attr = f'\n          data-strings="{html.escape(json.dumps(CUSTOM_STRINGS, ensure_ascii=False))}"'
    (docroot / "strings.html").write_text(page.replace(title, strings_attr))
    # The same page under the documented Content-Security-Policy, and under one that leaves out
    # the chat server (the control: violations are seen and the chat cannot connect).
    csp = {"csp.html": widget_csp(rasa_url), "csp-no-chat-server.html": widget_csp(rasa_url, connect_src="'self'")}
    for name in csp:
        (docroot / name).write_text(page)
    return csp


@pytest.fixture(scope="session")
def site(stack: Stack, site_port: int) -> Iterator[Site]:
    """The demo site served from a temp copy whose pages embed the test Rasa server's URL.

    The shared stack (tests/conftest.py) already allows this site's origin in Rasa's --cors.
    """
    site_url = f"http://127.0.0.1:{site_port}"
    wait_for_socket_reply(stack.rasa_url, SOCKET_READY_TIMEOUT)
    docroot = Path(tempfile.mkdtemp(prefix="widget-site-"))
    dead_port = free_port()  # nothing listens here: the "server unreachable" page
    for entry in WEB.iterdir():
        if entry.suffix == ".html":
            page = entry.read_text()
            assert DEMO_SERVER_URL in page, f"{entry.name} no longer embeds {DEMO_SERVER_URL}"
            (docroot / entry.name).write_text(page.replace(DEMO_SERVER_URL, stack.rasa_url))
            if entry.name == "index.html":
                (docroot / "unreachable.html").write_text(
                    page.replace(DEMO_SERVER_URL, f"http://127.0.0.1:{dead_port}")
                )
                # A school whose brand colour is too light for white text.
                assert DEMO_COLOR in page
                (docroot / "light-brand.html").write_text(
                    page.replace(DEMO_SERVER_URL, stack.rasa_url).replace(DEMO_COLOR, LIGHT_BRAND_COLOR)
                )
                # A conversation that expires after a few idle seconds, to watch it happen in the page.
                assert DEMO_OPEN_ON_LOAD in page
                (docroot / "short-session.html").write_text(
                    page.replace(DEMO_SERVER_URL, stack.rasa_url).replace(
                        DEMO_OPEN_ON_LOAD,
                        f'{DEMO_OPEN_ON_LOAD} data-session-minutes="{SHORT_SESSION_SECONDS / 60}"',
                    )
                )
        else:
            (docroot / entry.name).symlink_to(entry)  # widget/, node_modules/, site.css ...
    csp = add_bundle_pages(docroot, stack.rasa_url)
    handler = type(
        "SiteHandler",
        (QuietHandler,),
        {"headers_by_path": {f"/{page}": {"Content-Security-Policy": policy} for page, policy in csp.items()}},
    )
    servers = [
        http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(docroot)))
        for port in (site_port, free_port())
    ]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Site(
            site_url,
            stack.rasa_url,
            f"rasa-chat:{stack.rasa_url}",
            foreign_url=f"http://127.0.0.1:{servers[1].server_address[1]}",
            csp=csp,
        )
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        shutil.rmtree(docroot, ignore_errors=True)


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def screenshots_dir() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


class Chat:
    """A page with the widget, plus the requests and script errors seen on it."""

    def __init__(self, page: Page, site: Site):
        self.page = page
        self.site = site
        self.requests: List[str] = []
        self.errors: List[str] = []
        self.console: List[str] = []  # "type: text" of every console message
        self.websockets: List[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("websocket", lambda websocket: self.websockets.append(websocket.url))

    def goto(self, path: str = "index.html") -> None:
        self.page.goto(f"{self.site.url}/{path}")
        expect(self.page.locator(LAUNCHER)).to_be_visible()

    def open(self) -> None:
        self.page.locator(LAUNCHER).click()
        expect(self.page.locator(PANEL)).to_be_visible()

    def wait_for_greeting(self) -> None:
        """The bot's greeting: its text plus at least three starter buttons."""
        expect(self.page.locator(BOT_BUBBLE).first).to_contain_text("medical assist", timeout=REPLY_TIMEOUT_MS)
        expect(self.page.locator(REPLY_BUTTON).nth(2)).to_be_visible(timeout=REPLY_TIMEOUT_MS)

    def ask(self, text: str) -> None:
        self.page.locator(INPUT).fill(text)
        self.page.locator(INPUT).press("Enter")
        expect(self.page.locator(USER_BUBBLE).last).to_have_text(text)

    def expect_bot_says(self, text: str) -> None:
        """A bot message that arrived after the latest user message contains `text`."""
        bot_reply(self.page, text, REPLY_TIMEOUT_MS)

    def bot_count(self) -> int:
        return self.page.locator(BOT_BUBBLE).count()

    def session_id(self) -> str:
        stored = self.stored()
        assert stored, "the widget stored no conversation"
        return stored["sessionId"]

    def stored(self) -> dict | None:
        """What the widget keeps in localStorage (None: nothing)."""
        stored = self.page.evaluate("key => localStorage.getItem(key)", self.site.storage_key)
        return json.loads(stored) if stored else None

    def store(self, state: dict) -> None:
        self.page.evaluate(
            "([key, state]) => localStorage.setItem(key, JSON.stringify(state))", [self.site.storage_key, state]
        )

    def set_idle_minutes(self, minutes: float) -> None:
        """Moves the stored last-activity time back, as if nobody had chatted for `minutes`."""
        stored = self.stored()
        assert stored and stored.get("lastActivity"), f"no last-activity time stored: {stored}"
        now_ms = self.page.evaluate("Date.now()")
        self.store({**stored, "lastActivity": now_ms - int(minutes * 60_000)})

    def focused(self, selector: str) -> bool:
        return self.page.evaluate("s => document.activeElement?.matches(s) ?? false", selector)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.fixture
def chat(browser: Browser, site: Site) -> Iterator[Chat]:
    """A fresh desktop browser context (empty localStorage, so a new conversation)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    chat = Chat(context.new_page(), site)
    yield chat
    context.close()
    assert chat.errors == [], f"script errors on the page: {chat.errors}"


# --------------------------------------------------------------------------- tests


def test_greeting_then_pay_question(chat: Chat) -> None:
    chat.goto()
    assert chat.page.locator(PANEL).is_hidden()
    chat.shot("01-demo-page-closed")
    chat.open()
    expect(chat.page.locator(INPUT)).to_be_focused()
    chat.wait_for_greeting()
    # The greeting payload is sent hidden: the transcript shows no user message for it.
    expect(chat.page.locator(USER_BUBBLE)).to_have_count(0)
    chat.shot("02-greeting")

    chat.ask(PAY_QUESTION)
    chat.expect_bot_says(PAY_FIGURE)
    # **bold** in bot text becomes <strong>, never raw asterisks.
    expect(chat.page.locator(f"{BOT_BUBBLE} strong", has_text=PAY_FIGURE).first).to_be_visible()
    assert "**" not in chat.page.locator(BOT_BUBBLE).last.inner_text()
    chat.shot("03-pay-answer")

    # Everything came from the site or the Rasa server: no CDN, fonts or other third party.
    foreign = [u for u in chat.requests if not u.startswith((chat.site.url, chat.site.rasa_url, "data:"))]
    assert foreign == []
    assert f"{chat.site.url}/node_modules/socket.io-client/dist/socket.io.min.js" in chat.requests


def test_quick_reply_sends_payload_and_stays_clickable(chat: Chat) -> None:
    chat.goto()
    chat.open()
    chat.wait_for_greeting()
    greeting_buttons = chat.page.locator(REPLY_BUTTON)
    pay_button = greeting_buttons.filter(has_text=re.compile("earn", re.I))
    pay_title = pay_button.inner_text()

    pay_button.click()
    # The transcript shows the button's title, not its /ask_pay payload.
    expect(chat.page.locator(USER_BUBBLE).last).to_have_text(pay_title)
    chat.expect_bot_says(PAY_FIGURE)
    assert "/ask_pay" not in chat.page.locator(".rcw-log").inner_text()

    # A greeting button (now several messages up) still works.
    credentials_button = chat.page.locator(REPLY_BUTTON).filter(has_text=re.compile("credentials", re.I)).first
    expect(credentials_button).to_be_enabled()
    credentials_button.click()
    expect(chat.page.locator(USER_BUBBLE).last).to_have_text(credentials_button.inner_text())
    chat.expect_bot_says("RMA")
    chat.shot("04-quick-replies")


def test_follow_up_uses_context(chat: Chat) -> None:
    chat.goto()
    chat.open()
    chat.wait_for_greeting()
    chat.ask(RMA_QUESTION)
    chat.expect_bot_says("RMA")
    chat.ask(ISSUER_QUESTION)
    chat.expect_bot_says(RMA_ISSUER)
    # Organisation links in answers open safely in a new tab.
    links = chat.page.locator(f"{BOT_BUBBLE} a")
    assert links.count() > 0, chat.page.locator(".rcw-log").inner_text()
    for i in range(links.count()):
        link = links.nth(i)
        assert link.get_attribute("href").startswith("https://")
        assert link.get_attribute("target") == "_blank"
        assert "noopener" in link.get_attribute("rel")
    chat.shot("05-context-follow-up")


def test_conversation_survives_reload_and_navigation(chat: Chat) -> None:
    chat.goto()
    chat.open()
    chat.wait_for_greeting()
    chat.ask(RMA_QUESTION)
    chat.expect_bot_says("RMA")
    chat.expect_bot_says("Was this helpful?")  # the last message of this reply
    session_id = chat.session_id()
    assert re.fullmatch(r"[0-9a-f]{64}", session_id)
    messages_before = chat.page.locator(".rcw-msg").count()

    chat.page.reload()
    expect(chat.page.locator(PANEL)).to_be_visible()  # it was open, so it reopens
    expect(chat.page.locator(USER_BUBBLE, has_text=RMA_QUESTION)).to_be_visible()
    assert chat.page.locator(".rcw-msg").count() == messages_before
    assert chat.session_id() == session_id
    # The same Rasa conversation goes on: "it" still means the RMA.
    chat.ask(ISSUER_QUESTION)
    chat.expect_bot_says(RMA_ISSUER)
    assert chat.session_id() == session_id
    chat.shot("06-after-reload")

    chat.page.locator(INPUT).press("Escape")
    chat.page.get_by_role("navigation", name="Main").get_by_role("link", name="Advising & Next Steps").click()
    expect(chat.page).to_have_url(re.compile(r"/advising\.html$"))
    expect(chat.page.locator(PANEL)).to_be_hidden()  # it was closed before leaving
    chat.open()
    expect(chat.page.locator(USER_BUBBLE, has_text=ISSUER_QUESTION)).to_be_visible()
    expect(chat.page.locator(BOT_BUBBLE, has_text=RMA_ISSUER).first).to_be_visible()
    assert chat.session_id() == session_id
    chat.shot("07-second-page")
    assert run_axe(chat.page) == []


def test_advisor_by_buttons_then_feedback_and_a_person(chat: Chat) -> None:
    """The advisor form tapped through with quick replies, then 👎 and the hand-off, as a student would."""
    chat.goto()
    chat.open()
    chat.wait_for_greeting()

    def tap(title: str) -> None:
        chat.page.get_by_role("button", name=title, exact=True).last.click()
        expect(chat.page.locator(USER_BUBBLE).last).to_have_text(title)

    tap("Find my credential")
    chat.expect_bot_says("accredited by CAAHEP or ABHES")
    tap("No")
    chat.expect_bot_says("How many years")
    tap("Five or more")
    chat.expect_bot_says("US military")
    tap("No")
    chat.expect_bot_says("clinical")
    tap("Clinical")
    chat.expect_bot_says("Your next steps")
    expect(chat.page.locator(f"{BOT_BUBBLE} strong", has_text="RMA").first).to_be_visible()
    chat.shot("09-advisor-recommendation")

    chat.ask("what skills do medical assistants need?")
    chat.expect_bot_says("Was this helpful?")
    tap("👎 No")
    chat.expect_bot_says("sorry that didn't help")
    tap("Talk to an advisor")
    chat.expect_bot_says("healthsciences@riverbend.example")
    chat.shot("10-advisor-contact")
    assert run_axe(chat.page) == []


def user_texts(stack: Stack, session_id: str) -> List[str]:
    """What the user said in the stored Rasa conversation `session_id` (the socket.io sender)."""
    return [event.get("text") for event in stack.tracker(session_id)["events"] if event["event"] == "user"]


def test_start_over_begins_a_new_session(chat: Chat, stack: Stack) -> None:
    chat.goto()
    chat.open()
    chat.wait_for_greeting()
    chat.ask(RMA_QUESTION)
    chat.expect_bot_says("RMA")
    chat.expect_bot_says("Was this helpful?")
    old_session = chat.session_id()
    assert RMA_QUESTION in user_texts(stack, old_session)

    chat.page.get_by_role("button", name="Start over").click()
    expect(chat.page.locator(USER_BUBBLE)).to_have_count(0)
    chat.wait_for_greeting()
    assert chat.session_id() != old_session
    expect(chat.page.locator(INPUT)).to_be_focused()
    # Neither the old transcript nor the old id is kept in the browser.
    stored = json.dumps(chat.stored())
    assert RMA_QUESTION not in stored and old_session not in stored

    # The next question goes to the new conversation only.
    chat.ask(PAY_QUESTION)
    chat.expect_bot_says(PAY_FIGURE)
    new_session = chat.session_id()
    assert PAY_QUESTION in user_texts(stack, new_session)
    assert RMA_QUESTION not in user_texts(stack, new_session)
    assert PAY_QUESTION not in user_texts(stack, old_session)
    chat.page.reload()
    expect(chat.page.locator(USER_BUBBLE)).to_have_text([PAY_QUESTION])
    assert chat.session_id() == new_session


def test_idle_conversation_is_forgotten_on_load(chat: Chat, stack: Stack) -> None:
    """Shared computer: a chat left idle past the session time is gone for the next student."""
    chat.goto()
    chat.open()
    chat.wait_for_greeting()
    chat.ask(RMA_QUESTION)
    chat.expect_bot_says("RMA")
    chat.expect_bot_says("Was this helpful?")  # the last message: nothing arrives after this
    old_session = chat.session_id()
    assert RMA_QUESTION in user_texts(stack, old_session)

    chat.set_idle_minutes(61)  # the default is 60 minutes
    chat.page.reload()
    expect(chat.page.locator(LAUNCHER)).to_be_visible()
    # As for a first visit: closed, no transcript, nothing stored.
    expect(chat.page.locator(PANEL)).to_be_hidden()
    expect(chat.page.locator(".rcw-msg")).to_have_count(0)
    assert chat.stored() is None
    chat.open()
    chat.wait_for_greeting()
    expect(chat.page.locator(USER_BUBBLE)).to_have_count(0)
    new_session = chat.session_id()
    assert new_session != old_session

    chat.ask(PAY_QUESTION)
    chat.expect_bot_says(PAY_FIGURE)
    assert chat.session_id() == new_session
    assert PAY_QUESTION in user_texts(stack, new_session)
    assert RMA_QUESTION not in user_texts(stack, new_session)
    assert PAY_QUESTION not in user_texts(stack, old_session)
    expect(chat.page.locator(USER_BUBBLE)).to_have_text([PAY_QUESTION])
    chat.shot("14-after-idle-expiry")
    assert run_axe(chat.page) == []


def test_conversation_within_idle_time_is_kept(chat: Chat, stack: Stack) -> None:
    chat.goto()
    chat.open()
    chat.wait_for_greeting()
    chat.ask(RMA_QUESTION)
    chat.expect_bot_says("RMA")
    chat.expect_bot_says("Was this helpful?")
    session_id = chat.session_id()
    messages_before = chat.page.locator(".rcw-msg").count()

    chat.set_idle_minutes(59)
    chat.page.reload()
    expect(chat.page.locator(PANEL)).to_be_visible()
    expect(chat.page.locator(USER_BUBBLE, has_text=RMA_QUESTION)).to_be_visible()
    assert chat.page.locator(".rcw-msg").count() == messages_before
    assert chat.session_id() == session_id
    # The same conversation goes on ("it" is still the RMA) and the idle clock restarts.
    chat.ask(ISSUER_QUESTION)
    chat.expect_bot_says(RMA_ISSUER)
    assert chat.session_id() == session_id
    assert ISSUER_QUESTION in user_texts(stack, session_id)
    assert chat.page.evaluate("Date.now()") - chat.stored()["lastActivity"] < 60_000


def test_idle_conversation_is_forgotten_in_an_open_page(chat: Chat) -> None:
    """Nobody reloads a lab computer: the open window empties and closes by itself."""
    chat.goto("short-session.html")
    chat.open()
    chat.wait_for_greeting()
    chat.ask(RMA_QUESTION)
    chat.expect_bot_says("RMA")
    chat.expect_bot_says("Was this helpful?")
    last_reply = time.monotonic()
    old_session = chat.session_id()

    expect(chat.page.locator(PANEL)).to_be_hidden(timeout=(SHORT_SESSION_SECONDS + 10) * 1000)
    assert time.monotonic() - last_reply >= SHORT_SESSION_SECONDS - 1, "expired before the idle time"
    expect(chat.page.locator(LAUNCHER)).to_be_visible()
    expect(chat.page.locator(".rcw-msg")).to_have_count(0)
    assert chat.stored() is None
    chat.open()
    chat.wait_for_greeting()
    expect(chat.page.locator(USER_BUBBLE)).to_have_count(0)
    assert chat.session_id() != old_session


def test_keyboard_only(chat: Chat) -> None:
    page = chat.page
    chat.goto()
    for _ in range(60):  # Tab through the page's links until the launcher has focus
        page.keyboard.press("Tab")
        if chat.focused(LAUNCHER):
            break
    assert chat.focused(LAUNCHER), "the launcher is not reachable with Tab"
    page.keyboard.press("Enter")
    expect(page.locator(PANEL)).to_be_visible()
    assert chat.focused(INPUT)
    chat.wait_for_greeting()

    page.keyboard.type(PAY_QUESTION)
    page.keyboard.press("Enter")
    chat.expect_bot_says(PAY_FIGURE)
    # The focus ring is really drawn (visible focus, not just :focus).
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"

    replies_before = chat.bot_count()
    for _ in range(10):  # Shift+Tab back from the input to the nearest quick reply
        page.keyboard.press("Shift+Tab")
        if chat.focused(REPLY_BUTTON):
            break
    assert chat.focused(REPLY_BUTTON), "no quick reply reachable with the keyboard"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    title = page.evaluate("document.activeElement.textContent")
    chat.shot("08-keyboard-focus-on-quick-reply")
    page.keyboard.press("Enter")
    expect(page.locator(USER_BUBBLE).last).to_have_text(title)
    expect(page.locator(BOT_BUBBLE)).not_to_have_count(replies_before, timeout=REPLY_TIMEOUT_MS)
    assert chat.focused(INPUT)

    page.keyboard.press("Escape")
    expect(page.locator(PANEL)).to_be_hidden()
    assert chat.focused(LAUNCHER)
    assert page.locator(LAUNCHER).get_attribute("aria-expanded") == "false"


def test_bot_messages_are_announced(chat: Chat) -> None:
    chat.goto()
    chat.open()
    chat.wait_for_greeting()
    chat.ask(PAY_QUESTION)
    chat.expect_bot_says(PAY_FIGURE)
    live = chat.page.locator(".rcw-root [aria-live=polite]")
    expect(live).to_contain_text(PAY_FIGURE)
    expect(live).not_to_contain_text("**")
    # Controls are labelled for assistive technology.
    expect(chat.page.get_by_role("textbox", name="Your message")).to_be_visible()
    expect(chat.page.get_by_role("button", name="Close chat")).to_be_visible()
    expect(chat.page.get_by_role("dialog", name="Medical Assisting Career Chat")).to_be_visible()


def test_axe_finds_no_wcag_violations(chat: Chat) -> None:
    chat.goto()
    assert run_axe(chat.page) == []  # closed: the launcher on the page
    chat.open()
    chat.wait_for_greeting()
    chat.ask(PAY_QUESTION)
    chat.expect_bot_says(PAY_FIGURE)
    chat.ask(RMA_QUESTION)
    chat.expect_bot_says("RMA")
    chat.ask(ISSUER_QUESTION)
    chat.expect_bot_says(RMA_ISSUER)  # with links in the transcript
    violations = run_axe(chat.page)
    assert violations == [], json.dumps(violations, indent=2)


def test_light_brand_colour_keeps_aa_contrast(chat: Chat) -> None:
    chat.goto("light-brand.html")
    chat.open()
    chat.wait_for_greeting()
    chat.ask(PAY_QUESTION)
    chat.expect_bot_says(PAY_FIGURE)
    # Dark text on the light brand colour instead of white.
    assert chat.page.locator(".rcw-title").evaluate("e => getComputedStyle(e).color") == "rgb(27, 31, 36)"
    chat.shot("13-light-brand-colour")
    assert run_axe(chat.page) == []


def test_phone_viewport(browser: Browser, site: Site) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, reduced_motion="reduce"
    )
    chat = Chat(context.new_page(), site)
    try:
        chat.goto()
        chat.shot("09-phone-closed")
        chat.open()
        chat.wait_for_greeting()
        # prefers-reduced-motion: no opening animation.
        assert chat.page.locator(PANEL).evaluate("e => getComputedStyle(e).animationName") == "none"
        box = chat.page.locator(PANEL).bounding_box()
        assert box == {"x": 0, "y": 0, "width": 360, "height": 740}
        # No sideways scrolling inside the panel at this width.
        assert chat.page.evaluate("document.querySelector('.rcw-log').scrollWidth <= 360")
        field = chat.page.locator(INPUT).bounding_box()
        assert field["y"] + field["height"] <= 740 and field["width"] >= 200
        chat.page.locator(INPUT).tap()
        chat.ask(PAY_QUESTION)
        chat.expect_bot_says(PAY_FIGURE)
        chat.shot("10-phone-open")
        assert run_axe(chat.page) == []
        chat.page.get_by_role("button", name="Close chat").tap()
        expect(chat.page.locator(LAUNCHER)).to_be_visible()
        assert chat.errors == []
    finally:
        context.close()


def test_unreachable_server_shows_error_and_retry(chat: Chat) -> None:
    chat.goto("unreachable.html")
    chat.open()
    alert = chat.page.get_by_role("alert")
    expect(alert).to_contain_text("can't reach the chat service", timeout=REPLY_TIMEOUT_MS)
    retry = alert.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()
    expect(chat.page.locator(".rcw-typing")).to_have_count(0)
    chat.shot("11-server-unreachable")
    retry.click()
    # Still down: the notice comes back rather than a silent hang.
    expect(alert.get_by_role("button", name="Retry")).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    assert run_axe(chat.page) == []


def test_other_origins_are_refused(chat: Chat) -> None:
    """Rasa's --cors is the demo origin only: the same page on another origin cannot chat."""
    chat.page.goto(f"{chat.site.foreign_url}/index.html")
    chat.open()
    alert = chat.page.get_by_role("alert")
    expect(alert).to_contain_text("can't reach the chat service", timeout=REPLY_TIMEOUT_MS)
    expect(chat.page.locator(BOT_BUBBLE)).to_have_count(0)


def test_retry_recovers_once_the_server_is_back(chat: Chat) -> None:
    # Block the socket.io endpoint as if the server were down, then let it through.
    def is_socket_io(url: str) -> bool:
        return url.startswith(f"{chat.site.rasa_url}/socket.io/")

    chat.page.route(is_socket_io, lambda route: route.abort())
    chat.goto()
    chat.open()
    retry = chat.page.get_by_role("alert").get_by_role("button", name="Retry")
    expect(retry).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    chat.page.unroute(is_socket_io)
    retry.click()
    chat.wait_for_greeting()
    expect(chat.page.get_by_role("alert")).to_be_empty()


# ------------------------------------------- the pinned build, the JavaScript API, strings, CSP


def manifest_integrity(name: str) -> str:
    return json.loads((WEB / "dist" / "manifest.json").read_text())["files"][name]


def wait_for(chat: Chat, condition: str, arg: object = None) -> None:
    chat.page.wait_for_function(condition, arg=arg, timeout=REPLY_TIMEOUT_MS)


def test_the_pinned_build_loads_with_its_hashes(chat: Chat) -> None:
    chat.goto(BUNDLE_PAGE)
    embed = chat.page.locator(f'script[src="dist/{BUNDLE_JS}"]')
    assert embed.get_attribute("integrity") == manifest_integrity(BUNDLE_JS)
    assert embed.get_attribute("crossorigin") == "anonymous"
    # The script pinned its stylesheet, and the styles are applied.
    stylesheet = chat.page.locator(f'link[href$="/dist/{BUNDLE_CSS}"]')
    assert stylesheet.get_attribute("integrity") == manifest_integrity(BUNDLE_CSS)
    assert chat.page.locator(LAUNCHER).evaluate("e => getComputedStyle(e).position") == "fixed"
    assert chat.page.evaluate("RasaChat.version") == PACKAGE_VERSION

    chat.open()
    chat.wait_for_greeting()
    chat.ask(PAY_QUESTION)
    chat.expect_bot_says(PAY_FIGURE)
    # socket.io-client came inside the file: nothing from node_modules, no window.io for the page,
    # and it upgraded to a WebSocket on the chat server as the separate client does.
    assert not [url for url in chat.requests if "node_modules" in url or url.endswith("rasa-chat.js")]
    assert chat.page.evaluate("typeof window.io") == "undefined"
    sockets = chat.site.rasa_url.replace("http://", "ws://")
    assert [url for url in chat.websockets if url.startswith(f"{sockets}/socket.io/")], chat.websockets
    assert run_axe(chat.page) == []


def test_a_changed_file_under_the_pinned_hash_is_refused(chat: Chat) -> None:
    """Subresource Integrity is really enforced: a changed script does not run, and the intact
    script does not apply a changed stylesheet."""
    chat.page.goto(f"{chat.site.url}/dist-tampered.html")
    chat.page.wait_for_load_state("load")
    assert chat.page.evaluate("[window.__tampered, typeof window.RasaChat]") == [None, "undefined"]
    expect(chat.page.locator(LAUNCHER)).to_have_count(0)
    # The page's own button stays hidden rather than doing nothing.
    expect(chat.page.get_by_role("button", name=DEMO_BUTTON)).to_be_hidden()
    assert [line for line in chat.console if "integrity" in line and f"dist-tampered/{BUNDLE_JS}" in line]

    chat.page.goto(f"{chat.site.url}/dist-css-tampered.html")
    expect(chat.page.locator(LAUNCHER)).to_be_visible()  # the script is intact, so it runs
    assert chat.page.locator(LAUNCHER).evaluate("e => getComputedStyle(e).position") == "static"
    assert chat.page.evaluate(f"document.querySelector('link[href$=\"{BUNDLE_CSS}\"]').sheet") is None
    assert [line for line in chat.console if "integrity" in line and f"dist-css-tampered/{BUNDLE_CSS}" in line]

    # Control: the untouched files in the same browser load and style the widget.
    chat.goto(BUNDLE_PAGE)
    assert chat.page.locator(LAUNCHER).evaluate("e => getComputedStyle(e).position") == "fixed"


@pytest.mark.parametrize("page", ["index.html", BUNDLE_PAGE], ids=["development-build", "pinned-build"])
def test_the_page_button_opens_the_chat(chat: Chat, page: str) -> None:
    chat.goto(page)
    button = chat.page.get_by_role("button", name=DEMO_BUTTON)
    button.click()
    expect(chat.page.locator(PANEL)).to_be_visible()
    expect(chat.page.locator(INPUT)).to_be_focused()
    chat.wait_for_greeting()
    chat.shot(f"15-page-button-{page.removesuffix('.html')}")
    assert run_axe(chat.page) == []
    # Closing gives focus back to the page's button, where the student was.
    chat.page.keyboard.press("Escape")
    expect(chat.page.locator(PANEL)).to_be_hidden()
    expect(button).to_be_focused()
    expect(chat.page.locator(LAUNCHER)).to_be_visible()


def test_page_script_drives_the_chat_through_the_api(chat: Chat, stack: Stack) -> None:
    page = chat.page
    chat.goto(BUNDLE_PAGE)
    page.evaluate("""() => {
        window.__events = [];
        window.__messages = [];
        window.__everyMessage = [];
        RasaChat.on('open', () => __events.push('open'));
        RasaChat.on('close', () => __events.push('close'));
        window.__unsubscribe = RasaChat.on('message', (m) => __messages.push(m));
        RasaChat.on('message', (m) => __everyMessage.push(m.from + ': ' + m.text));
    }""")
    events = lambda: page.evaluate("__events")  # noqa: E731

    page.evaluate("RasaChat.open()")
    expect(page.locator(PANEL)).to_be_visible()
    expect(page.locator(INPUT)).to_be_focused()
    chat.wait_for_greeting()
    wait_for(chat, "__messages.some(m => m.from === 'bot' && /medical assist/i.test(m.text) && m.buttons.length >= 3)")
    assert events() == ["open"]

    # send(text): shown as the student's message, answered by the real bot, both reported.
    page.evaluate("text => RasaChat.send(text)", PAY_QUESTION)
    expect(page.locator(USER_BUBBLE).last).to_have_text(PAY_QUESTION)
    chat.expect_bot_says(PAY_FIGURE)
    wait_for(chat, "figure => __messages.some(m => m.from === 'bot' && m.text.includes(figure))", PAY_FIGURE)
    sent = page.evaluate("__messages.filter(m => m.from === 'user')")
    assert sent == [{"from": "user", "text": PAY_QUESTION, "buttons": []}]
    assert PAY_QUESTION in user_texts(stack, chat.session_id())

    page.evaluate("RasaChat.close()")
    expect(page.locator(PANEL)).to_be_hidden()
    page.evaluate("RasaChat.close()")  # already closed: nothing happens
    page.evaluate("RasaChat.toggle()")
    expect(page.locator(PANEL)).to_be_visible()
    page.evaluate("RasaChat.toggle()")
    expect(page.locator(PANEL)).to_be_hidden()
    assert events() == ["open", "close", "open", "close"]

    # After unsubscribing, that handler hears nothing more; the other one still does.
    heard = page.evaluate("__unsubscribe(); __messages.length")
    page.evaluate("text => RasaChat.send(text)", RMA_QUESTION)  # opens the closed chat
    expect(page.locator(PANEL)).to_be_visible()
    chat.expect_bot_says("RMA")
    wait_for(
        chat,
        """q => {
        const asked = __everyMessage.indexOf('user: ' + q);
        return asked >= 0 && __everyMessage.slice(asked + 1).some(m => m.startsWith('bot: ') && m.includes('RMA'));
    }""",
        RMA_QUESTION,
    )
    assert page.evaluate("__messages.length") == heard
    assert events() == ["open", "close", "open", "close", "open"]

    # Blank text is ignored; wrong calls fail loudly for the page's developer.
    user_messages = page.locator(USER_BUBBLE).count()
    page.evaluate("RasaChat.send('   ')")
    for call in (
        "RasaChat.send(42)",
        "RasaChat.on('typing', () => {})",
        "RasaChat.on('open', 'not a function')",
        "RasaChat.push(['destroy'])",
    ):
        assert page.evaluate(f"() => {{ try {{ {call}; }} catch (e) {{ return e.name; }} }}") == "TypeError", call
    assert page.locator(USER_BUBBLE).count() == user_messages
    assert run_axe(page) == []


def test_calls_queued_before_the_script_loads(browser: Browser, site: Site) -> None:
    """A page that loads the widget async queues calls in an array; a bad one is reported, not fatal."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script("""
        window.__events = [];
        window.RasaChat = [
            ['on', 'open', () => __events.push('open')],
            ['no_such_call'],
            ['on', 'message', (m) => __events.push(m.from)],
            ['open'],
        ];
    """)
    chat = Chat(context.new_page(), site)
    try:
        chat.page.goto(f"{site.url}/{BUNDLE_PAGE}")
        expect(chat.page.locator(PANEL)).to_be_visible()
        expect(chat.page.locator(INPUT)).to_be_focused()
        chat.wait_for_greeting()
        assert chat.page.evaluate("__events")[:2] == ["open", "bot"]
        chat.page.evaluate("RasaChat.push(['close'])")  # push keeps working once loaded
        expect(chat.page.locator(PANEL)).to_be_hidden()
        assert chat.page.evaluate("__events").count("open") == 1
        assert len(chat.errors) == 1 and "no_such_call" in chat.errors[0], chat.errors
    finally:
        context.close()


def test_custom_strings_replace_the_english_ones(browser: Browser, site: Site) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(f"window.RasaChatConfig = {{strings: {json.dumps(CONFIG_STRINGS)}}};")
    chat = Chat(context.new_page(), site)
    try:
        page = chat.page
        chat.goto("strings.html")
        expect(page.locator(LAUNCHER)).to_have_accessible_name("Ouvrir le chat : Chat carrière")
        expect(page.get_by_role("complementary", name="Assistant de carrière")).to_have_count(1)  # from RasaChatConfig
        chat.open()
        expect(page.get_by_role("dialog", name="Chat carrière")).to_be_visible()
        expect(page.get_by_role("textbox", name="Votre message")).to_have_attribute(
            "placeholder", "Posez votre question…"
        )
        for name in ("Envoyer", "Recommencer", "Fermer le chat"):  # data-strings wins over RasaChatConfig
            expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
        chat.wait_for_greeting()
        chat.ask(PAY_QUESTION)
        chat.expect_bot_says(PAY_FIGURE)
        log = page.locator(".rcw-log")
        expect(log).to_contain_text("L’assistant a dit :")
        expect(log).to_contain_text("Vous avez dit :")
        live = page.locator(".rcw-root [aria-live=polite]")
        expect(live).to_contain_text("Réponse de l’assistant : ")
        expect(live).to_contain_text(PAY_FIGURE)
        # The ignored entries: defaults stay, and each is named in a console warning.
        expect(live).to_contain_text("Suggested replies: ")
        warnings = [line for line in chat.console if line.startswith("warning: Rasa chat:")]
        assert len(warnings) == 3 and all(
            any(f'"{key}"' in w for w in warnings) for key in ("retry", "announceReplies", "colour")
        ), warnings
        english = [
            "Start over",
            "Close chat",
            "Your message",
            "Send",
            "Assistant said:",
            "You said:",
            "Medical Assisting",
        ]
        assert not [text for text in english if text in page.locator(".rcw-root").inner_text()]
        chat.shot("16-custom-strings")
        assert run_axe(page) == []
        assert chat.errors == []
    finally:
        context.close()


VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
    (e) => __violations.push(e.effectiveDirective + ' ' + e.blockedURI));
"""


def test_the_documented_csp_is_enough(browser: Browser, site: Site) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(VIOLATIONS)
    chat = Chat(context.new_page(), site)
    try:
        response = chat.page.goto(f"{site.url}/csp.html")
        assert response.headers["content-security-policy"] == site.csp["csp.html"]
        expect(chat.page.locator(LAUNCHER)).to_be_visible()
        assert chat.page.locator(LAUNCHER).evaluate("e => getComputedStyle(e).position") == "fixed"
        chat.page.get_by_role("button", name=DEMO_BUTTON).click()  # demo.js ran under script-src 'self'
        chat.wait_for_greeting()
        chat.ask(PAY_QUESTION)
        chat.expect_bot_says(PAY_FIGURE)
        sockets = site.rasa_url.replace("http://", "ws://")
        assert [url for url in chat.websockets if url.startswith(f"{sockets}/socket.io/")], chat.websockets
        assert chat.page.evaluate("__violations") == []
        assert [line for line in chat.console if "Content Security Policy" in line or "Refused to" in line] == []
        assert chat.errors == []
    finally:
        context.close()


def test_a_csp_without_the_chat_server_is_reported(browser: Browser, site: Site) -> None:
    """The control for the test above: the same listeners do see a policy that is not enough."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(VIOLATIONS)
    chat = Chat(context.new_page(), site)
    try:
        chat.page.goto(f"{site.url}/csp-no-chat-server.html")
        chat.open()
        expect(chat.page.get_by_role("alert")).to_contain_text("can't reach the chat service", timeout=REPLY_TIMEOUT_MS)
        violations = chat.page.evaluate("__violations")
        assert [v for v in violations if v.startswith(f"connect-src {site.rasa_url}/socket.io/")], violations
        assert [line for line in chat.console if "connect-src" in line and "Content Security Policy" in line], (
            chat.console
        )
    finally:
        context.close()


# ------------------------------------------------- scripted server (widget logic only)


@pytest.fixture
def scripted_chat(browser: Browser, site: Site) -> Iterator[Chat]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(SCRIPTED_SOCKET)
    chat = Chat(context.new_page(), site)
    yield chat
    context.close()
    assert chat.errors == [], f"script errors on the page: {chat.errors}"


def sent_messages(chat: Chat) -> list:
    return chat.page.evaluate("window.__sent.filter(e => e.event === 'user_uttered').map(e => e.data)")


def test_no_reply_within_10_seconds_offers_retry(scripted_chat: Chat) -> None:
    chat = scripted_chat
    chat.goto()
    chat.open()
    expect(chat.page.locator(".rcw-typing")).to_be_visible()
    started = time.monotonic()
    alert = chat.page.get_by_role("alert")
    expect(alert).to_contain_text("didn't reply", timeout=15_000)
    assert 9.5 <= time.monotonic() - started <= 13
    expect(chat.page.locator(".rcw-typing")).to_have_count(0)
    # The greeting went out as hidden payload with the session id and customData metadata.
    assert sent_messages(chat) == [
        {"message": "/greet", "session_id": "scripted-session", "customData": {"language": "en", "page": "/index.html"}}
    ]
    chat.shot("12-no-reply-timeout")

    alert.get_by_role("button", name="Retry").click()
    assert [m["message"] for m in sent_messages(chat)] == ["/greet", "/greet"]
    expect(alert).to_be_empty()
    chat.page.evaluate("window.__bot({text: 'Hello again!'})")
    chat.expect_bot_says("Hello again!")


def test_bot_text_is_rendered_safely(scripted_chat: Chat) -> None:
    chat = scripted_chat
    chat.goto()
    chat.open()
    hostile = (
        '<img src=x onerror="window.__pwned=1"> **Bold** and [evil](javascript:window.__pwned=1)'
        " and [a link](https://example.org/a).\nSecond line, see https://example.org/b."
    )
    chat.page.evaluate("text => window.__bot({text, buttons: [{title: '<b>Tag</b>', payload: '/ask_pay'}]})", hostile)
    bubble = chat.page.locator(BOT_BUBBLE).last
    expect(bubble).to_contain_text('<img src=x onerror="window.__pwned=1">')
    assert bubble.locator("img").count() == 0
    expect(bubble.locator("strong")).to_have_text("Bold")
    assert bubble.locator("br").count() == 1
    links = bubble.locator("a")
    expect(links).to_have_count(2)  # the javascript: link stays plain text
    assert [links.nth(i).get_attribute("href") for i in range(2)] == ["https://example.org/a", "https://example.org/b"]
    for i in range(2):
        assert links.nth(i).get_attribute("target") == "_blank"
        assert links.nth(i).get_attribute("rel") == "noopener"
    expect(links.nth(0)).to_have_accessible_name("a link (opens in a new tab)")
    # Rasa's `buttons` key works like `quick_replies`; titles are text too.
    button = chat.page.locator(REPLY_BUTTON, has_text="<b>Tag</b>")
    expect(button).to_be_visible()
    button.click()
    expect(chat.page.locator(USER_BUBBLE).last).to_have_text("<b>Tag</b>")
    assert sent_messages(chat)[-1]["message"] == "/ask_pay"
    assert chat.page.evaluate("window.__pwned") is None


def test_session_id_the_server_replaces_drops_the_transcript(scripted_chat: Chat) -> None:
    """The server confirms another id than the stored one: it will not continue that conversation."""
    chat = scripted_chat
    chat.goto()
    old_transcript = [
        {"who": "user", "text": "I have 7 years of experience"},
        {"who": "bot", "text": "Noted: 7 years.", "buttons": []},
    ]
    now_ms = chat.page.evaluate("Date.now()")

    # Control: the id the scripted server confirms is the stored one, so the transcript stays.
    chat.store(
        {
            "sessionId": "scripted-session",
            "greeted": True,
            "open": True,
            "messages": old_transcript,
            "lastActivity": now_ms,
        }
    )
    chat.page.reload()
    chat.page.wait_for_function("window.__sent.some(e => e.event === 'session_request')")
    chat.page.evaluate("new Promise(resolve => setTimeout(resolve, 200))")  # past the scripted confirm
    expect(chat.page.locator(USER_BUBBLE)).to_have_text([old_transcript[0]["text"]])
    assert sent_messages(chat) == []

    # Another id: the old messages go, and the new conversation is greeted as a first visit.
    chat.store(
        {
            "sessionId": "issued-by-an-old-secret",
            "greeted": True,
            "open": True,
            "messages": old_transcript,
            "lastActivity": now_ms,
        }
    )
    chat.page.reload()
    chat.page.wait_for_function("window.__sent.some(e => e.event === 'user_uttered')")
    requested = chat.page.evaluate("window.__sent.find(e => e.event === 'session_request').data")
    assert requested == {"session_id": "issued-by-an-old-secret"}
    assert [(m["message"], m["session_id"]) for m in sent_messages(chat)] == [("/greet", "scripted-session")]
    expect(chat.page.locator(".rcw-msg:not(.rcw-typing)")).to_have_count(0)
    stored = chat.stored()
    assert stored["sessionId"] == "scripted-session" and stored["messages"] == []
    chat.page.evaluate("window.__bot({text: 'Hi! Ask me about medical assisting.'})")
    chat.expect_bot_says("Ask me about medical assisting")
    assert "7 years" not in chat.page.locator(".rcw-log").inner_text()


def connect_packets(payloads: List[str]) -> int:
    """socket.io CONNECT packets ("40...") in engine.io payloads (polling joins packets with \\x1e)."""
    return sum(packet.startswith("40") for payload in payloads for packet in payload.split("\x1e"))


def test_a_question_sent_while_the_connection_is_made_is_answered(chat: Chat) -> None:
    """A question typed after the socket.io handshake but before the server acknowledged the
    namespace made the widget ask socket.io to connect again: it sent a second CONNECT, the server
    refused it ("already connected"), and the student read that the chat service could not be
    reached (a CI failure, 1 December). Holding the polling request that brings the
    acknowledgement until the question is typed makes that window certain."""
    held: List[Route] = []
    sent: List[str] = []
    hold = {"on": True}

    def hold_polls(route: Route) -> None:
        request = route.request
        if request.method == "POST" and request.post_data:
            sent.append(request.post_data)
        if hold["on"] and request.method == "GET" and "sid=" in request.url:
            held.append(route)
        else:
            route.continue_()

    chat.page.on("websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(str(payload))))
    chat.page.route("**/socket.io/**", hold_polls)
    chat.goto()
    chat.open()  # sends the greeting: the connection starts
    deadline = time.monotonic() + REPLY_TIMEOUT_MS / 1000
    while not held and time.monotonic() < deadline:
        chat.page.wait_for_timeout(50)
    assert held, "the widget never polled the server after the handshake"
    chat.ask(PAY_QUESTION)
    chat.page.wait_for_timeout(500)  # time for a second CONNECT to be written, if the widget asks for one
    hold["on"] = False
    for route in held:
        route.continue_()
    chat.wait_for_greeting()
    chat.expect_bot_says(PAY_FIGURE)
    expect(chat.page.get_by_role("alert")).to_be_empty()  # the notice stays in the page, with no error in it
    assert connect_packets(sent) == 1, sent


def test_stored_session_id_is_continued_only_with_its_transcript(chat: Chat, stack: Stack) -> None:
    """A stored id the server did not issue: whatever the server decides, the widget shows the
    transcript only if the conversation really goes on (today's server continues any id; a
    server that signs its ids starts a new one)."""
    chat.goto()
    forged = "forged" + os.urandom(8).hex()
    chat.store(
        {
            "sessionId": forged,
            "greeted": True,
            "open": True,
            "lastActivity": chat.page.evaluate("Date.now()"),
            "messages": [
                {"who": "user", "text": RMA_QUESTION},
                {"who": "bot", "text": "About the RMA.", "buttons": []},
            ],
        }
    )
    chat.page.reload()
    expect(chat.page.locator(PANEL)).to_be_visible()
    chat.ask(PAY_QUESTION)
    chat.expect_bot_says(PAY_FIGURE)
    session_id = chat.session_id()
    if session_id == forged:
        expect(chat.page.locator(USER_BUBBLE)).to_have_text([RMA_QUESTION, PAY_QUESTION])
        assert PAY_QUESTION in user_texts(stack, forged)
    else:
        expect(chat.page.locator(USER_BUBBLE)).to_have_text([PAY_QUESTION])
        assert "About the RMA." not in chat.page.locator(".rcw-log").inner_text()
        assert PAY_QUESTION in user_texts(stack, session_id)
        assert PAY_QUESTION not in user_texts(stack, forged)
