"""The pages' front end as the service serves it: ES modules with no build step, one shared
folder at /static, revalidated on every load, and the console under a Content-Security-Policy.

What a browser does with them is for the browser tests (tests/e2e); these check what a browser
gets: every module a page loads, each import they make, and the headers on the way.
"""

import re
from pathlib import Path
from urllib.parse import urljoin

from fastapi.testclient import TestClient

from integrations.webchat import routes as webchat_routes
from queue_service.console import pages as console_pages
from queue_service.identity import routes as portal_routes
from queue_service.static_files import SHARED_DIR

PAGES = ["/", "/console", "/console/knowledge", "/portal/demo"]
STATIC_DIRS = {
    "/static/": SHARED_DIR,
    "/webchat/static/": webchat_routes.STATIC_DIR,
    "/console/static/": console_pages.STATIC_DIR,
    "/portal/static/": portal_routes.STATIC_DIR,
}
# A classic script, on purpose: sites embed it with a plain <script src> (see embed.js).
EMBED = "/webchat/static/embed.js"
VENDORED = 'src="/console/static/vendor/'
IMPORT = re.compile(r"""^import\s[^;]*?from\s+"([^"]+)";""", re.MULTILINE | re.DOTALL)


def policy_of(response) -> dict[str, str]:
    directives = response.headers["content-security-policy"].split(";")
    return dict(directive.strip().split(" ", 1) for directive in directives)


def assets(client: TestClient, page: str) -> tuple[set[str], set[str]]:
    """The modules (with all they import) and the stylesheets a page loads, as URL paths."""
    html = client.get(page).text
    # Only a library vendored from npm (make vendor) is a classic script (Chart.js is UMD).
    classic = re.findall(r"<script(?![^>]*\btype=\"module\")[^>]*>", html)
    assert all(VENDORED in tag for tag in classic), page
    styles = set(re.findall(r'<link rel="stylesheet" href="([^"]+)">', html))
    waiting = re.findall(r'<script type="module" src="([^"]+)"></script>', html)
    modules: set[str] = set()
    while waiting:
        path = waiting.pop()
        if path in modules:
            continue
        modules.add(path)
        script = client.get(path)
        assert script.status_code == 200, path
        waiting += [urljoin(path, name) for name in IMPORT.findall(script.text)]
    return modules, styles


def test_every_module_and_stylesheet_a_page_loads_is_served_and_revalidated(
    service: TestClient,
) -> None:
    loaded: dict[str, set[str]] = {}
    for page in PAGES:
        modules, styles = assets(service, page)
        loaded[page] = modules
        for path in modules | styles:
            response = service.get(path)
            assert response.status_code == 200, path
            assert response.headers["cache-control"] == "no-cache", path
            if path in modules:
                # Browsers run a module only if it is served as JavaScript.
                assert "javascript" in response.headers["content-type"], path
        assert "/static/base.css" in styles, page
    # The three pages share what is in /static, and only there.
    assert "/static/richtext.js" in loaded["/"] & loaded["/console"]
    assert "/static/format.js" in loaded["/"] & loaded["/portal/demo"]
    assert "/static/reconnect.js" in loaded["/"] & loaded["/console"]
    assert not {m for m in loaded["/console"] if m.startswith("/webchat/")}
    # Every script in the static folders is loaded by a page (nothing left behind), save embed.js.
    on_disk = {
        prefix + str(path.relative_to(directory))
        for prefix, directory in STATIC_DIRS.items()
        for path in Path(directory).rglob("*.js")
        if "vendor" not in path.parts  # copied from npm, loaded as a classic script
    }
    assert on_disk - set().union(*loaded.values()) == {EMBED}
    assert service.get(EMBED).status_code == 200
    # The shared folder is one mount, made by the composition root.
    assert [r.path for r in service.app.routes if getattr(r, "name", "") == "shared-static"] == [
        "/static"
    ]


def test_an_unchanged_shared_module_costs_a_304(service: TestClient) -> None:
    module = service.get("/static/richtext.js")
    again = service.get(module.url, headers={"if-none-match": module.headers["etag"]})
    assert (again.status_code, again.headers["cache-control"]) == (304, "no-cache")


def test_the_console_page_has_a_content_security_policy(service: TestClient) -> None:
    page = service.get("/console")
    assert page.headers["cache-control"] == "no-cache"
    assert policy_of(page) == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "connect-src": "'self' ws://testserver wss://testserver",
        "img-src": "'self' data:",
        # No site may frame the console: a click on it could only be the agent's own.
        "frame-ancestors": "'none'",
        "object-src": "'none'",
        "base-uri": "'none'",
    }
    # A forged Host header does not widen the policy.
    injected = service.get("/console", headers={"host": "evil.example; script-src *"})
    assert "script-src 'self';" in injected.headers["content-security-policy"]
    assert "evil" not in injected.headers["content-security-policy"]


def test_no_page_has_inline_code_for_a_policy_to_block(service: TestClient) -> None:
    for page in PAGES:
        html = service.get(page).text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], page
        assert "<style" not in html and " style=" not in html, page
        assert re.findall(r"\son[a-z]+\s*=", html) == [], page
