"""The UI's frame: layout, static assets, HTML errors, login and CSRF."""

from __future__ import annotations

from typing import Any

import httpx

from tests._servers import ServerProcess
from tests.server.ui.conftest import API_KEY


def test_about_page_names_version_store_and_api(ui_server: ServerProcess) -> None:
    from headwater import __version__

    answer = httpx.get(f"{ui_server.url}/about")
    assert answer.status_code == 200
    assert "text/html" in answer.headers["content-type"]
    assert __version__ in answer.text
    assert "sqlite" in answer.text
    assert f"{ui_server.url}/api" in answer.text
    assert 'href="/api/docs"' in answer.text


def test_static_assets_are_served_from_the_package_with_long_caching(
    ui_server: ServerProcess,
) -> None:
    page = httpx.get(f"{ui_server.url}/about").text
    assert "//" not in page.split("<body")[0].replace("http://", "").replace("https://", "x"), (
        "nothing may load from another site"
    )
    css = httpx.get(f"{ui_server.url}/static/headwater.css")
    assert css.status_code == 200 and "prefers-color-scheme" in css.text
    assert "immutable" in css.headers["cache-control"]
    assert httpx.get(f"{ui_server.url}/static/js/headwater.js").status_code == 200
    assert httpx.get(f"{ui_server.url}/static/../pyproject.toml").status_code == 404


def test_unknown_page_is_a_friendly_html_404_and_the_api_stays_json(
    ui_server: ServerProcess,
) -> None:
    answer = httpx.get(f"{ui_server.url}/no/such/page")
    assert answer.status_code == 404
    assert "text/html" in answer.headers["content-type"]
    assert "There is no page at /no/such/page" in answer.text
    api = httpx.get(f"{ui_server.url}/api/no/such/thing")
    assert api.status_code == 404 and api.json()["detail"]


def test_forms_without_the_csrf_token_are_refused(ui_server: ServerProcess) -> None:
    with httpx.Client(base_url=ui_server.url) as client:
        client.get("/about")
        assert client.cookies.get("hw_csrf")
        refused = client.post("/logout", data={"csrf_token": "forged"})
        assert refused.status_code == 403
        assert "reload the page" in refused.text
        cross = client.post(
            "/logout",
            data={"csrf_token": client.cookies["hw_csrf"]},
            headers={"sec-fetch-site": "cross-site"},
        )
        assert cross.status_code == 403


def test_with_an_api_key_pages_need_a_session(ui_server_with_key: ServerProcess) -> None:
    url = ui_server_with_key.url
    with httpx.Client(base_url=url) as client:
        first = client.get("/about")
        assert first.status_code == 303
        assert first.headers["location"] == "/login?next=%2Fabout"
        assert client.get("/static/headwater.css").status_code == 200
        token = client.cookies["hw_csrf"]
        wrong = client.post("/login", data={"api_key": "nope", "csrf_token": token, "next": "/"})
        assert wrong.status_code == 401 and "is not this server" in wrong.text
        evil = client.post(
            "/login", data={"api_key": API_KEY, "csrf_token": token, "next": "//evil.example/"}
        )
        assert evil.status_code == 303 and evil.headers["location"] == "/"
        assert "HttpOnly" in evil.headers["set-cookie"]
        about = client.get("/about")
        assert about.status_code == 200
        # Signed in, the token is the session's own (the sign-in form's is refused).
        assert client.post("/logout", data={"csrf_token": token}).status_code == 403
        session_token = about.text.split('name="csrf-token" content="')[1].split('"')[0]
        assert client.post("/logout", data={"csrf_token": session_token}).status_code == 303
        assert client.get("/about").status_code == 303
    # The API still wants its bearer key; a UI session is not an API credential.
    assert httpx.get(f"{url}/api/flows").status_code == 401


def test_login_in_the_browser(ui_server_with_key: ServerProcess, page: Any) -> None:
    page.expected_statuses = {401}
    page.goto(f"{ui_server_with_key.url}/about")
    assert page.url.endswith("/login?next=%2Fabout")
    page.get_by_label("API key").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("That is not this server's API key.").is_visible()
    page.get_by_label("API key").fill(API_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{ui_server_with_key.url}/about")
    assert page.get_by_role("heading", name="About this server").is_visible()
