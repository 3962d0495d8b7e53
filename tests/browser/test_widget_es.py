"""The widget in Spanish (issue #15): the Spanish demo pages (web/es/) against the real stack.

As tests/browser/test_widget.py: the shared stack (tests/conftest.py) with Rasa's --cors allowing the
demo site's origin (`site_port`), headless Debian Chromium through Playwright's sync API, axe-core for
WCAG 2.1 A/AA, screenshots in results/screenshots/. The pages are a copy of web/ pointing at the test's
Rasa server. test_widget.py's site fixture keeps that origin's port for the whole session, so this
module serves its copy on another port and has Playwright send the browser's requests for the allowed
origin there (context.route, continued to the other URL: the page keeps the allowed origin, and Chromium
still sees a loopback server, as it must for the page to reach Rasa on loopback). Its browser runs in a
thread of its own, since test_widget.py's keeps Playwright's sync API busy in the main thread for the
whole session (as tests/test_report_rest.py renders its page).

A Spanish page (<html lang="es">, or any es-* tag) or data-language="es" makes the widget's own text
Spanish, and the page's language is the bot's hint until a message shows one: the greeting is Spanish,
and so are the answers to Spanish questions. Tests marked only `browser` replace the socket.io client
with a scripted server (no stack, no model). The file checks at the top need neither.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from cma_stack import Stack, free_port
from tests.helpers import SCRIPTED_SOCKET, bot_reply, run_axe

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
SHOTS = ROOT / "results" / "screenshots"
DEMO_SERVER_URL = "http://127.0.0.1:5005"  # what the committed demo pages embed
PACKAGE_VERSION = json.loads((WEB / "package.json").read_text())["version"]
BUNDLE_JS = f"rasa-chat-{PACKAGE_VERSION}.min.js"
SPANISH_PAGES = ("index.html", "advising.html")  # web/es/, each the translation of web/<same name>
REPLY_TIMEOUT_MS = 20_000  # as test_widget.py: the first answers warm up the models on 2 cores
SOCKET_READY_TIMEOUT = 120

# Widget selectors (web/widget/rasa-chat.js).
LAUNCHER = ".rcw-launcher"
PANEL = ".rcw-panel"
INPUT = ".rcw-input"
BOT_BUBBLE = ".rcw-bot:not(.rcw-typing) .rcw-bubble"
USER_BUBBLE = ".rcw-user .rcw-bubble"
REPLY_BUTTON = ".rcw-reply"

# What the Spanish pages' widget shows and announces (UI_STRINGS.es, and data-title on web/es/).
TITLE = "Chat sobre asistencia médica"
SPANISH_UI = {
    "launcher": f"Abrir el chat: {TITLE}",
    "region": "Asistente de chat",
    "input": "Tu mensaje",
    "placeholder": "Escribe tu pregunta…",
    "buttons": ("Enviar", "Empezar de nuevo", "Cerrar el chat"),
}
# Text of UI_STRINGS.en that must not show in a Spanish widget (announcements included).
ENGLISH_UI = ["Start over", "Close chat", "Your message", "Send", "Assistant said:", "You said:", "Suggested replies"]
DEMO_BUTTON = "Chatear con el asistente"  # the Spanish pages' own button (web/demo.js)

PAY_QUESTION = "¿cuánto gana un asistente médico?"
PER_YEAR = "¿y por año?"
PER_HOUR = "¿y por hora?"
HOURLY = re.compile(r"20[.,]76")  # the knowledge file's certified hourly figure, in either number format
YEARLY = re.compile(r"39[.,]085|37[.,]190")  # its yearly figures
ENGLISH_GREETING = "career guide"


# --------------------------------------------------------------------------- files (no browser)


def ui_strings() -> dict:
    """UI_STRINGS of web/widget/rasa-chat.js, evaluated by node (a plain object literal)."""
    if not shutil.which("node"):
        pytest.skip("node is not installed")
    source = (WEB / "widget" / "rasa-chat.js").read_text()
    table = re.search(r"^  const UI_STRINGS = (\{.*?^  \});$", source, re.S | re.M)
    assert table, "rasa-chat.js: no `const UI_STRINGS = {...};` block"
    run = subprocess.run(
        ["node", "-e", f"process.stdout.write(JSON.stringify({table.group(1)}))"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_every_language_has_every_string_with_its_placeholders() -> None:
    tables = ui_strings()
    assert set(tables) >= {"en", "es"}
    english = tables["en"]
    for language, strings in tables.items():
        assert set(strings) == set(english), language
        for key, text in strings.items():
            assert isinstance(text, str) and (text.strip() or key == "replySeparator"), (language, key)
            assert sorted(re.findall(r"\{\w+\}", text)) == sorted(re.findall(r"\{\w+\}", english[key])), (language, key)
    # Every Spanish sentence is translated (only the separator is the same).
    assert [key for key in english if tables["es"][key] == english[key]] == ["replySeparator"]


class HtmlPage(HTMLParser):
    """<html lang>, links (with hreflang) and script tags of a page."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.lang: Optional[str] = None
        self.links: List[dict] = []
        self.scripts: List[dict] = []
        self.feed(path.read_text())

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        elif tag == "a":
            self.links.append(found)
        elif tag == "script":
            self.scripts.append(found)


def test_spanish_pages_link_to_the_english_ones_and_back() -> None:
    manifest = json.loads((WEB / "dist" / "manifest.json").read_text())
    for name in SPANISH_PAGES:
        spanish, english = HtmlPage(WEB / "es" / name), HtmlPage(WEB / name)
        assert spanish.lang == "es" and english.lang == "en"
        assert {"href": f"../{name}", "lang": "en", "hreflang": "en"} in spanish.links, name
        assert {"href": f"es/{name}", "lang": "es", "hreflang": "es"} in english.links, name
        (widget,) = [s for s in spanish.scripts if "rasa-chat" in s.get("src", "")]
        assert widget["data-server-url"] == DEMO_SERVER_URL and widget["data-title"] == TITLE
        assert "data-language" not in widget  # the page's own lang says it
        assert "../demo.js" in {script.get("src") for script in spanish.scripts}  # the page's own button
        # The same build as the English page: the sources, or the pinned file with the manifest's hash.
        (english_widget,) = [s for s in english.scripts if "rasa-chat" in s.get("src", "")]
        assert widget["src"] == f"../{english_widget['src']}"
        if widget["src"].endswith(".min.js"):
            assert widget["src"] == f"../dist/{BUNDLE_JS}"
            assert widget["integrity"] == manifest["files"][BUNDLE_JS], f"es/{name}: copy the hash from manifest.json"
            assert widget["crossorigin"] == "anonymous"


# --------------------------------------------------------------------------- site and browser


def build_site(docroot: Path, server_url: str) -> Path:
    """web/ with its pages (web/es/ too) embedding `server_url`, plus variants of the Spanish pages."""
    from tests.helpers import copy_demo_site  # here: tests.helpers loads the knowledge file

    copy_demo_site(docroot, server_url)
    (docroot / "es").unlink()  # a symlink to web/es/: its pages need the server URL too
    (docroot / "es").mkdir()
    for page in (WEB / "es").glob("*.html"):
        text = page.read_text()
        assert DEMO_SERVER_URL in text, f"es/{page.name} no longer embeds {DEMO_SERVER_URL}"
        (docroot / "es" / page.name).write_text(text.replace(DEMO_SERVER_URL, server_url))
    spanish = (docroot / "es" / "index.html").read_text()
    # A regional tag: still Spanish, and sent as the page says it.
    (docroot / "es" / "mexico.html").write_text(spanish.replace('<html lang="es">', '<html lang="es-MX">'))
    # The English page with data-language="es": the option wins over <html lang="en">.
    english = (docroot / "index.html").read_text()
    assert 'data-open-on-load="false"' in english
    (docroot / "data-language.html").write_text(
        english.replace('data-open-on-load="false"', 'data-open-on-load="false" data-language="es"')
    )
    return docroot


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class Site:
    """A copy of web/ in `docroot`, as the browser sees it on `url` (an origin Rasa's --cors allows)."""

    def __init__(self, url: str, docroot: Path, rasa_url: str) -> None:
        self.url, self.docroot, self.rasa_url = url, docroot, rasa_url
        handler = functools.partial(QuietHandler, directory=str(docroot))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.served_at = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, route: Route) -> None:
        """context.route handler for `url`: the request goes to this copy's own server."""
        route.continue_(url=self.served_at + route.request.url[len(self.url) :])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.docroot, ignore_errors=True)


@pytest.fixture(scope="module")
def site(stack: Stack, site_port: int) -> Iterator[Site]:
    """The demo site for the real stack, once it answers over socket.io."""
    wait_for_socket_reply(stack.rasa_url, SOCKET_READY_TIMEOUT)
    site = Site(
        f"http://127.0.0.1:{site_port}",
        build_site(Path(tempfile.mkdtemp(prefix="widget-es-")), stack.rasa_url),
        stack.rasa_url,
    )
    yield site
    site.close()


@pytest.fixture(scope="module")
def offline_site(site_port: int) -> Iterator[Site]:
    """The demo site pointing at a port nothing listens on (scripted-socket and unreachable tests)."""
    dead = f"http://127.0.0.1:{free_port()}"
    site = Site(f"http://127.0.0.1:{site_port}", build_site(Path(tempfile.mkdtemp(prefix="widget-es-")), dead), dead)
    yield site
    site.close()


def wait_for_socket_reply(rasa_url: str, timeout: float) -> None:
    """Waits until a socket.io /greet gets a reply (models loaded, actions reachable)."""
    import time

    from tests.helpers import SocketClient

    deadline, last_error = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        client = None
        try:
            client = SocketClient(rasa_url)
            if client.ask("/greet", timeout=max(1.0, deadline - time.monotonic())):
                return
        except Exception as error:  # noqa: BLE001 (no reply yet: models still warming up)
            last_error = error
            time.sleep(2)
        finally:
            if client is not None:
                client.close()
    raise TimeoutError(f"Rasa at {rasa_url} gave no socket.io reply: {last_error!r}")


class Chat:
    """A page with the widget, plus script errors seen on it."""

    def __init__(self, page: Page, site: Site) -> None:
        self.page, self.site = page, site
        self.errors: List[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.site.url}/{path}")
        expect(self.page.locator(".rcw-root")).to_have_count(1)

    def open(self) -> None:
        self.page.locator(LAUNCHER).click()
        expect(self.page.locator(PANEL)).to_be_visible()

    def wait_for_spanish_greeting(self) -> None:
        greeting = self.page.locator(BOT_BUBBLE).first
        expect(greeting).to_contain_text("asistente médico", timeout=REPLY_TIMEOUT_MS)
        expect(greeting).not_to_contain_text(ENGLISH_GREETING)
        expect(self.page.locator(REPLY_BUTTON).nth(2)).to_be_visible(timeout=REPLY_TIMEOUT_MS)

    def ask(self, text: str) -> None:
        self.page.locator(INPUT).fill(text)
        self.page.locator(INPUT).press("Enter")
        expect(self.page.locator(USER_BUBBLE).last).to_have_text(text)

    def reply_with(self, pattern: "re.Pattern[str]") -> str:
        """The text of the first bot message after the latest user message that matches `pattern`."""
        return bot_reply(self.page, pattern, REPLY_TIMEOUT_MS)

    def session_id(self) -> str:
        stored = self.page.evaluate("key => localStorage.getItem(key)", f"rasa-chat:{self.site.rasa_url}")
        assert stored, "the widget stored no conversation"
        return json.loads(stored)["sessionId"]

    def widget_text(self) -> str:
        """Everything the widget shows or gives screen readers (labels, sr-only text, live region)."""
        return self.page.evaluate("""() => {
            const root = document.querySelector('.rcw-root');
            const labels = [...root.querySelectorAll('[aria-label], [placeholder]')]
                .map(e => (e.getAttribute('aria-label') || '') + ' ' + (e.getAttribute('placeholder') || ''));
            return [root.getAttribute('aria-label'), root.textContent, ...labels].join(' ');
        }""")

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"{name}.png"))


class BrowserThread:
    """Chromium driven from one worker thread: every Playwright call of this module runs there."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="widget-es-browser")
        self.browser: Optional[Browser] = None
        self.playwright: Any = None

    def _start(self) -> None:
        from tests.helpers import CHROMIUM, CHROMIUM_ARGS

        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    def _stop(self) -> None:
        if self.browser is not None:
            self.browser.close()
        if self.playwright is not None:
            self.playwright.stop()

    def _chat(self, site: Site, steps: Callable[[Chat], None], init_script: str) -> None:
        # A fresh context: empty localStorage, so a new conversation.
        context = self.browser.new_context(viewport={"width": 1280, "height": 800}, locale="es-MX")
        try:
            context.route(f"{site.url}/**", site.serve)
            if init_script:
                context.add_init_script(init_script)
            chat = Chat(context.new_page(), site)
            steps(chat)
            assert chat.errors == [], f"script errors on the page: {chat.errors}"
        finally:
            context.close()

    def chat(self, site: Site, steps: Callable[[Chat], None], init_script: str = "") -> None:
        """Runs `steps` on a new page of `site` (in the browser's thread); its failures are the test's."""
        self.pool.submit(self._chat, site, steps, init_script).result()


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserThread]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    thread = BrowserThread()
    thread.pool.submit(thread._start).result()
    yield thread
    thread.pool.submit(thread._stop).result()
    thread.pool.shutdown()


def expect_spanish_ui(chat: Chat) -> None:
    """The open widget's controls carry the Spanish strings, and no English one is left."""
    page = chat.page
    expect(page.get_by_role("dialog", name=TITLE)).to_be_visible()
    expect(page.get_by_role("complementary", name=SPANISH_UI["region"])).to_have_count(1)
    expect(page.get_by_role("textbox", name=SPANISH_UI["input"])).to_have_attribute(
        "placeholder", SPANISH_UI["placeholder"]
    )
    for name in SPANISH_UI["buttons"]:
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("log", name="Conversación")).to_be_visible()
    shown = chat.widget_text()
    assert not [text for text in ENGLISH_UI if re.search(rf"\b{re.escape(text)}", shown)], shown


# --------------------------------------------------------------------------- the real bot


@pytest.mark.stack
@pytest.mark.browser
@pytest.mark.parametrize("path", ["es/index.html", "es/advising.html"], ids=["development-build", "pinned-build"])
def test_spanish_page_greets_in_spanish_with_spanish_ui(browser: BrowserThread, site: Site, path: str) -> None:
    def steps(chat: Chat) -> None:
        page = chat.page
        chat.goto(path)
        expect(page.locator(LAUNCHER)).to_have_accessible_name(SPANISH_UI["launcher"])
        assert run_axe(page) == []  # closed: the launcher on the page
        page.get_by_role("button", name=DEMO_BUTTON).click()  # web/demo.js, through RasaChat.open()
        expect(page.locator(PANEL)).to_be_visible()
        expect(page.locator(INPUT)).to_be_focused()
        chat.wait_for_spanish_greeting()
        expect(page.locator(USER_BUBBLE)).to_have_count(0)  # /greet is sent unseen
        expect_spanish_ui(chat)
        expect(page.locator(".rcw-log")).to_contain_text("El asistente dijo:")
        live = page.locator(".rcw-root [aria-live=polite]")
        expect(live).to_contain_text("Asistente: ")
        expect(live).to_contain_text("Respuestas sugeridas: ")
        assert page.locator(".rcw-root").get_attribute("lang") is None  # the page's own lang="es" applies
        chat.shot(f"es-01-greeting-{path.split('/')[-1].removesuffix('.html')}")
        assert run_axe(page) == []
        page.keyboard.press("Escape")  # focus goes back to the page's own button
        expect(page.locator(PANEL)).to_be_hidden()
        expect(page.get_by_role("button", name=DEMO_BUTTON)).to_be_focused()

    browser.chat(site, steps)


@pytest.mark.stack
@pytest.mark.browser
def test_pay_in_spanish_then_per_year_and_reload(browser: BrowserThread, site: Site, stack: Stack) -> None:
    def steps(chat: Chat) -> None:
        page = chat.page
        chat.goto("es/index.html")
        chat.open()
        chat.wait_for_spanish_greeting()

        chat.ask(PAY_QUESTION)
        answer = chat.reply_with(HOURLY)
        assert "$" in answer and "hora" in answer, answer
        assert "an hour" not in answer and "a year" not in answer, answer
        expect(page.locator(f"{BOT_BUBBLE} strong", has_text=HOURLY).first).to_be_visible()  # **bold** rendered
        live = page.locator(".rcw-root [aria-live=polite]")
        expect(live).to_contain_text("Asistente: ")
        expect(live).to_contain_text(HOURLY)
        chat.shot("es-02-pay-answer")

        # The follow-up keeps the subject (pay) and changes the period.
        chat.ask(PER_YEAR)
        yearly = chat.reply_with(YEARLY)
        assert "$" in yearly and "año" in yearly and "a year" not in yearly, yearly
        session_id = chat.session_id()
        said = [e.get("text") for e in stack.tracker(session_id)["events"] if e["event"] == "user"]
        assert said[-2:] == [PAY_QUESTION, PER_YEAR]

        # Reload: the same transcript and conversation, still in Spanish.
        messages_before = page.locator(".rcw-msg").count()
        page.reload()
        expect(page.locator(PANEL)).to_be_visible()  # it was open, so it reopens
        expect(page.locator(USER_BUBBLE, has_text=PER_YEAR)).to_be_visible()
        assert page.locator(".rcw-msg").count() == messages_before
        assert chat.session_id() == session_id
        expect_spanish_ui(chat)
        chat.ask(PER_HOUR)  # still follows the pay question asked before the reload
        hourly = chat.reply_with(HOURLY)
        assert "hora" in hourly and "an hour" not in hourly, hourly
        assert chat.session_id() == session_id
        chat.shot("es-03-after-reload")
        assert run_axe(page) == []

    browser.chat(site, steps)


@pytest.mark.stack
@pytest.mark.browser
def test_language_link_keeps_the_conversation(browser: BrowserThread, site: Site) -> None:
    """A student starts on the English page, follows "Español": the same chat, now with Spanish text."""

    def steps(chat: Chat) -> None:
        page = chat.page
        chat.goto("index.html")
        chat.open()
        expect(page.locator(BOT_BUBBLE).first).to_contain_text(ENGLISH_GREETING, timeout=REPLY_TIMEOUT_MS)
        expect(page.locator(REPLY_BUTTON).nth(2)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        session_id = chat.session_id()
        page.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
        expect(page).to_have_url(re.compile(r"/es/index\.html$"))
        expect(page.locator(PANEL)).to_be_visible()  # it was open
        expect(page.locator(BOT_BUBBLE).first).to_contain_text(ENGLISH_GREETING)  # the transcript stays
        expect_spanish_ui(chat)
        chat.ask(PAY_QUESTION)  # the student's Spanish decides now, not the English greeting
        answer = chat.reply_with(HOURLY)
        assert "hora" in answer and "an hour" not in answer, answer
        assert chat.session_id() == session_id
        page.get_by_role("navigation", name="Idioma").get_by_role("link", name="English").click()
        expect(page).to_have_url(re.compile(r"127\.0\.0\.1:\d+/index\.html$"))
        expect(page.get_by_role("button", name="Close chat")).to_be_visible()
        assert chat.session_id() == session_id

    browser.chat(site, steps)


@pytest.mark.stack
@pytest.mark.browser
def test_data_language_wins_over_the_page(browser: BrowserThread, site: Site, stack: Stack) -> None:
    def steps(chat: Chat) -> None:
        page = chat.page
        chat.goto("data-language.html")  # <html lang="en">, data-language="es"
        assert page.evaluate("document.documentElement.lang") == "en"
        # The widget says its text is Spanish, inside the English page.
        assert page.locator(".rcw-root").get_attribute("lang") == "es"
        expect(page.locator(LAUNCHER)).to_have_accessible_name("Abrir el chat: Medical Assisting Career Chat")
        chat.open()
        chat.wait_for_spanish_greeting()  # the bot got "es" as the page's language
        for name in SPANISH_UI["buttons"]:
            expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
        greet = next(e for e in stack.tracker(chat.session_id())["events"] if e["event"] == "user")
        assert greet["text"] == "/greet" and greet["metadata"]["language"] == "es"
        assert run_axe(page) == []

    browser.chat(site, steps)


# --------------------------------------------------------------------------- scripted server

SCRIPTED_REPLY = {
    "text": "Mira [la AAMA](https://www.aama-ntl.org/).",
    "buttons": [{"title": "¿Cuánto ganan?", "payload": "/ask_pay"}],
}


def sent_messages(chat: Chat) -> list:
    return chat.page.evaluate("window.__sent.filter(e => e.event === 'user_uttered').map(e => e.data)")


@pytest.mark.browser
def test_no_reply_is_reported_in_spanish(browser: BrowserThread, offline_site: Site) -> None:
    def steps(chat: Chat) -> None:
        page = chat.page
        chat.goto("es/mexico.html")  # <html lang="es-MX">
        expect(page.locator(LAUNCHER)).to_have_accessible_name(SPANISH_UI["launcher"])
        chat.open()
        expect(page.locator(".rcw-typing")).to_contain_text("El asistente está escribiendo")
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("El asistente no respondió. Inténtalo de nuevo.", timeout=15_000)
        # The page's tag goes to the bot as it is (the bot reads "es-MX" as Spanish).
        custom = {"language": "es-MX", "page": "/es/mexico.html"}
        assert sent_messages(chat) == [{"message": "/greet", "session_id": "scripted-session", "customData": custom}]
        alert.get_by_role("button", name="Reintentar").click()
        expect(alert).to_be_empty()
        page.evaluate("reply => window.__bot(reply)", SCRIPTED_REPLY)
        expect(page.locator(f"{BOT_BUBBLE} a")).to_have_accessible_name("la AAMA (se abre en una pestaña nueva)")
        expect(page.get_by_role("group", name="Respuestas sugeridas")).to_be_visible()
        live = page.locator(".rcw-root [aria-live=polite]")
        expect(live).to_contain_text("Asistente: Mira la AAMA.")
        expect(live).to_contain_text("Respuestas sugeridas: ¿Cuánto ganan?.")
        chat.ask("hola")
        expect(page.locator(".rcw-log")).to_contain_text("Tú dijiste:")
        assert sent_messages(chat)[-1]["customData"]["language"] == "es-MX"
        chat.shot("es-04-scripted")
        assert run_axe(page) == []

    browser.chat(offline_site, steps, SCRIPTED_SOCKET)


@pytest.mark.browser
def test_data_language_is_sent_to_the_bot(browser: BrowserThread, offline_site: Site) -> None:
    def steps(chat: Chat) -> None:
        chat.goto("data-language.html")
        chat.open()
        expect(chat.page.get_by_role("button", name="Cerrar el chat")).to_be_visible()
        chat.page.wait_for_function("window.__sent.some(e => e.event === 'user_uttered')")
        assert sent_messages(chat)[0]["customData"] == {"language": "es", "page": "/data-language.html"}

    browser.chat(offline_site, steps, SCRIPTED_SOCKET)


@pytest.mark.browser
def test_unreachable_server_in_spanish(browser: BrowserThread, offline_site: Site) -> None:
    def steps(chat: Chat) -> None:
        chat.goto("es/advising.html")  # the pinned build, its own socket.io client, nothing listening
        chat.open()
        alert = chat.page.get_by_role("alert")
        expect(alert).to_contain_text("No podemos conectar con el servicio de chat", timeout=REPLY_TIMEOUT_MS)
        expect(alert.get_by_role("button", name="Reintentar")).to_be_visible()
        expect_spanish_ui(chat)
        chat.shot("es-05-server-unreachable")
        assert run_axe(chat.page) == []

    browser.chat(offline_site, steps)
