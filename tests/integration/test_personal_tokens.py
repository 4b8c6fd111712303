"""Personal API tokens: created by their owner, shown once, usable as Bearer, revocable."""

import json

import pytest

from core.models import PersonalToken
from tests.fixtures.world import host_client


def staff(host, email="rep@acme.example"):
    return host_client(host, email=email, login_path="/app/login/")


def make_token(client, name="CI script"):
    response = client.post("/api/v1/tokens/", json.dumps({"name": name}),
                           content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_token_is_shown_once_works_and_can_be_revoked(in_acme):
    client = staff(in_acme.host)
    created = make_token(client)
    key = created["key"]
    assert key.startswith("crm_")
    assert created["prefix"] == key[:12]
    listed = client.get("/api/v1/tokens/").json()
    assert [row["name"] for row in listed] == ["CI script"]
    assert "key" not in listed[0]
    assert key not in json.dumps(listed)
    assert not PersonalToken.objects.filter(key_hash=key).exists()  # only a hash is kept
    bearer = host_client(in_acme.host)
    me = bearer.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert me.status_code == 200
    assert me.json()["email"] == "rep@acme.example"
    assert PersonalToken.objects.get(pk=created["id"]).last_used is not None
    assert client.delete(f"/api/v1/tokens/{created['id']}/").status_code == 204
    revoked = bearer.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert revoked.status_code == 401
    assert revoked["WWW-Authenticate"] == "Bearer"
    assert client.get("/api/v1/tokens/").json()[0]["revoked"] is not None


def test_tokens_are_personal_and_bound_to_their_tenant(in_acme, globex):
    created = make_token(staff(in_acme.host))
    other = staff(in_acme.host, "admin@acme.example")
    assert other.delete(f"/api/v1/tokens/{created['id']}/").status_code == 404
    assert other.get("/api/v1/tokens/").json() == []
    foreign = host_client(globex.host).get(
        "/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {created['key']}")
    assert foreign.status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer nope", "Bearer \xff"])
def test_bad_bearer_headers_are_401(in_acme, header):
    response = host_client(in_acme.host).get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_only_staff_create_tokens_and_a_name_is_required(in_acme):
    customer = host_client(in_acme.host, email="customer@acme.example",
                           login_path="/portal/login/")
    assert customer.post("/api/v1/tokens/", {"name": "x"}).status_code == 403
    response = staff(in_acme.host).post("/api/v1/tokens/", json.dumps({"name": ""}),
                                        content_type="application/json")
    assert response.status_code == 400
    assert "name" in response.json()
