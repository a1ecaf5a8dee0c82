"""The knowledge base through HTTP: articles, import, ranked search, limits, isolation."""

from __future__ import annotations

from typing import Any

from tests.support import Api, assert_error, new_app

PASSWORD_RESET = {
    "title": "Resetting your password",
    "body": "Open Settings, choose Security and press Reset password. A link is e-mailed to "
    "you; it works for one hour.",
    "url": "https://help.example.com/password",
    "tags": ["account", "security"],
}
SHIPPING = {
    "title": "Shipping times",
    "body": "Orders ship within two days. Tracking numbers arrive by e-mail; international "
    "parcels take up to ten days. Your password is never needed to track a parcel.",
    "url": "https://help.example.com/shipping",
    "tags": ["orders"],
}
REFUNDS = {
    "title": "Refunds",
    "body": "Refunds are paid back to the original card within five working days.",
}


def article(api: Api, fields: dict[str, Any]) -> dict[str, Any]:
    return api.ok(api.post("/api/v1/knowledge/articles", fields), 201)  # type: ignore[no-any-return]


def search(api: Api, q: str, **params: Any) -> list[dict[str, Any]]:
    found = api.ok(api.get("/api/v1/knowledge/search", params={"q": q, **params}))
    return found["items"]  # type: ignore[no-any-return]


def test_articles_are_created_read_listed_changed_and_deleted(api: Api) -> None:
    created = article(api, PASSWORD_RESET)
    assert created["id"].startswith("kb_")
    assert {k: created[k] for k in PASSWORD_RESET} == PASSWORD_RESET
    assert created["language"] == "en" and created["created_at"] and created["updated_at"]
    assert api.ok(api.get(f"/api/v1/knowledge/articles/{created['id']}")) == created
    others = [article(api, SHIPPING), article(api, REFUNDS)]

    page = api.ok(api.get("/api/v1/knowledge/articles", params={"limit": 2}))
    assert [a["id"] for a in page["items"]] == [others[1]["id"], others[0]["id"]]  # newest first
    rest = api.ok(api.get("/api/v1/knowledge/articles", params={"cursor": page["next_cursor"]}))
    assert [a["id"] for a in rest["items"]] == [created["id"]] and rest["next_cursor"] is None
    tagged = api.ok(api.get("/api/v1/knowledge/articles", params={"tag": "orders"}))["items"]
    assert [a["id"] for a in tagged] == [others[0]["id"]]

    changed = api.ok(
        api.patch(
            f"/api/v1/knowledge/articles/{created['id']}",
            {"title": "Password reset", "url": None, "tags": ["account"]},
        )
    )
    assert changed["title"] == "Password reset" and changed["url"] is None
    assert changed["body"] == PASSWORD_RESET["body"] and changed["tags"] == ["account"]
    assert changed["updated_at"] >= created["updated_at"]
    # the search index follows the change: the new title is found, the old words are gone
    assert [h["id"] for h in search(api, "reset")][:1] == [created["id"]]

    assert api.delete(f"/api/v1/knowledge/articles/{created['id']}").status_code == 204
    assert_error(api.get(f"/api/v1/knowledge/articles/{created['id']}"), 404)
    assert created["id"] not in [h["id"] for h in search(api, "password reset")]
    audit = api.ok(api.get("/api/v1/audit-log", params={"target_type": "article"}))["items"]
    assert {"article.create", "article.update", "article.delete"} <= {e["action"] for e in audit}


def test_search_ranks_the_best_match_first_and_stems_words(api: Api) -> None:
    reset = article(api, PASSWORD_RESET)
    shipping = article(api, SHIPPING)
    article(api, REFUNDS)
    hits = search(api, "How do I reset my password?")
    # both mention passwords; the one whose title and body are about resetting one wins
    assert [h["id"] for h in hits] == [reset["id"], shipping["id"]]
    assert hits[0]["score"] > hits[1]["score"] > 0
    assert hits[0]["title"] == PASSWORD_RESET["title"] and hits[0]["url"] == PASSWORD_RESET["url"]
    assert "Reset password" in hits[0]["snippet"]
    # stemming: "parcels" in the text is found by "parcel", "shipped" by "ship"
    assert [h["id"] for h in search(api, "parcel shipped")] == [shipping["id"]]
    assert search(api, "nothing matches zebra") == []
    assert search(api, "?!*") == []  # no words: no results, not an error
    assert len(search(api, "password", limit=1)) == 1


def test_another_apps_articles_never_appear(api: Api) -> None:
    mine = article(api, PASSWORD_RESET)
    other = new_app(api.base_url)
    theirs = article(other, {**PASSWORD_RESET, "title": "Their password page"})
    assert [h["id"] for h in search(api, "password")] == [mine["id"]]
    assert [h["id"] for h in search(other, "password")] == [theirs["id"]]
    assert_error(other.get(f"/api/v1/knowledge/articles/{mine['id']}"), 404)
    assert_error(other.patch(f"/api/v1/knowledge/articles/{mine['id']}", {"title": "x"}), 404)
    assert_error(other.delete(f"/api/v1/knowledge/articles/{mine['id']}"), 404)
    assert (
        api.ok(api.get(f"/api/v1/knowledge/articles/{mine['id']}"))["title"]
        == (PASSWORD_RESET["title"])
    )


def test_import_markdown_and_csv(api: Api) -> None:
    markdown = (
        b"---\nurl: https://help.example.com/returns\ntags: orders; returns\n---\n"
        b"# Returning an item\n\nPrint the return label from your order page.\n"
    )
    csv = (
        b"title,body,url\n"
        b'Opening hours,"We answer Monday to Friday, 9 to 17.",https://help.example.com/hours\n'
        b"Gift cards,Gift cards never expire.,\n"
    )
    files = [
        ("files", ("returns.md", markdown, "text/markdown")),
        ("files", ("faq.csv", csv, "text/csv")),
    ]
    result = api.ok(api.post("/api/v1/knowledge/import", files=files), 201)
    assert result["imported"] == 3
    by_title = {a["title"]: a for a in result["items"]}
    returns = by_title["Returning an item"]
    assert returns["body"] == "Print the return label from your order page."
    assert returns["url"] == "https://help.example.com/returns"
    assert returns["tags"] == ["orders", "returns"]
    assert by_title["Opening hours"]["body"] == "We answer Monday to Friday, 9 to 17."
    assert by_title["Gift cards"]["url"] is None
    assert [h["title"] for h in search(api, "return label")][:1] == ["Returning an item"]

    # a bad file refuses the whole import: nothing of it is stored
    bad = [
        ("files", ("ok.md", b"# Fine\n\nA fine article.", "text/markdown")),
        ("files", ("broken.csv", b"name,text\nx,y\n", "text/csv")),
    ]
    assert_error(api.post("/api/v1/knowledge/import", files=bad), 422, "bad_import")
    image = [("files", ("logo.png", b"\x89PNG\r\n", "image/png"))]
    assert_error(api.post("/api/v1/knowledge/import", files=image), 415, "unsupported_import")
    listed = api.ok(api.get("/api/v1/knowledge/articles"))["items"]
    assert sorted(a["title"] for a in listed) == sorted(by_title)


def test_bad_input_is_refused_and_changes_nothing(api: Api) -> None:
    assert_error(api.post("/api/v1/knowledge/articles", {"title": "x"}), 422)
    assert_error(api.post("/api/v1/knowledge/articles", {"title": " ", "body": "b"}), 422)
    assert_error(api.post("/api/v1/knowledge/articles", {**REFUNDS, "tags": "refunds"}), 422)
    assert_error(api.post("/api/v1/knowledge/articles", {**REFUNDS, "extra": 1}), 422)
    big = {"title": "Big", "body": "word " * (200 * 1024 // 5 + 1)}
    assert_error(api.post("/api/v1/knowledge/articles", big), 413, "article_too_large")
    just = {"title": "Just fits", "body": "x" * (200 * 1024)}
    kept = article(api, just)
    assert_error(
        api.patch(f"/api/v1/knowledge/articles/{kept['id']}", {"body": "y" * (200 * 1024 + 1)}),
        413,
    )
    big_md = [("files", ("big.md", b"# Big\n\n" + b"z" * (200 * 1024 + 1), "text/markdown"))]
    assert_error(api.post("/api/v1/knowledge/import", files=big_md), 413)
    assert_error(api.get("/api/v1/knowledge/search"), 422)
    assert_error(api.get("/api/v1/knowledge/search", params={"q": "x", "limit": 0}), 422)
    assert_error(api.get("/api/v1/knowledge/articles", params={"cursor": "garbage"}), 400)
    listed = api.ok(api.get("/api/v1/knowledge/articles"))["items"]
    assert [a["id"] for a in listed] == [kept["id"]]
    assert listed[0]["body"] == just["body"]


def test_agents_read_and_search_but_only_admins_write(api: Api) -> None:
    api.agent("kim@example.com", name="Kim", password="kim-password-1", role="agent")
    kim = api.login("kim@example.com", "kim-password-1")
    made = article(api, REFUNDS)
    assert [h["id"] for h in search(kim, "refund card")] == [made["id"]]
    assert kim.ok(kim.get(f"/api/v1/knowledge/articles/{made['id']}"))["title"] == "Refunds"
    assert_error(kim.post("/api/v1/knowledge/articles", SHIPPING), 403)
    assert_error(kim.delete(f"/api/v1/knowledge/articles/{made['id']}"), 403)
