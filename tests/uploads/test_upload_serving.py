"""How stored files are served: only safe images inline; pages and SVG never as themselves.

A server that accepts any type (``RELAYDESK_UPLOAD_ALLOWED_TYPES=*/*``) still never hands a
browser an uploaded web page or SVG to run on relaydesk's origin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import Api, Server, new_app
from tests.uploads.test_uploads import PNG, upload

HTML = b"<!doctype html><html><body><script>window.top.__xss = 1</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(2)</script></svg>"
)
XHTML = b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>alert(3)</script></html>'


@pytest.fixture
def anything_goes(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """An app on a server that accepts uploads of every type."""
    srv = Server(
        database_url=database_url,
        workdir=tmp_path,
        env={"RELAYDESK_UPLOAD_ALLOWED_TYPES": "*/*"},
    ).start()
    try:
        yield new_app(srv.url)
    finally:
        srv.stop()


def served(api: Api, name: str, data: bytes, mime: str) -> tuple[dict[str, str], httpx.Response]:
    body = api.ok(upload(api, name, data, mime), 201)
    got = httpx.get(body["url"])
    assert got.status_code == 200 and got.content == data
    return body, got


def assert_never_runs(r: httpx.Response) -> None:
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"].split("; ")
    assert "default-src 'none'" in r.headers["content-security-policy"]


def test_pages_svg_and_xml_are_downloads_that_cannot_run(anything_goes: Api) -> None:
    api = anything_goes
    for name, data, declared, stored in (
        ("page.html", HTML, "text/html", "text/html"),
        ("page.txt", HTML, "text/plain", "text/html"),  # a page under an innocent type
        ("logo.svg", SVG, "image/svg+xml", "image/svg+xml"),
        ("page.xhtml", XHTML, "application/xhtml+xml", "application/xhtml+xml"),
        ("app.js", b"alert(4)", "text/javascript", "text/javascript"),
    ):
        body, got = served(api, name, data, declared)
        assert body["mime_type"] == stored, name
        assert_never_runs(got)


def test_default_types_svg_is_a_download_and_png_inline(api: Api) -> None:
    _, svg = served(api, "logo.svg", SVG, "image/svg+xml")  # image/* admits it by default
    assert_never_runs(svg)
    _, png = served(api, "dot.png", PNG, "image/png")
    assert png.headers["content-disposition"].startswith("inline;")
    assert png.headers["content-type"] == "image/png"
    assert png.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in png.headers["content-security-policy"].split("; ")
    # a plain text file keeps its type, as an attachment
    _, text = served(api, "notes.txt", b"just text", "text/plain")
    assert text.headers["content-disposition"].startswith("attachment;")
    assert text.headers["content-type"].startswith("text/plain")
