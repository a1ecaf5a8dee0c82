"""Uploads through HTTP: store, signed and token access, limits, use as an attachment."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.support import Api, assert_error, new_app

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def upload(api: Api, name: str, data: bytes, mime: str) -> httpx.Response:
    return api.http.post("/api/v1/uploads", files={"file": (name, data, mime)})


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def unsigned(url: str) -> str:
    return urlsplit(url).path


def contact_api(api: Api, external_id: str) -> Api:
    body = {"app_id": api.app_id, "external_id": external_id}
    session = api.ok(httpx.post(f"{api.base_url}/api/v1/widget/session", json=body))
    return api.as_token(session["token"])


def test_upload_and_fetch_signed(api: Api) -> None:
    body = api.ok(upload(api, "../../etc/report 1.pdf", b"%PDF-1.4 hello", "application/pdf"), 201)
    assert body["name"] == "report 1.pdf"
    assert body["size"] == len(b"%PDF-1.4 hello")
    assert body["mime_type"] == "application/pdf"
    assert body["url"].startswith(api.base_url + "/api/v1/uploads/")
    query = parse_qs(urlsplit(body["url"]).query)
    assert set(query) == {"exp", "sig"}

    anyone = httpx.get(body["url"])  # no token: the signature is the permission
    assert anyone.status_code == 200
    assert anyone.content == b"%PDF-1.4 hello"
    assert anyone.headers["content-type"].startswith("application/pdf")
    assert anyone.headers["x-content-type-options"] == "nosniff"
    assert anyone.headers["content-disposition"].startswith("attachment;")


def test_image_is_inline(api: Api) -> None:
    body = api.ok(upload(api, "dot.png", PNG, "image/png"), 201)
    got = httpx.get(body["url"])
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-disposition"].startswith("inline;")
    assert got.headers["content-type"] == "image/png"


def test_expired_and_tampered_signatures_are_refused(api: Api) -> None:
    body = api.ok(upload(api, "notes.txt", b"some notes", "text/plain"), 201)
    parts = urlsplit(body["url"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    base = f"{api.base_url}{parts.path}"

    tampered = {**query, "sig": ("0" if query["sig"][0] != "0" else "1") + query["sig"][1:]}
    assert_error(httpx.get(f"{base}?{urlencode(tampered)}"), 403, "invalid_signature")
    later = {**query, "exp": str(int(query["exp"]) + 3600)}  # a longer life is not ours to give
    assert_error(httpx.get(f"{base}?{urlencode(later)}"), 403, "invalid_signature")
    other = api.ok(upload(api, "other.txt", b"other", "text/plain"), 201)
    other_path = urlsplit(other["url"]).path
    assert_error(httpx.get(f"{api.base_url}{other_path}?{parts.query}"), 403, "invalid_signature")
    assert_error(httpx.get(base), 401)  # neither signature nor token


def test_expired_signature(server_with_short_ttl: str) -> None:
    api = new_app(server_with_short_ttl)
    body = api.ok(upload(api, "notes.txt", b"short-lived", "text/plain"), 201)
    assert httpx.get(body["url"]).status_code == 200
    time.sleep(max(0.0, body["expires_at"] - time.time()) + 1.1)  # unix seconds
    assert_error(httpx.get(body["url"]), 403, "url_expired")
    # the app's own key may still read it without a signature
    assert api.get(unsigned(body["url"])).status_code == 200


def test_token_access_without_signature(api: Api) -> None:
    agent = api.agent(password="secret-password-1")
    as_agent = api.login(agent["email"], "secret-password-1")
    ann = contact_api(api, "ann")
    body = ann.ok(upload(ann, "ann.txt", b"from ann", "text/plain"), 201)
    path = unsigned(body["url"])

    assert api.get(path).status_code == 200
    assert as_agent.get(path).content == b"from ann"
    assert ann.get(path).status_code == 200  # the uploading contact, bearer token
    assert httpx.get(f"{api.base_url}{path}", params={"token": ann.token}).status_code == 200
    bob = contact_api(api, "bob")
    assert_error(bob.get(path), 404)  # another contact of the same app
    # staff uploads are not readable by contacts without the signed URL
    staff_file = api.ok(upload(api, "staff.txt", b"internal", "text/plain"), 201)
    assert_error(ann.get(unsigned(staff_file["url"])), 404)
    assert httpx.get(staff_file["url"]).status_code == 200


def test_other_app_gets_404(api: Api) -> None:
    body = api.ok(upload(api, "secret.txt", b"tenant a", "text/plain"), 201)
    other = new_app(api.base_url, "other app")
    assert_error(other.get(unsigned(body["url"])), 404)
    # a wrong name in the path is not the file either
    assert_error(api.get(unsigned(body["url"]).rsplit("/", 1)[0] + "/else.txt"), 404)
    assert_error(api.get("/api/v1/uploads/upl_missing/x.txt"), 404)


def test_size_limit_413(api: Api) -> None:
    limit = 10 * 1024 * 1024  # the default upload_max_bytes
    assert_error(upload(api, "big.txt", b"a" * (limit + 1), "text/plain"), 413)
    assert_error(upload(api, "huge.txt", b"a" * (limit + 200_000), "text/plain"), 413)
    assert api.ok(upload(api, "ok.txt", b"a" * 1000, "text/plain"), 201)["size"] == 1000


def test_type_allow_list_415(api: Api) -> None:
    assert_error(upload(api, "tool.exe", b"MZ\x90\x00", "application/x-msdownload"), 415)
    assert_error(upload(api, "page.html", b"<html><script>1</script>", "text/html"), 415)
    # declared as a harmless type but the bytes are a program or a page
    assert_error(upload(api, "x.txt", b"MZ\x90\x00\x03", "text/plain"), 415)
    assert_error(upload(api, "x.pdf", b"<!DOCTYPE html><p>hi", "application/pdf"), 415)
    # an "image" that is not one
    assert_error(upload(api, "cat.png", b"not really a png", "image/png"), 415)
    # wildcard patterns: image/* admits gif; audio/* admits ogg
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    assert api.ok(upload(api, "a.gif", gif, "image/gif"), 201)["mime_type"] == "image/gif"
    assert api.ok(upload(api, "a.ogg", b"OggS\x00", "audio/ogg"), 201)["mime_type"] == "audio/ogg"
    # no declared type: guessed from the name
    assert api.ok(upload(api, "r.csv", b"a,b\n", ""), 201)["mime_type"] == "text/csv"


def test_upload_needs_a_token(api: Api) -> None:
    assert_error(httpx.post(f"{api.base_url}/api/v1/uploads", files={"file": ("a.txt", b"x")}), 401)
    assert_error(api.http.post("/api/v1/uploads", files={"other": ("a.txt", b"x")}), 422)


def test_attachment_message_with_uploaded_url(api: Api) -> None:
    ann = contact_api(api, "ann-attach")
    conversation = ann.ok(ann.post("/api/v1/conversations", {}), 201)
    file = ann.ok(upload(ann, "photo.png", PNG, "image/png"), 201)
    attachment = {k: file[k] for k in ("url", "name", "size", "mime_type")}
    message = ann.ok(
        ann.post(
            f"/api/v1/conversations/{conversation['id']}/messages", {"attachments": [attachment]}
        ),
        201,
    )
    assert message["attachments"] == [attachment]
    stored = api.messages(conversation["id"])[-1]
    assert stored["attachments"][0]["url"] == file["url"]
    assert httpx.get(stored["attachments"][0]["url"]).content == PNG
