"""`rasa shell` in a real terminal (a pseudo-terminal): answers, and words instead of silence without actions."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from cma_stack import (
    MODEL,
    PYTHON,
    RASA,
    ROOT,
    free_port,
    port_in_use,
    quiet_env,
    start_action_server,
    write_endpoints,
)

pytestmark = pytest.mark.stack

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    def __init__(self, args, env):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 250, 0, 0))  # rows, columns
        self.process = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=env, start_new_session=True
        )
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
    endpoints = write_endpoints(tmp_path / "endpoints.yml", action_url, f"sqlite:///{tmp_path / 'c.db'}")
    return Terminal(
        [str(RASA), "shell", "--model", str(MODEL), "--endpoints", str(endpoints), "--port", str(free_port())],
        quiet_env({"TERM": "dumb", "COLUMNS": "200"}),
    )


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
    _ask_in_shell(
        tmp_path, f"{stack.action_url}/webhook", "what is the NCMA?", "National Center for Competency Testing"
    )


def test_shell_answers_in_spanish_with_the_same_model(tmp_path, stack):
    _ask_in_shell(
        tmp_path, f"{stack.action_url}/webhook", "¿qué es el NCMA?", "la otorga National Center for Competency"
    )


def test_shell_without_action_server_says_so_in_the_students_language(tmp_path):
    """The fixed responses' Spanish variations (endpoints.yml nlg) work in the shell too."""
    _ask_in_shell(
        tmp_path,
        f"http://127.0.0.1:{free_port()}/webhook",
        "¿cuánto gana un asistente médico certificado?",
        "no puedo consultarlo",
    )


def test_shell_without_action_server_says_so(tmp_path):
    _ask_in_shell(
        tmp_path,
        f"http://127.0.0.1:{free_port()}/webhook",
        "how much do certified medical assistants make",
        "can't look that up right now",
    )


def test_shell_questionnaire_with_a_dead_action_server_says_so(tmp_path):
    actions = start_action_server(free_port(), tmp_path / "actions.log")
    terminal = None
    try:
        actions.wait_ready(90)
        terminal = _shell(tmp_path, f"{actions.url}/webhook")
        terminal.expect("Bot loaded", 240)
        terminal.type("/start_advisor")
        terminal.expect("Have you completed", 60)
        actions.process.kill()
        actions.process.wait()
        terminal.type("")  # Enter picks the first button of the question's menu
        terminal.expect("can't look that up right now", 60)
    finally:
        actions.stop()
        if terminal is not None:
            terminal.close()


def test_make_shell_chats_with_its_own_action_server_and_stops_it(tmp_path):
    """`make shell` (python -m cma_stack shell): the action server, a chat without warnings, Ctrl-C ends both."""
    ports = {"RASA_PORT": free_port(), "ACTIONS_PORT": free_port()}
    env = quiet_env(
        {
            **{k: str(v) for k, v in ports.items()},
            "TERM": "dumb",
            "COLUMNS": "200",
            "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'c.db'}",
            "ACTIONS_LOG": str(tmp_path / "a.log"),
        }
    )
    terminal = Terminal([str(PYTHON), "-m", "cma_stack", "shell"], env)
    try:
        terminal.expect("Bot loaded", 240)
        terminal.type("what is the NCMA?")
        screen = terminal.expect("National Center for Competency Testing", 60)
        assert "DeprecationWarning" not in screen
        os.killpg(terminal.process.pid, signal.SIGINT)  # Ctrl-C: the terminal signals its foreground group
        assert terminal.process.wait(timeout=60) == 0
    finally:
        terminal.close()
    assert not any(port_in_use(port) for port in ports.values())
