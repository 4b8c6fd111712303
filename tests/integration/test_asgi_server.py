"""A real uvicorn with pooled connections: interleaved tenants each read only their own data."""

from concurrent.futures import ThreadPoolExecutor

from tests.fixtures.world import admin_token


def test_interleaved_requests_never_cross_tenants(live_asgi, acme, globex):
    tokens = {t.slug: admin_token(t) for t in (acme.tenant, globex.tenant)}
    names = {"acme": "Acme Corporation", "globex": "Globex 环球"}

    def call(slug):
        with live_asgi.client(f"{slug}.localhost") as client:
            me = client.get("/api/v1/me/", headers={"Authorization": f"Token {tokens[slug]}"})
            home = client.get("/")
            return slug, me.status_code, me.json(), home.text

    jobs = ["acme", "globex"] * 60
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, jobs))
    for slug, status, body, home in results:
        assert status == 200
        assert body["tenant"] == slug
        assert body["email"] == f"admin@{slug}.example"
        assert names[slug] in home
        other = "globex" if slug == "acme" else "acme"
        assert names[other] not in home


def test_a_token_of_one_tenant_is_unknown_on_another(live_asgi, acme, globex):
    token = admin_token(acme.tenant)
    with live_asgi.client(globex.host) as client:
        response = client.get("/api/v1/me/", headers={"Authorization": f"Token {token}"})
    assert response.status_code == 401


def test_unknown_host_is_404_over_the_socket(live_asgi, db):
    with live_asgi.client("ghost.localhost") as client:
        assert client.get("/").status_code == 404
