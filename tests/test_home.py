"""The page at `/`: what this server is, its version, links that all answer, no external
asset; the documents it links; the version in /healthz; LICENSE and CHANGELOG agree with
pyproject.toml."""

import re
import tomllib
from pathlib import Path

import pytest
from django.test import Client

from tests.admin_users import staff_client

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.django_db
def test_the_home_page_says_what_this_is_and_every_link_answers():
    response = Client().get("/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert f"cdrapi <small>{PROJECT['version']}</small>" in page
    links = re.findall(r'href="([^"]+)"', page)
    for expected in ["/api/docs/", "/api/schema/", "/healthz", "/readyz", "/admin/",
                     "/docs/README.md", "/docs/plivo.md", "/docs/carrierx.md"]:  # fmt: skip
        assert expected in links
    for link in links:
        answer = Client().get(link)
        # The admin sends an anonymous visitor to its login page; everything else is there.
        assert answer.status_code == (302 if link == "/admin/" else 200), link


def test_the_home_page_loads_nothing_from_elsewhere(client):
    page = client.get("/").content.decode()
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert "http://" not in page and "https://" not in page and 'href="//' not in page


def test_the_home_page_takes_only_get_and_head(client):
    assert client.head("/").status_code == 200
    assert client.post("/").status_code == 405


def test_a_document_is_served_as_text_and_nothing_outside_the_list(client):
    readme = client.get("/docs/README.md")
    assert readme.status_code == 200
    assert readme["Content-Type"] == "text/plain; charset=utf-8"
    assert readme.content == (ROOT / "README.md").read_bytes()
    for name in ["settings.py", "..%2Fpyproject.toml", "nothing.md", "admin-chart.png"]:
        assert client.get(f"/docs/{name}").status_code == 404, name


@pytest.mark.django_db
def test_the_admins_view_site_link_leads_to_the_home_page():
    page = staff_client().get("/admin/").content.decode()
    assert '<a href="/">View site</a>' in page


def test_healthz_tells_the_version(client):
    assert client.get("/healthz").json() == {"status": "ok", "version": PROJECT["version"]}


def test_the_license_is_the_one_pyproject_declares():
    assert PROJECT["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")


def test_the_changelog_says_what_the_current_version_holds():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## (\S+)", changelog, re.MULTILINE)
    assert headings[0] == PROJECT["version"]  # newest first
