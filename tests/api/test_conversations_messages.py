"""Contacts, widget sessions, conversations and messages."""

from __future__ import annotations

import hashlib
import hmac

import httpx

from tests.support import Api, Server, assert_error, new_app


def test_create_conversation_upserts_contact_and_stores_first_message(api: Api) -> None:
    conv = api.conversation(
        "cust-1",
        channel="WhatsApp",
        title="Order help",
        metadata={"order": 42},
        message={"text": "Where is my order?", "client_message_id": "m-1"},
    )
    # nobody can take it (no agents, no default agent): it waits in the queue
    assert conv["status"] == "waiting" and conv["assignee"] is None
    assert [t["reason"] for t in api.trail(conv["id"])] == ["queued"]
    assert conv["channel"] == "whatsapp" and conv["title"] == "Order help"
    assert conv["metadata"] == {"order": 42}
    assert conv["contact"]["external_id"] == "cust-1"
    msgs = api.messages(conv["id"])
    assert [(m["sender"]["type"], m["text"]) for m in msgs] == [("contact", "Where is my order?")]
    assert msgs[0]["sender"]["id"] == conv["contact"]["id"]
    # the same external id is the same contact, updated
    again = api.ok(
        api.post(
            "/api/v1/conversations",
            {"contact": {"external_id": "cust-1", "name": "Kim", "language": "de_de"}},
        ),
        201,
    )
    assert again["contact"]["id"] == conv["contact"]["id"]
    contact = api.ok(api.get(f"/api/v1/contacts/{conv['contact']['id']}"))
    assert contact["name"] == "Kim" and contact["language"] == "de-DE"
    found = api.ok(api.get("/api/v1/contacts", params={"external_id": "cust-1"}))["items"]
    assert [c["id"] for c in found] == [contact["id"]]


def test_conversation_bad_input_is_refused_and_stores_nothing(api: Api) -> None:
    bad_bodies = [
        {},  # no contact
        {"contact": {}},
        {"contact": {"external_id": ""}},
        {"contact": {"external_id": "x", "email": "nope"}},
        {"contact": {"external_id": "x"}, "channel": "Not a channel!"},
        {"contact": {"external_id": "x"}, "metadata": "not an object"},
        {"contact": {"external_id": "x"}, "assign_to": {"type": "robot", "id": "1"}},
        {"contact": {"external_id": "x"}, "message": {}},
        {"contact": {"external_id": "x"}, "message": {"text": "x" * 10_001}},
        {"contact": {"external_id": "x"}, "message": {"location": {"lat": 91, "lon": 0}}},
        {"contact": {"external_id": "x"}, "surprise": True},
    ]
    for body in bad_bodies:
        r = api.post("/api/v1/conversations", body)
        assert r.status_code == 422, (body, r.text)
        assert_error(r, 422)
    assert api.ok(api.get("/api/v1/conversations"))["items"] == []
    assert api.ok(api.get("/api/v1/contacts"))["items"] == []


def test_messages_all_kinds_order_after_and_idempotency(api: Api) -> None:
    agent = api.agent(name="Ann")
    conv = api.conversation()
    cid = conv["id"]
    m1 = api.say(cid, "hi")
    m2 = api.ok(
        api.post(
            f"/api/v1/conversations/{cid}/messages",
            {
                "sender": {"type": "contact"},
                "attachments": [
                    {
                        "url": "https://files.example.com/a.png",
                        "name": "a.png",
                        "size": 10,
                        "mime_type": "image/png",
                    }
                ],
            },
        ),
        201,
    )
    m3 = api.ok(
        api.post(
            f"/api/v1/conversations/{cid}/messages",
            {
                "sender": {"type": "contact"},
                "location": {"lat": 52.52, "lon": 13.4},
            },
        ),
        201,
    )
    m4 = api.ok(
        api.post(
            f"/api/v1/conversations/{cid}/messages",
            {
                "sender": {"type": "agent", "id": agent["id"]},
                "text": "hello",
                "metadata": {
                    "contentType": "300",
                    "templateId": "6",
                    "payload": [{"title": "Yes", "message": "yes"}],
                },
                "client_message_id": "agent-1",
            },
        ),
        201,
    )
    assert m2["attachments"][0]["mime_type"] == "image/png"
    assert m3["location"] == {"lat": 52.52, "lon": 13.4}
    # each message carries its sender's display name as it was when sent
    assert m4["sender"] == {"type": "agent", "id": agent["id"], "name": "Ann"}
    assert m1["sender"]["name"] is None  # this contact has no name
    api.ok(api.patch(f"/api/v1/agents/{agent['id']}", {"name": "Ann B."}))
    assert api.messages(cid)[3]["sender"]["name"] == "Ann"  # history keeps the old name
    all_ids = [m["id"] for m in api.messages(cid)]
    assert all_ids == [m1["id"], m2["id"], m3["id"], m4["id"]]
    after = api.ok(api.get(f"/api/v1/conversations/{cid}/messages", params={"after": m2["id"]}))[
        "items"
    ]
    assert [m["id"] for m in after] == [m3["id"], m4["id"]]
    assert (
        api.ok(api.get(f"/api/v1/conversations/{cid}/messages", params={"limit": 2}))["items"][1][
            "id"
        ]
        == m2["id"]
    )
    # the same client_message_id: 200 and the first message, nothing new stored
    again = api.post(
        f"/api/v1/conversations/{cid}/messages",
        {
            "sender": {"type": "agent", "id": agent["id"]},
            "text": "different",
            "client_message_id": "agent-1",
        },
    )
    assert (
        again.status_code == 200
        and again.json()["id"] == m4["id"]
        and again.json()["text"] == "hello"
    )
    assert len(api.messages(cid)) == 4
    # the agent became a participant
    assert {"type": "agent", "id": agent["id"]} in api.ok(api.get(f"/api/v1/conversations/{cid}"))[
        "participants"
    ]


def test_message_bad_input(api: Api, server: Server) -> None:
    cid = api.conversation()["id"]
    url = f"/api/v1/conversations/{cid}/messages"
    assert_error(api.post(url, {"text": "no sender with an api key"}), 422, "sender_required")
    assert_error(api.post(url, {"sender": {"type": "contact"}}), 422, "empty_message")
    assert_error(api.post(url, {"sender": {"type": "contact"}, "text": 5}), 422)
    assert_error(api.post(url, {"sender": {"type": "agent"}, "text": "x"}), 422, "invalid_sender")
    assert_error(
        api.post(url, {"sender": {"type": "agent", "id": "agt_unknown"}, "text": "x"}),
        422,
        "invalid_sender",
    )
    assert_error(api.post(url, {"sender": {"type": "bot"}, "text": "x"}), 422)
    assert_error(
        api.post(url, {"sender": {"type": "contact"}, "text": "x" * 10_001}), 422, "text_too_long"
    )
    assert_error(
        api.post(url, {"sender": {"type": "contact"}, "metadata": {"k": "v" * 70_000}}),
        422,
        "metadata_too_large",
    )
    assert_error(
        api.post(
            url,
            {
                "sender": {"type": "contact"},
                "attachments": [
                    {"url": "not a url", "name": "a", "size": 1, "mime_type": "image/png"}
                ],
            },
        ),
        422,
    )
    assert_error(
        api.post(url, {"sender": {"type": "contact"}, "location": {"lat": 0, "lon": 200}}), 422
    )
    assert_error(
        api.http.post(url, content=b"{not json", headers={"content-type": "application/json"}),
        400,
        "malformed_json",
    )
    big = b'{"sender": {"type": "contact"}, "text": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    assert_error(
        api.http.post(url, content=big, headers={"content-type": "application/json"}),
        413,
        "payload_too_large",
    )
    assert_error(
        api.post(
            "/api/v1/conversations/conv_nope/messages", {"sender": {"type": "contact"}, "text": "x"}
        ),
        404,
    )
    assert_error(api.get(url, params={"after": "msg_nope"}), 404)
    assert_error(api.get(url, params={"limit": 0}), 422)
    assert api.messages(cid) == []


def test_list_filters_and_cursor_pagination(api: Api) -> None:
    agent = api.agent(name="A")
    team = api.ok(api.post("/api/v1/teams", {"name": "T", "member_ids": [agent["id"]]}), 201)
    made = [api.conversation(channel="web" if i % 2 else "email") for i in range(7)]
    api.ok(api.patch(f"/api/v1/conversations/{made[0]['id']}", {"status": "resolved"}))
    explicit = api.conversation(assign_to={"type": "agent", "id": agent["id"]})
    newest_first = [c["id"] for c in reversed([*made, explicit])]
    pages, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.ok(api.get("/api/v1/conversations", params=params))
        pages.append([c["id"] for c in page["items"]])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [i for p in pages for i in p] == newest_first
    assert [len(p) for p in pages] == [3, 3, 2]
    emails = api.ok(api.get("/api/v1/conversations", params={"channel": "email"}))["items"]
    assert {c["channel"] for c in emails} == {"email"} and len(emails) == 4
    resolved = api.ok(api.get("/api/v1/conversations", params={"status": "resolved"}))["items"]
    assert [c["id"] for c in resolved] == [made[0]["id"]]
    mine = api.ok(
        api.get(
            "/api/v1/conversations", params={"assignee_type": "agent", "assignee_id": agent["id"]}
        )
    )["items"]
    assert [c["id"] for c in mine] == [explicit["id"]]
    assert api.ok(api.get("/api/v1/conversations", params={"team_id": team["id"]}))["items"] == []
    # nobody is online, so every conversation but the explicit one waits unassigned
    unassigned = api.ok(
        api.get("/api/v1/conversations", params={"assignee_type": "none", "limit": 100})
    )
    assert {c["id"] for c in unassigned["items"]} == {c["id"] for c in made}
    assert_error(
        api.get("/api/v1/conversations", params={"cursor": "garbage!"}), 400, "invalid_cursor"
    )
    assert_error(api.get("/api/v1/conversations", params={"status": "closed"}), 422)
    assert_error(api.get("/api/v1/conversations", params={"limit": 1000}), 422)


def test_status_changes_and_title(api: Api) -> None:
    cid = api.conversation()["id"]
    r = api.ok(api.patch(f"/api/v1/conversations/{cid}", {"status": "resolved", "title": "Done"}))
    assert r["status"] == "resolved" and r["title"] == "Done"
    # reopened with nobody to take it (no agents): back in the queue, not open and unassigned
    reopened = api.ok(api.patch(f"/api/v1/conversations/{cid}", {"status": "open"}))
    assert (reopened["status"], reopened["assignee"]) == ("waiting", None)
    assert api.ok(api.patch(f"/api/v1/conversations/{cid}", {"status": "spam"}))["status"] == "spam"
    assert_error(api.patch(f"/api/v1/conversations/{cid}", {"status": "waiting"}), 422)
    assert_error(api.patch(f"/api/v1/conversations/{cid}", {"status": "gone"}), 422)
    assert api.ok(api.get(f"/api/v1/conversations/{cid}"))["status"] == "spam"


def test_widget_session_contact_sees_only_own_conversations(api: Api, server: Server) -> None:
    anon = httpx.Client(base_url=server.url)
    s = anon.post(
        "/api/v1/widget/session",
        json={"app_id": api.app_id, "external_id": "visitor-1", "name": "Vi", "language": "es"},
    )
    assert s.status_code == 200, s.text
    contact = api.as_token(s.json()["token"])
    assert s.json()["contact"]["language"] == "es"
    mine = contact.ok(contact.post("/api/v1/conversations", {"message": {"text": "hola"}}), 201)
    assert mine["contact"]["external_id"] == "visitor-1"
    assert contact.messages(mine["id"])[0]["sender"]["type"] == "contact"
    contact.ok(
        contact.post(f"/api/v1/conversations/{mine['id']}/messages", {"text": "¿hay alguien?"}), 201
    )
    other = api.conversation("someone-else", message={"text": "private"})
    assert [c["id"] for c in contact.ok(contact.get("/api/v1/conversations"))["items"]] == [
        mine["id"]
    ]
    assert_error(contact.get(f"/api/v1/conversations/{other['id']}"), 404)
    assert_error(contact.get(f"/api/v1/conversations/{other['id']}/messages"), 404)
    assert_error(contact.post(f"/api/v1/conversations/{other['id']}/messages", {"text": "x"}), 404)
    assert_error(contact.get(f"/api/v1/contacts/{other['contact']['id']}"), 404)
    assert_error(contact.get("/api/v1/agents"), 403)
    assert_error(contact.patch(f"/api/v1/conversations/{mine['id']}", {"status": "resolved"}), 403)
    assert_error(
        contact.post(
            f"/api/v1/conversations/{mine['id']}/messages",
            {"sender": {"type": "agent", "id": "x"}, "text": "x"},
        ),
        422,
    )
    # updateUser / updateUserLanguage from the widget
    me = contact.ok(
        contact.patch(
            f"/api/v1/contacts/{s.json()['contact']['id']}",
            {"language": "pt-br", "name": "Vitória"},
        )
    )
    assert me["language"] == "pt-BR" and me["name"] == "Vitória"
    assert_error(
        anon.post("/api/v1/widget/session", json={"app_id": "app_unknown", "external_id": "v"}), 404
    )
    assert_error(anon.post("/api/v1/widget/session", json={"app_id": ""}), 422)


def test_widget_identity_verification_with_user_hash(api: Api, server: Server) -> None:
    secret = "s3cret-verification-key"
    api.ok(api.patch("/api/v1/app", {"require_user_hash": True, "verification_secret": secret}))
    anon = httpx.Client(base_url=server.url)
    good = hmac.new(secret.encode(), b"user-7", hashlib.sha256).hexdigest()
    body = {"app_id": api.app_id, "external_id": "user-7"}
    assert_error(anon.post("/api/v1/widget/session", json=body), 401, "invalid_user_hash")
    assert_error(
        anon.post("/api/v1/widget/session", json={**body, "user_hash": "0" * 64}),
        401,
        "invalid_user_hash",
    )
    wrong_user = hmac.new(secret.encode(), b"user-8", hashlib.sha256).hexdigest()
    assert_error(anon.post("/api/v1/widget/session", json={**body, "user_hash": wrong_user}), 401)
    ok = anon.post("/api/v1/widget/session", json={**body, "user_hash": good})
    assert ok.status_code == 200 and ok.json()["token"].startswith("rdc_")
    # the secret is never shown back
    app = api.ok(api.get("/api/v1/app"))
    assert "verification_secret" not in app and app["has_verification_secret"] is True


def test_contact_sees_no_internals_of_its_conversation(api: Api, server: Server) -> None:
    agent = api.agent(name="Ann", status="online")
    s = httpx.post(
        f"{server.url}/api/v1/widget/session", json={"app_id": api.app_id, "external_id": "v-9"}
    )
    contact = api.as_token(s.json()["token"])
    conv = contact.ok(contact.post("/api/v1/conversations", {"message": {"text": "hi"}}), 201)
    api.ok(api.patch(f"/api/v1/conversations/{conv['id']}", {"title": "VIP"}))
    staff_view = api.ok(api.get(f"/api/v1/conversations/{conv['id']}"))
    assert staff_view["assignee"] == {"type": "agent", "id": agent["id"]}
    assert staff_view["participants"] == [{"type": "agent", "id": agent["id"]}]
    for view in (
        conv,
        contact.ok(contact.get(f"/api/v1/conversations/{conv['id']}")),
        contact.ok(contact.get("/api/v1/conversations"))["items"][0],
    ):
        assert view["assignee"] == {"type": "agent", "id": None}
        assert view["participants"] == [] and view["metadata"] == {} and view["team_id"] is None


def test_search_finds_contacts_titles_and_message_text(api: Api, server: Server) -> None:
    def found(**params: str) -> set[str]:
        page = api.ok(api.get("/api/v1/conversations", params={"limit": 100, **params}))
        return {c["title"] for c in page["items"]}

    kim = api.ok(
        api.post(
            "/api/v1/conversations",
            {
                "contact": {
                    "external_id": "crm-7781",
                    "name": "Kim Novak",
                    "email": "kim@films.example",
                },
                "title": "refund",
                "message": {"text": "My order #1042 never arrived"},
            },
        ),
        201,
    )
    api.ok(
        api.post(
            "/api/v1/conversations",
            {
                "contact": {"external_id": "u-2", "name": "Lee"},
                "title": "100% discount?",
                "message": {"text": "is the_code still valid"},
            },
        ),
        201,
    )
    api.ok(
        api.post(
            "/api/v1/conversations",
            {
                "contact": {"external_id": "u-3", "name": "Ann"},
                "title": "hello",
            },
        ),
        201,
    )
    assert found(q="novak") == {"refund"}  # contact name, any case
    assert found(q="FILMS.example") == {"refund"}  # email
    assert found(q="crm-77") == {"refund"}  # external id
    assert found(q="#1042") == {"refund"}  # message text
    assert found(q="discount") == {"100% discount?"}  # title
    assert found(q="100%") == {"100% discount?"}  # % is a character, not a wildcard
    assert found(q="_") == {"100% discount?"}  # so is _
    assert found(q="nothing like this") == set()
    api.ok(api.patch(f"/api/v1/conversations/{kim['id']}", {"status": "resolved"}))
    assert found(q="novak", status="open") == set()
    assert found(q="novak", status="resolved") == {"refund"}
    assert_error(api.get("/api/v1/conversations", params={"q": ""}), 422)
    assert_error(api.get("/api/v1/conversations", params={"q": "x" * 201}), 422)
    # another app's conversations are never found
    other = new_app(server.url)
    assert other.ok(other.get("/api/v1/conversations", params={"q": "novak"}))["items"] == []
