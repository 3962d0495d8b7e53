"""The pinned widget build in web/dist/: what a web team embeds is what the sources build.

File checks: the manifest's integrity values are the files' sha384, the demo page embeds the
file with that hash, the script pins its stylesheet's hash. The rebuild check runs
`npm run build` from web/node_modules (offline) into a temporary directory and needs the
result byte for byte identical to the committed files, so web/dist/ cannot drift from
widget/ or from the lockfile. The browser tests (tests/browser/test_widget.py) load the file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parent.parent / "web"
DIST = WEB / "dist"
PACKAGE = json.loads((WEB / "package.json").read_text())
VERSION = PACKAGE["version"]
JS = f"rasa-chat-{VERSION}.min.js"
CSS = f"rasa-chat-{VERSION}.min.css"
BUNDLE_PAGE = WEB / "advising.html"  # the demo page that embeds the pinned build


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def manifest() -> dict:
    return json.loads((DIST / "manifest.json").read_text())


class Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))


def scripts_of(page: Path) -> list[dict]:
    parser = Scripts()
    parser.feed(page.read_text())
    return parser.scripts


def test_manifest_integrity_values_are_the_files_hashes() -> None:
    listed = manifest()
    assert listed["version"] == VERSION
    assert set(listed["files"]) == {JS, CSS}
    for name, integrity in listed["files"].items():
        assert integrity == sri((DIST / name).read_bytes()), f"{name}: manifest.json is stale (npm run build)"
    assert listed["bundled"]["socket.io-client"] == PACKAGE["dependencies"]["socket.io-client"]


def test_widget_source_declares_the_package_version() -> None:
    source = (WEB / "widget" / "rasa-chat.js").read_text()
    assert re.search(r'const VERSION = "([^"]+)"', source).group(1) == VERSION
    assert f'"{VERSION}"' in (DIST / JS).read_text()  # RasaChat.version in the build


def test_the_script_pins_its_stylesheet() -> None:
    bundle = (DIST / JS).read_text()
    css_integrity = manifest()["files"][CSS]
    assert f'stylesheet:"{CSS}",stylesheetIntegrity:"{css_integrity}"' in bundle


def test_the_demo_page_embeds_the_pinned_file_with_its_hash() -> None:
    embeds = [s for s in scripts_of(BUNDLE_PAGE) if s.get("src", "").endswith(".min.js")]
    assert len(embeds) == 1, embeds
    (embed,) = embeds
    assert embed["src"] == f"dist/{JS}"
    assert embed["integrity"] == manifest()["files"][JS], "advising.html: copy the hash from web/dist/manifest.json"
    assert embed["crossorigin"] == "anonymous"


def test_the_build_is_pinned_exactly() -> None:
    """Byte-identical rebuilds need the same esbuild: no version range in package.json."""
    assert re.fullmatch(r"\d+\.\d+\.\d+", PACKAGE["devDependencies"]["esbuild"])
    lock = json.loads((WEB / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/esbuild"]["version"] == PACKAGE["devDependencies"]["esbuild"]


@pytest.mark.skipif(
    not (WEB / "node_modules" / "esbuild").is_dir() or not shutil.which("npm"),
    reason="web/node_modules has no esbuild (make install runs npm ci)",
)
def test_rebuilding_gives_the_committed_files(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    run = subprocess.run(
        ["npm", "run", "--silent", "build", "--", "--outdir", str(out)],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    built = sorted(path.name for path in out.iterdir())
    assert built == sorted([JS, CSS, "manifest.json"])
    for name in built:
        assert (out / name).read_bytes() == (DIST / name).read_bytes(), (
            f"web/dist/{name} differs from a fresh build: run `npm run build` in web/ and commit web/dist/"
        )
