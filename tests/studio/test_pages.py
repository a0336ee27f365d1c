"""The studio's pages: the SPA's index for every studio path, its assets, 503 when not built."""

from __future__ import annotations

from pathlib import Path

import httpx

PATHS = ("/studio", "/studio/pokemon", "/studio/pokemon/flows/1")


async def test_not_built_is_503_saying_how(client: httpx.AsyncClient) -> None:
    for path in PATHS:
        response = await client.get(path)
        assert response.status_code == 503, path
        assert "the studio is not built: run <code>make studio</code>" in response.text


async def test_the_built_studio_is_served_without_a_key(
    client: httpx.AsyncClient, static_dir: Path
) -> None:
    studio = static_dir / "studio"
    (studio / "assets").mkdir(parents=True)
    (studio / "index.html").write_text("<!doctype html><div id=root></div>", encoding="utf-8")
    (studio / "assets" / "index-abc123.js").write_text("console.log(1)", encoding="utf-8")
    (static_dir / "secret.txt").write_text("no", encoding="utf-8")
    for path in PATHS:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.text == "<!doctype html><div id=root></div>"
        assert response.headers["cache-control"] == "no-cache"
    asset = await client.get("/studio/assets/index-abc123.js")
    assert asset.status_code == 200 and asset.text == "console.log(1)"
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "javascript" in asset.headers["content-type"]
    assert (await client.get("/studio/assets/missing.js")).status_code == 404
    escaped = await client.get("/studio/assets/..%2F..%2Fsecret.txt")
    assert escaped.status_code == 404
