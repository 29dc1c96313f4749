"""The permission matrix: every URL × every role. Out of scope -> 404, not allowed -> 403."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .routes import ALL, NOT_ENDPOINTS, ROUTES

pytestmark = pytest.mark.django_db


def all_url_names(patterns=None, namespace: str | None = None) -> set[str]:
    names: set[str] = set()
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            names |= all_url_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            names.add(f"{namespace}:{p.name}" if namespace else p.name)
    return names


def test_every_url_is_in_the_permission_matrix():
    registered = {r.name for r in ROUTES} | NOT_ENDPOINTS
    missing = all_url_names() - registered
    stale = registered - all_url_names()
    assert not missing, f"URLs missing from tests/web/routes.py: {sorted(missing)}"
    assert not stale, f"routes.py names URLs that no longer exist: {sorted(stale)}"


def _request(client, route, world):
    url = reverse(route.name, kwargs=route.kwargs(world))
    query = route.query(world)
    if query:
        url = f"{url}?{query}"
    if route.method == "POST" and not route.json:
        return client.post(url, route.data(world))
    if route.method in ("POST", "PATCH", "PUT"):
        import json

        send = getattr(client, route.method.lower())
        return send(url, json.dumps(route.data(world)), content_type="application/json")
    return client.get(url)


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.public], ids=lambda r: r.name)
def test_anonymous_is_refused(client, world, route):
    response = _request(client, route, world)
    if route.api and route.name not in {"api:openapi-json", "api:openapi-view"}:
        assert response.status_code == 401
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("route", [r for r in ROUTES if r.public], ids=lambda r: r.name)
def test_public_urls_answer_without_login(client, world, route):
    assert _request(client, route, world).status_code == 200


def _expected(route, username: str) -> set[int]:
    if username not in route.visible:
        return {404}
    if username not in route.allowed:
        return {403}
    return {200, 201, 302} if route.method in ("POST", "PATCH", "PUT") else {200}


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.public], ids=lambda r: r.name)
def test_permission_matrix(client, world, route):
    """Each route is tried as every role of the world (one world per route keeps the suite fast).

    POST routes act on a fresh world per user, since a successful POST may change it.
    """
    from django.db import transaction

    wrong = []
    for username in sorted(ALL):
        sid = transaction.savepoint()
        client.force_login(world.users[username])
        response = _request(client, route, world)
        if response.status_code not in _expected(route, username):
            wrong.append(f"{username}: {response.status_code} (expected {sorted(_expected(route, username))})")
        client.logout()
        transaction.savepoint_rollback(sid)
        world.extra.clear()
    assert not wrong, f"{route.name}: " + "; ".join(wrong)


def _readable_text(response) -> str:
    """What a person would read in the response: HTML/JSON text, or the cells of an Excel file.
    Other binary downloads (GeoPackage, zipped Shapefile) are checked by the export tests."""
    import io
    import json

    content_type = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in content_type:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
                         if c is not None)
    if content_type.startswith(("application/json", "application/geo+json")):
        return json.dumps(json.loads(content), ensure_ascii=False)
    if content_type.startswith("text/"):
        return content.decode()
    return ""


LEAK_USERS = ("town_a", "ent_a")
LEAK_ROUTES = [r for r in ROUTES if r.method == "GET" and not r.public
               and any(u in r.visible and u in r.allowed for u in LEAK_USERS)]


@pytest.mark.parametrize("route", LEAK_ROUTES, ids=lambda r: r.name)
def test_nothing_of_township_b_leaks(client, world, route):
    """A township-A user (and an enterprise-A user) never sees township B's name, its enterprise
    or its officer anywhere."""
    for username in LEAK_USERS:
        if username not in route.visible or username not in route.allowed:
            continue
        client.force_login(world.users[username])
        response = _request(client, route, world)
        assert response.status_code == 200
        body = _readable_text(response)
        for secret in ("东孝街道", "乙公司", "town_b", str(world.township_b.code)):
            assert secret not in body, f"{route.name} shows {secret!r} to {username}"
