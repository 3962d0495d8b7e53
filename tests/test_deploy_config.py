"""deploy/ stays consistent with the project (no Docker engine here to run it: see the README)."""

from __future__ import annotations

import re

import yaml

from tests.stack import ROOT

DEPLOY = ROOT / "deploy"
BUILT_BY_MAKE = {"models", "build/spacy_cma"}  # created by `make train` / `make vocab`, not committed


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def _pins() -> dict:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.split("[")[0].lower()] = version.strip()
    return pins


def test_official_images_at_the_pinned_versions():
    compose = _compose()
    pins = _pins()
    assert compose["services"]["rasa"]["image"] == f"rasa/rasa:{pins['rasa']}-full"
    dockerfile = (DEPLOY / "Dockerfile.actions").read_text()
    assert f"FROM rasa/rasa-sdk:{pins['rasa-sdk']}" in dockerfile
    for package in ("pydantic", "pyyaml"):
        version = pins[package]
        assert re.search(rf"{package}=={re.escape(version)}", dockerfile, re.IGNORECASE), package


def test_every_variable_endpoints_yml_reads_is_set_for_rasa():
    variables = set(re.findall(r"\$\{(\w+)\}", (ROOT / "endpoints.yml").read_text()))
    environment = _compose()["services"]["rasa"]["environment"]
    assert variables and variables <= set(environment), variables - set(environment)
    assert environment["LOCK_STORE_TYPE"] == "redis"
    assert environment["TRACKER_STORE_URL"].startswith("postgresql://")


def test_mounted_and_copied_paths_exist():
    compose = _compose()
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                continue  # a named volume
            relative = (DEPLOY / source).resolve().relative_to(ROOT).as_posix()
            if relative in BUILT_BY_MAKE or relative == "deploy/tls":
                continue
            assert (ROOT / relative).exists(), f"{volume} mounts a missing path"
    for source in re.findall(r"^COPY (\S+)", (DEPLOY / "Dockerfile.actions").read_text(), re.MULTILINE):
        assert (ROOT / source).exists(), source


def test_nginx_keeps_socket_io_sticky_and_the_api_private():
    conf = (DEPLOY / "nginx.conf").read_text()
    assert "ip_hash;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "location /conversations/ { return 404; }" in conf
