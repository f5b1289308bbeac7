"""Fetching over HTTP, against a real server on 127.0.0.1."""

from __future__ import annotations

from linkdesk.ingest import ingest

PAGE = """<html><head><link rel="canonical" href="{url}"><meta property="og:title" content="{title}">
<meta property="article:published_time" content="2024-05-0{n}T10:00:00Z"></head>
<body><article><p>Story number {n} about the harbor.</p></article></body></html>"""


def test_sitemap_crawl_with_retry_and_robots(http_server, store, config) -> None:
    base, routes, hits = http_server
    routes["/robots.txt"] = (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n")
    urls = [f"{base}/news/{n}/" for n in (1, 2)] + [f"{base}/private/secret/"]
    sitemap = "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>" + "".join(
        f"<url><loc>{u}</loc></url>" for u in urls) + "</urlset>"
    routes["/sitemap.xml"] = (200, {"Content-Type": "application/xml"}, sitemap.encode())
    for n in (1, 2):
        routes[f"/news/{n}/"] = (200, {"Content-Type": "text/html"},
                                 PAGE.format(url=f"{base}/news/{n}/", title=f"Story {n}", n=n).encode())
    flaky = {"calls": 0}

    def flaky_page(handler):
        flaky["calls"] += 1
        if flaky["calls"] == 1:
            return 503, {}, b"busy"
        return 200, {"Content-Type": "text/html"}, PAGE.format(url=f"{base}/news/2/", title="Story 2", n=2).encode()

    routes["/news/2/"] = (200, {}, flaky_page)
    report = ingest(store, [f"{base}/sitemap.xml"], config=config)
    assert report.added == 2
    (rej,) = report.rejected
    assert "disallowed by robots.txt" in rej.reason
    assert hits["/news/2/"] == 2  # retried after the 503
    assert store.get_article(f"{base}/news/1/").published.startswith("2024-05-01")


def test_redirect_loop_and_404_are_reported(http_server, tmp_path, store, config) -> None:
    base, routes, _ = http_server
    routes["/loop-a"] = (302, {"Location": "/loop-b"}, b"")
    routes["/loop-b"] = (302, {"Location": "/loop-a"}, b"")
    routes["/ok"] = (200, {"Content-Type": "text/html"}, PAGE.format(url=f"{base}/ok", title="OK", n=3).encode())
    url_list = tmp_path / "urls.txt"
    url_list.write_text(f"# pages\n{base}/loop-a\n{base}/missing\n{base}/ok\nnot-a-url\n")
    report = ingest(store, [str(url_list)], config=config)
    assert report.added == 1
    reasons = {r.where: r.reason for r in report.rejected}
    assert "too many redirects" in reasons[f"{base}/loop-a"]
    # the address is said once, where the rejection happened, not again in its reason
    assert reasons[f"{base}/missing"] == "HTTP 404"
    assert "not an http(s) URL" in reasons[f"{url_list}:5"]


def test_feed_url(http_server, fixtures, store, config) -> None:
    base, routes, _ = http_server
    routes["/feed.atom"] = (200, {"Content-Type": "application/atom+xml"}, (fixtures / "feed.atom").read_bytes())
    report = ingest(store, [f"{base}/feed.atom"], config=config)
    assert report.added == 1
