"""Debian's nginx with the shipped deploy/nginx.conf in front of one or more Rasa instances.

One way to run the production proxy on this machine, for `make run INSTANCES=n`,
the tests and the benchmark: the shipped file is used as is except for the
values marked `# SITE:` (ports, the upstream's servers, certificate, web root,
this host's origins), replaced by plain text substitution, each exactly once
(`templated`), so a renamed or duplicated site value fails loudly instead of
being skipped. It is wrapped in a minimal main configuration the way the
official nginx image includes it from conf.d/, with an access log that names
the Rasa instance (`$upstream_addr`) that served each request: how the tests
see that socket.io stays sticky and that both instances get work.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Sequence, Set, Tuple

from cma_stack.processes import ROOT, WEB, Service, StartError, port_in_use, spawn, tail

NGINX = Path(shutil.which("nginx") or "/usr/sbin/nginx")
SHIPPED_NGINX_CONF = ROOT / "deploy" / "nginx.conf"
MIME_TYPES = Path("/etc/nginx/mime.types")  # Debian's nginx-common; the official image has the same file
DEMO_SERVER_URL = "http://127.0.0.1:5005"  # what the committed demo pages embed as data-server-url
NGINX_READY_SECONDS = 15

# One line per request: client address, the instance that answered ("-" if none), status, request line.
ACCESS_LOG_FORMAT = "'$remote_addr $upstream_addr $status \"$request\"'"
_ACCESS_LINE = re.compile(r'(?P<address>\S+) (?P<upstream>.+) (?P<status>\d{3}) "')


def templated(conf: str, replacements: Dict[str, str]) -> str:
    """The shipped text with each marked value replaced; each must occur exactly once."""
    for old, new in replacements.items():
        if conf.count(old) != 1:
            raise ValueError(f"deploy/nginx.conf should contain {old!r} exactly once")
        conf = conf.replace(old, new)
    return conf


def site_replacements(
    rasa_ports: Sequence[int],
    http_port: int,
    https_port: int,
    certificate: Path,
    key: Path,
    docroot: Path,
    origins: Sequence[str],
    host: str = "127.0.0.1",
) -> Dict[str, str]:
    """The `# SITE:` values of deploy/nginx.conf for instances on this machine.

    The upstream gets one `server` line per Rasa instance (its `ip_hash` keeps a
    client on one of them); the allow-list's own-host entry becomes `origins`.
    """
    if not rasa_ports or not origins:
        raise ValueError("at least one Rasa port and one origin")
    servers = "\n    ".join(f"server {host}:{port};" for port in rasa_ports)
    allowed = "   1;\n    ".join(f'"{origin}"' for origin in origins)
    return {
        "server rasa:5005;": servers,
        "listen 80;": f"listen {host}:{http_port};",
        "listen 443 ssl;": f"listen {host}:{https_port} ssl;",
        "/etc/nginx/tls/fullchain.pem": str(certificate),
        "/etc/nginx/tls/privkey.pem": str(key),
        "root /usr/share/nginx/html;": f"root {docroot};",
        '"https://chat.riverbend.example"': allowed,
    }


def main_config(workdir: Path, site: Path) -> str:
    """The http-context wrapper: mime types, logs and temp files in `workdir`, then the site file."""
    temp_paths = "\n".join(
        f"    {kind}_temp_path {workdir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        "events {}\n"
        "http {\n"
        f"    include {MIME_TYPES};\n"
        "    default_type application/octet-stream;\n"
        f"    log_format instances {ACCESS_LOG_FORMAT};\n"
        f"    access_log {workdir / 'access.log'} instances;\n"
        f"{temp_paths}\n"
        f"    include {site};\n"
        "}\n"
    )


def copy_demo_site(docroot: Path, server_url: str) -> Path:
    """web/ in `docroot`: the demo pages embedding `server_url`, everything else symlinked to web/."""
    docroot.mkdir(parents=True, exist_ok=True)
    for entry in WEB.iterdir():
        if entry.suffix == ".html":
            page = entry.read_text()
            if DEMO_SERVER_URL not in page:
                raise ValueError(f"{entry.name} no longer embeds {DEMO_SERVER_URL}")
            (docroot / entry.name).write_text(page.replace(DEMO_SERVER_URL, server_url))
        elif not (docroot / entry.name).exists():
            (docroot / entry.name).symlink_to(entry)  # widget/, node_modules/, site.css ...
    return docroot


def self_signed_certificate(directory: Path, days: int = 2) -> Tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost (browsers warn about it: for this machine only)."""
    directory.mkdir(parents=True, exist_ok=True)
    certificate, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
            "-days",
            str(days),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    key.chmod(0o644)  # nginx reads it as root, but the file is a throwaway one for loopback
    return certificate, key


@dataclass
class Proxy:
    """A running nginx: the page origin students use, its ports and logs, and the process."""

    origin: str  # https://127.0.0.1:<https_port>, first entry of the allow-list
    http_port: int  # plain HTTP, redirects to HTTPS
    https_port: int
    workdir: Path
    service: Service

    @property
    def error_log(self) -> Path:
        return self.workdir / "error.log"

    @property
    def access_log(self) -> Path:
        return self.workdir / "access.log"

    def upstreams(self) -> Dict[str, Set[str]]:
        """Client address -> the Rasa instances ("127.0.0.1:port") that answered its proxied requests."""
        seen: Dict[str, Set[str]] = defaultdict(set)
        if self.access_log.exists():
            for line in self.access_log.read_text(errors="replace").splitlines():
                parsed = _ACCESS_LINE.match(line)
                if parsed and parsed["upstream"] != "-":
                    # A failed try is listed before the instance that answered: "a:1, b:2".
                    seen[parsed["address"]].add(parsed["upstream"].split(", ")[-1])
        return dict(seen)

    def running(self) -> bool:
        return self.service.running()

    def stop(self) -> None:
        self.service.stop(10)


def start_nginx(
    workdir: Path,
    rasa_ports: Sequence[int],
    https_port: int,
    http_port: int,
    certificate: Optional[Path] = None,
    key: Optional[Path] = None,
    docroot: Optional[Path] = None,
    extra_origins: Sequence[str] = (),
    host: str = "127.0.0.1",
) -> Proxy:
    """nginx with the shipped configuration on https://`host`:`https_port`, in front of `rasa_ports`; ready.

    Serves a copy of web/ whose demo pages talk to this origin (unless `docroot`
    is given). Without `certificate` and `key`, a throwaway self-signed one.
    """
    if not NGINX.exists():
        raise StartError(f"nginx is missing at {NGINX}: `make run INSTANCES=2` installs it (apt-get install nginx)")
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)  # nginx's workers run as an unprivileged user when started by root
    origin = f"https://{host}:{https_port}"
    if certificate is None or key is None:
        certificate, key = self_signed_certificate(workdir / "tls")
    docroot = docroot or copy_demo_site(workdir / "web", origin)
    origins = [origin, *(o for o in extra_origins if o != origin)]
    site = workdir / "chat.conf"
    site.write_text(
        templated(
            SHIPPED_NGINX_CONF.read_text(),
            site_replacements(rasa_ports, http_port, https_port, certificate, key, docroot, origins, host),
        )
    )
    (workdir / "nginx.conf").write_text(main_config(workdir, site))
    error_log = workdir / "error.log"
    args = [
        NGINX,
        "-p",
        workdir,
        "-c",
        workdir / "nginx.conf",
        "-e",
        error_log,
        "-g",
        f"daemon off; pid {workdir / 'nginx.pid'}; error_log {error_log};",
    ]
    service = spawn("nginx", args, origin, f"{origin}/index.html", workdir / "stderr.log")
    proxy = Proxy(origin, http_port, https_port, workdir, service)
    try:
        service.wait_ready(NGINX_READY_SECONDS, check=lambda: port_in_use(https_port), poll=0.1)
    except StartError as error:
        service.stop(5)
        raise StartError(f"{error}\n{tail(error_log, 20)}") from None
    return proxy
