"""The chat widget, the agent desk and the supervisor view in a real browser: headless
Chromium (Debian's package) driven by Playwright, against the real stack.

Screenshots land in ``reports/screenshots/`` for people to look at.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest

from switchboard import paths
from tests.helpers import http
from tests.stack_support import RunningStack, running_stack

pytestmark = pytest.mark.stack

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = paths.ROOT / "reports" / "screenshots"
# As root and offline: no sandbox, and none of Chromium's background connections.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def web(model_path, tmp_path_factory) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("web-data"), open_now=True) as running:
        yield running


@pytest.fixture(scope="module")
def playwright():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `make setup-test` (scripts/setup.sh --test) first")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="module")
def browser(playwright):
    instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    yield instance
    instance.close()


def _login(page, username: str, password: str) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")


def test_customer_and_agent_talk_through_the_widget_and_the_desk(web: RunningStack, browser) -> None:
    customer = browser.new_page(viewport={"width": 1100, "height": 760})
    customer.goto(f"{web.gateway}/chat")
    customer.wait_for_selector("#chat-state:text('online')", timeout=WAIT_MS)
    customer.fill("#message", "hello")
    customer.press("#message", "Enter")
    customer.wait_for_selector(".message.bot", timeout=WAIT_MS)
    customer.fill("#message", "I want to talk to a human")
    customer.click("#composer button[type=submit]")
    customer.wait_for_selector("#queue:not([hidden])", timeout=WAIT_MS)
    assert re.search(r"number \d+ in the queue", customer.inner_text("#queue-text"))
    customer.screenshot(path=str(SHOTS / "chat-queued.png"))

    desk = browser.new_page(viewport={"width": 1400, "height": 860})
    desk.goto(f"{web.gateway}/desk")
    _login(desk, "alice", "alice-demo-pass")
    desk.wait_for_selector("#desk:not([hidden])", timeout=WAIT_MS)
    desk.wait_for_selector(".queue[data-queue=general] .waiting", timeout=WAIT_MS)
    desk.select_option("#presence", "available")  # an offline agent may not take work
    desk.wait_for_function("document.querySelector('#presence').value === 'available'")
    desk.click("#accept-next")
    desk.wait_for_selector("#conversation:not([hidden])", timeout=WAIT_MS)
    desk.wait_for_selector("#transcript .message.customer:has-text('I want to talk to a human')", timeout=WAIT_MS)
    context = desk.inner_text("#context-list")
    assert "request_human" in context and "en / chat" in context
    customer.wait_for_selector(".message.bot:has-text('Alice Martin has joined')", timeout=WAIT_MS)

    # A canned response (the FAQ answer) fills the reply box; the agent sends it.
    desk.select_option("#canned", label="opening hours")
    assert "Monday to Friday" in desk.input_value("#reply")
    desk.fill("#reply", "Hello, this is Alice. How can I help?")
    desk.click("#reply-form button[type=submit]")
    customer.wait_for_selector(".message.agent:has-text('Hello, this is Alice')", timeout=WAIT_MS)
    customer.fill("#message", "my bill is too high")
    customer.press("#message", "Enter")
    desk.wait_for_selector("#transcript .message.customer:has-text('my bill is too high')", timeout=WAIT_MS)
    desk.fill("#note", "Customer disputes the November bill")
    desk.click("#note-form button[type=submit]")
    desk.wait_for_selector("#transcript .message.note:has-text('disputes the November bill')", timeout=WAIT_MS)
    desk.screenshot(path=str(SHOTS / "desk-conversation.png"))
    customer.screenshot(path=str(SHOTS / "chat-with-agent.png"))

    # Closing needs a disposition; then the bot comes back for the survey.
    desk.click("#close-form button[type=submit]")
    assert desk.is_visible("#conversation")  # the browser refuses: no disposition chosen
    desk.select_option("#disposition", "resolved")
    desk.fill("#wrap-up", "Explained the bill.")
    desk.click("#close-form button[type=submit]")
    desk.wait_for_selector("#conversation[hidden]", state="attached", timeout=WAIT_MS)
    customer.wait_for_selector(".message.bot:has-text('from 1 (very unsatisfied) to 5')", timeout=WAIT_MS)
    customer.screenshot(path=str(SHOTS / "chat-survey.png"))


def test_wrong_password_shows_an_error(web: RunningStack, browser) -> None:
    page = browser.new_page()
    page.goto(f"{web.gateway}/desk")
    _login(page, "alice", "not-her-password")
    page.wait_for_selector("#login-error:not([hidden])", timeout=WAIT_MS)
    assert "Wrong username or password" in page.inner_text("#login-error")
    assert page.is_hidden("#desk")


def test_supervisor_sees_queues_agents_escalations_and_kpis(web: RunningStack, browser) -> None:
    web.chat("web-waiting", "I want to speak to an agent")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{web.gateway}/desk")
    _login(page, "sam", "sam-demo-pass")
    page.wait_for_selector("#tab-supervisor:not([hidden])", timeout=WAIT_MS)
    page.click("#tab-supervisor")
    page.wait_for_selector("#sv-queues tbody tr", timeout=WAIT_MS)
    rows = page.inner_text("#sv-queues tbody")
    assert "general" in rows and "complaints" in rows
    assert "Alice Martin" in page.inner_text("#sv-agents tbody")
    page.wait_for_selector("#sv-kpis dt:has-text('Containment')", timeout=WAIT_MS)
    page.screenshot(path=str(SHOTS / "supervisor.png"), full_page=True)


def test_an_agent_cannot_open_the_supervisor_view(web: RunningStack, browser) -> None:
    page = browser.new_page()
    page.goto(f"{web.gateway}/desk")
    _login(page, "bogdan", "bogdan-demo-pass")
    page.wait_for_selector("#desk:not([hidden])", timeout=WAIT_MS)
    assert page.is_hidden("#tab-supervisor")
    token = http("POST", f"{web.gateway}/api/auth/login", {"username": "bogdan", "password": "bogdan-demo-pass"})[1]["token"]
    status, body = http("GET", f"{web.gateway}/api/supervisor/overview", headers={"Authorization": f"Bearer {token}"})
    assert status == 403 and body["error"] == "forbidden"


def test_pages_send_a_content_security_policy(web: RunningStack) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{web.gateway}/desk") as response:
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        connect = next(part.split()[1:] for part in policy.split(";") if part.strip().startswith("connect-src"))
        assert connect == ["'self'"], f"websockets to any host are allowed: {policy}"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_browser_phone_streams_the_microphone_and_plays_the_bot(web: RunningStack, playwright) -> None:
    """Chromium's fake microphone plays the real recording of digits; the page is the phone."""
    recording = paths.shared_data() / "speech" / "digits_en.wav"
    assert recording.is_file(), f"{recording} is missing: set SWITCHBOARD_SHARED_DATA to the shared data folder"
    args = CHROMIUM_ARGS + [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={recording}", "--autoplay-policy=no-user-gesture-required",
    ]
    phone_browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
    try:
        page = phone_browser.new_page(viewport={"width": 900, "height": 900})
        page.goto(f"{web.gateway}/voice")
        page.click("#call")
        page.wait_for_selector("#call-state:text('in call')", timeout=WAIT_MS)
        page.click("#keypad button:text('1')")
        page.wait_for_selector(".message.system:text('menu 1')", timeout=WAIT_MS)
        page.wait_for_selector(".message.bot:has-text('This call is recorded')", timeout=WAIT_MS)
        page.wait_for_selector(".message.customer:has-text('zero')", timeout=WAIT_MS)
        page.screenshot(path=str(SHOTS / "voice-call.png"))
        page.click("#hangup")
        page.wait_for_selector("#call-state:text('idle')", timeout=WAIT_MS)
    finally:
        phone_browser.close()
