"""Text longer than the column that stores it is refused with a 4xx, never a 500.

SQLite stores any length; PostgreSQL refuses the row, so these fail there first. Found by
the schema fuzz on PostgreSQL (``RELAYDESK_FUZZ_BACKEND=postgres``).
"""

from __future__ import annotations

from tests.support import Api, assert_error

#: well-formed BCP 47 tags of 35 characters (what the columns hold) and of 36
LANGUAGE_35 = "en-abcdefgh-abcdefgh-abcdefgh-abcde"
LANGUAGE_36 = LANGUAGE_35 + "f"


def test_a_language_tag_longer_than_its_35_character_column_is_422(api: Api) -> None:
    bot = {"intents": [{"name": "f", "category": "fallback_intent", "content": [{"message": "?"}]}]}
    created = api.post(
        "/api/v1/ai-agents",
        {"name": "Bot", "kind": "builtin", "config": bot, "language": LANGUAGE_36},
    )
    assert_error(created, 422, "validation_error")
    contact = {"external_id": "long-language", "language": LANGUAGE_36}
    assert_error(api.post("/api/v1/conversations", {"contact": contact}), 422)
    widget = {"app_id": api.app_id, "language": LANGUAGE_36}
    assert_error(api.as_token(None).post("/api/v1/widget/session", widget), 422)
    fits = api.post("/api/v1/conversations", {"contact": {**contact, "language": LANGUAGE_35}})
    assert fits.status_code == 201, fits.text


def test_an_upload_type_longer_than_the_column_is_guessed_from_the_name(api: Api) -> None:
    long_type = "image/" + "a" * 200  # allowed by image/*, but no type anybody uses
    refused = api.post("/api/v1/uploads", files={"file": ("a.bin", b"hello", long_type)})
    assert_error(refused, 415, "unsupported_file_type")
    stored = api.post("/api/v1/uploads", files={"file": ("notes.txt", b"hello", long_type)})
    assert stored.status_code == 201, stored.text
    assert stored.json()["mime_type"] == "text/plain"
