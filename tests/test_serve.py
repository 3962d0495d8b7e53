"""`make run` (python -m cma_stack run): serves everything, restarts a crashed action server, stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid

import pytest
import requests
import yaml

from cma_stack import PYTHON, ROOT, free_port, quiet_env

pytestmark = pytest.mark.stack

SERVE = [str(PYTHON), "-m", "cma_stack", "run"]


def _wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(what)


def _reply(rasa_url: str, sender: str, message: str) -> str:
    response = requests.post(
        f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=30
    )
    response.raise_for_status()
    return "\n".join(m.get("text", "") for m in response.json())


def _listening_pid(port: int) -> int:
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    return int(out.split("pid=")[1].split(",")[0])


def test_run_serves_restarts_actions_and_stops_cleanly(tmp_path):
    ports = {"RASA_PORT": free_port(), "ACTIONS_PORT": free_port(), "WEB_PORT": free_port()}
    actions_log = tmp_path / "actions.log"
    env = quiet_env(
        {k: str(v) for k, v in ports.items()}
        | {"TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'c.db'}", "ACTIONS_LOG": str(actions_log)}
    )
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(SERVE, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    rasa_url = f"http://127.0.0.1:{ports['RASA_PORT']}"
    try:
        _wait_for(lambda: requests.get(rasa_url, timeout=2).ok, 180, "Rasa did not start")
        sender = f"serve-{uuid.uuid4()}"
        assert "$20.76" in _reply(rasa_url, sender, "how much do certified medical assistants make")
        # No HTTP API unless RASA_API_TOKEN is set: nobody can read the conversation.
        assert requests.get(f"{rasa_url}/conversations/{sender}/tracker", timeout=10).status_code == 404
        page = requests.get(f"http://127.0.0.1:{ports['WEB_PORT']}/", timeout=10)
        assert page.ok and "rasa-chat.js" in page.text

        # Only loopback: the action server is not reachable on other interfaces.
        listen = subprocess.run(
            ["ss", "-ltnH", f"sport = :{ports['ACTIONS_PORT']}"], capture_output=True, text=True
        ).stdout
        local_addresses = [line.split()[3] for line in listen.splitlines()]
        assert local_addresses == [f"127.0.0.1:{ports['ACTIONS_PORT']}"]

        os.kill(_listening_pid(ports["ACTIONS_PORT"]), signal.SIGKILL)  # a crash
        _wait_for(
            lambda: requests.get(f"http://127.0.0.1:{ports['ACTIONS_PORT']}/health", timeout=2).ok,
            120,
            "the action server was not restarted",
        )
        assert "Non-certified" in _reply(rasa_url, sender, "what about without certification?")
        assert "restarting it" in actions_log.read_text()
    finally:
        os.killpg(serve.pid, signal.SIGINT)
        serve.wait(timeout=60)
    for port in ports.values():
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)


def test_run_refuses_a_malformed_knowledge_file(tmp_path):
    data = yaml.safe_load((ROOT / "knowledge" / "cma.yml").read_text())
    data["credentials"][0]["issuer"] = "NOBODY"
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump(data))
    ports = {"RASA_PORT": free_port(), "ACTIONS_PORT": free_port(), "WEB_PORT": free_port()}
    env = quiet_env(
        {k: str(v) for k, v in ports.items()}
        | {"CMA_KNOWLEDGE_FILE": str(bad), "ACTIONS_LOG": str(tmp_path / "actions.log")}
    )
    result = subprocess.run(SERVE, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode != 0
    assert "did not start" in result.stderr and "credentials[0] (CMA)" in result.stderr and str(bad) in result.stderr
