"""`rasa shell` in a real terminal (a pseudo-terminal): answers, and words instead of silence without actions."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from tests.stack import MODEL, RASA, ROOT, _env, free_port

pytestmark = pytest.mark.stack

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    def __init__(self, args, env):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 250, 0, 0))  # rows, columns
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=env,
                                        start_new_session=True)
        os.close(slave)
        self.screen = ""

    def expect(self, text: str, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if ready:
                try:
                    self.screen += ANSI.sub("", os.read(self.master, 65536).decode(errors="replace"))
                except OSError:
                    break
            # Compare without white space: the console wraps long answers mid-word.
            if "".join(text.split()) in "".join(self.screen.split()):
                return self.screen
        raise TimeoutError(f"{text!r} not shown; screen ends with:\n{self.screen[-2000:]}")

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self.master)


def _shell(tmp_path: Path, action_url: str) -> Terminal:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: {action_url}\n"
                         f"tracker_store:\n  type: SQL\n  url: sqlite:///{tmp_path / 'c.db'}\n")
    return Terminal([str(RASA), "shell", "--model", str(MODEL), "--endpoints", str(endpoints),
                     "--port", str(free_port())], _env({"TERM": "dumb", "COLUMNS": "200"}))


def _ask_in_shell(tmp_path: Path, action_url: str, question: str, expected: str) -> None:
    terminal = _shell(tmp_path, action_url)
    try:
        terminal.expect("Bot loaded", 240)
        terminal.type(question)
        terminal.expect(expected, 60)
    finally:
        terminal.close()


def test_shell_answers_from_the_knowledge_file(tmp_path, stack):
    # The shared stack's action server; the shell runs its own Rasa server.
    _ask_in_shell(tmp_path, f"{stack.action_url}/webhook", "what is the NCMA?", "National Center for Competency Testing")


def test_shell_without_action_server_says_so(tmp_path):
    _ask_in_shell(tmp_path, f"http://127.0.0.1:{free_port()}/webhook",
                  "how much do certified medical assistants make", "can't look that up right now")


def test_shell_questionnaire_with_a_dead_action_server_says_so(tmp_path):
    from tests.stack import start_action_server

    port = free_port()
    actions = start_action_server(port, tmp_path / "actions.log")
    terminal = None
    try:
        deadline = time.monotonic() + 90
        while not _ready(f"http://127.0.0.1:{port}/health") and time.monotonic() < deadline:
            time.sleep(0.5)
        terminal = _shell(tmp_path, f"http://127.0.0.1:{port}/webhook")
        terminal.expect("Bot loaded", 240)
        terminal.type("/start_advisor")
        terminal.expect("Have you completed", 60)
        actions.kill()
        actions.wait()
        terminal.type("")  # Enter picks the first button of the question's menu
        terminal.expect("can't look that up right now", 60)
    finally:
        if actions.poll() is None:
            actions.kill()
        if terminal is not None:
            terminal.close()


def _ready(url: str) -> bool:
    import requests

    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False
