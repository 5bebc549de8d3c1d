"""Admin pages speak in words: roles and account details translated, placeholders filled,
and the sub-navigation styled like the site's own."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest

ADMIN_PAGES = ["/admin/", "/admin/organisations", "/admin/legal-holds", "/admin/clauses"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_show_no_raw_values_or_placeholders(admin_client, db, path):
    response = admin_client.get(path)
    if response.status_code == HTTPStatus.NOT_FOUND:
        pytest.skip(f"{path} is not a page here")
    assert response.status_code == HTTPStatus.OK
    html = response.get_data(as_text=True)
    body = html[html.index("<main") :]
    for raw in ("{city}", "[city]", "{office}", "Office of --"):
        assert raw not in body
    # The sub-navigation marks where one is, and the stylesheet styles it.
    assert re.search(rf'<a href="{re.escape(path)}" aria-current="page">', body)


def test_admin_account_list_names_roles_in_words(admin_client, db):
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert "Administrator" in html
    assert re.search(r"<td>\s*Admin\s*</td>", html) is None


def test_the_stylesheet_styles_the_sub_navigation(app):
    css = app.test_client().get("/static/css/app.css").get_data(as_text=True)
    for selector in (".subnav ul", ".subnav a", '.subnav a[aria-current="page"]', ".pager a"):
        assert selector in css
