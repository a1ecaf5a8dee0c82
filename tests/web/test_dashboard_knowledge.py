"""The dashboard's Knowledge base page and the LLM AI-agent form, in a real browser."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.fakes.openai_server import FakeOpenAI, answer
from tests.support import wait_until
from tests.web.conftest import Desk


def test_knowledge_page_adds_imports_searches_edits_and_deletes(desk: Desk, tmp_path: Path) -> None:
    page = desk.page
    desk.login()
    page.goto(desk.url + "/#/settings/knowledge")
    expect(page.locator("#kb-empty")).to_be_visible()

    page.get_by_role("button", name="Add an article").click()
    form = page.locator("#kb-form")
    form.get_by_label("Title").fill("Resetting your password")
    form.get_by_label("Body").fill("Open Settings, choose Security and press Reset password.")
    form.get_by_label("Link (optional)").fill("https://help.example.com/password")
    form.get_by_label("Tags (optional)").fill("account, security")
    form.get_by_role("button", name="Add article").click()
    row = page.locator("#kb-table tbody tr", has_text="Resetting your password")
    expect(row).to_contain_text("account, security")

    markdown = tmp_path / "shipping.md"
    markdown.write_text("# Shipping times\n\nParcels ship within two days.\n", "utf-8")
    csv = tmp_path / "faq.csv"
    csv.write_text("title,body,url\nGift cards,Gift cards never expire.,\n", "utf-8")
    page.get_by_label("Markdown or CSV files").set_input_files([str(markdown), str(csv)])
    page.get_by_role("button", name="Import files").click()
    expect(page.locator("#kb-table tbody tr")).to_have_count(3)
    titles = {a["title"] for a in desk.api.ok(desk.api.get("/api/v1/knowledge/articles"))["items"]}
    assert titles == {"Resetting your password", "Shipping times", "Gift cards"}

    page.get_by_label("Question").fill("how do I reset my password")
    page.locator("#kb-try").get_by_role("button", name="Search").click()
    first = page.locator("#kb-results li").first
    expect(first).to_contain_text("Resetting your password")
    expect(first.get_by_role("link")).to_have_attribute("href", "https://help.example.com/password")
    desk.shot("knowledge", height=1100)

    row.get_by_role("button", name="Edit Resetting your password").click()
    form = page.locator("#kb-form")
    expect(form.get_by_label("Body")).to_have_value(
        "Open Settings, choose Security and press Reset password."
    )
    form.get_by_label("Title").fill("Password reset")
    form.get_by_role("button", name="Save article").click()
    expect(page.locator("#kb-table")).to_contain_text("Password reset")

    gift = page.locator("#kb-table tbody tr", has_text="Gift cards")
    gift.get_by_role("button", name="Delete").click()
    gift.get_by_role("button", name="Click again to confirm").click()
    expect(page.locator("#kb-table tbody tr")).to_have_count(2)
    left = {a["title"] for a in desk.api.ok(desk.api.get("/api/v1/knowledge/articles"))["items"]}
    assert left == {"Password reset", "Shipping times"}


def test_llm_ai_agent_form_checks_the_model_server(desk: Desk) -> None:
    page = desk.page
    with FakeOpenAI(api_key="sk-dashboard-key", models=["llama3"]) as llm:
        desk.login()
        page.goto(desk.url + "/#/settings/ai-agents")
        page.get_by_role("button", name="Add an AI agent").click()
        form = page.locator("#ai-agent-form")
        form.get_by_label("Kind").select_option("openai")
        form.get_by_label("Display name").fill("Tea assistant")
        form.get_by_label("Model server URL").fill(llm.base_url)
        form.get_by_label("API key").fill("sk-dashboard-key")
        form.get_by_label("Model", exact=True).fill("llama2")
        form.get_by_label("System prompt").fill("You sell tea.")
        expect(form.get_by_label("Answer from the knowledge base")).to_be_checked()
        form.get_by_label("Let this AI agent handle all new conversations").check()
        form.get_by_role("button", name="Create AI agent").click()
        expect(form.get_by_role("alert")).to_contain_text("llama2")  # the server's refusal
        assert desk.api.ok(desk.api.get("/api/v1/ai-agents"))["items"] == []

        form.get_by_label("Model", exact=True).fill("llama3")
        form.get_by_role("button", name="Create AI agent").click()
        row = page.locator("#ai-agents-table tbody tr", has_text="Tea assistant")
        expect(row).to_contain_text("LLM (OpenAI-compatible)")
        [bot] = desk.api.ok(desk.api.get("/api/v1/ai-agents"))["items"]
        assert bot["config"]["api_key"] == "****" and bot["config"]["use_knowledge"] is True
        assert bot["config"]["system_prompt"] == "You sell tea."

        llm.script("Do you sell green tea?", [answer("Yes, three kinds.")])
        conv = desk.api.conversation(message={"text": "Do you sell green tea?"})
        wait_until(
            lambda: (
                [
                    m["text"]
                    for m in desk.api.messages(conv["id"])
                    if m["sender"]["type"] == "ai_agent"
                ]
                == ["Yes, three kinds."]
            )
        )
