"""A stand-in for Freshdesk hosting the SautiDesk app (freshdesk_app/), for browser tests.

What Freshdesk does, and what stands in for it here:

- it loads each app location in an iframe of its page, with `{{{appclient}}}` in the app's
  HTML replaced by its client script: `FreshdeskPage` serves fdk_assets/host.html (the
  page) and the app's files, `{{{appclient}}}` pointing at fdk_assets/client.js, a client
  object with the methods the app uses (app.initialized, events, data, request,
  interface, instance);
- it runs request templates on Freshworks' servers, which put the installation parameters
  in (secure ones only there, never in the browser): the client's invokeTemplate calls
  back into Python (Playwright's expose_function), where `FreshworksProxy` applies
  config/requests.json — host, path, headers, query, with iparams and context — and
  sends the request to SautiDesk. The template host resolves to the live server, over
  plain HTTP as Freshworks' local testing allows.
"""

import json
import mimetypes
import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

from agents.freshdesk_app_package import APP_DIR
from integration.sandbox._server import Response, SandboxServer, html_response

ASSETS = Path(__file__).with_name("fdk_assets")
SUBSTITUTION = re.compile(r"<%=\s*(iparam|context)\.(\w+)\s*%>")
CLIENT_SCRIPT = "/fdk/client.js"


class FreshdeskPage(SandboxServer):
    """Serves the Freshdesk page (host.html), the client stand-in and the app's files."""

    def handle(self, request):
        path = urlsplit(request.path).path
        if path in ("/", "/host.html"):
            return _file(ASSETS / "host.html")
        if path == CLIENT_SCRIPT:
            return _file(ASSETS / "client.js")
        if path.startswith("/app/"):
            target = (APP_DIR / "app" / path.removeprefix("/app/")).resolve()
            if target.is_file() and (APP_DIR / "app") in target.parents:
                return _file(target)
        return html_response(404, "not found")


def _file(path):
    body = path.read_bytes()
    if path.suffix == ".html":
        body = body.replace(b"{{{appclient}}}", CLIENT_SCRIPT.encode())
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Response(200, body, {"Content-Type": content_type, "Cache-Control": "no-store"})


class TemplateError(Exception):
    """What Freshworks refuses before sending anything."""


class FreshworksProxy:
    """Runs the app's request templates as Freshworks' request method does."""

    def __init__(self, iparams, hosts, app_dir=APP_DIR):
        self.iparams = iparams
        self.hosts = hosts  # template host -> base URL it resolves to
        self.templates = json.loads((app_dir / "config" / "requests.json").read_text())
        manifest = json.loads((app_dir / "manifest.json").read_text())
        self.declared = {name for module in manifest["modules"].values() for name in module.get("requests", {})}
        spec = json.loads((app_dir / "config" / "iparams.json").read_text())
        self.secure = {name for name, field in spec.items() if field.get("secure")}
        self.sent = []  # (template, method, url, headers, body) as sent to SautiDesk

    def invoke(self, name, options_json):
        """The browser's invokeTemplate(name, options): {status, headers, response}, as Freshworks answers."""
        options = json.loads(options_json)
        try:
            method, url, headers = self._render(name, options.get("context") or {})
        except TemplateError as err:
            return {"status": 400, "headers": {}, "response": json.dumps({"message": str(err)}),
                    "errorSource": "APP"}
        body = options.get("body")
        self.sent.append((name, method, url, headers, body))
        answer = requests.request(method, url, headers=headers, data=body, timeout=15)
        return {"status": answer.status_code, "headers": dict(answer.headers), "response": answer.text}

    def _render(self, name, context):
        if name not in self.declared or name not in self.templates:
            raise TemplateError(f"Request template '{name}' is not declared in the manifest")
        schema = self.templates[name]["schema"]

        def fill(text, secure_allowed):
            def value(match):
                kind, key = match.groups()
                if kind == "iparam":
                    if key in self.secure and not secure_allowed:
                        raise TemplateError(f"secure iparam {key} may only be used in headers")
                    return str(self.iparams[key])
                if key not in context:
                    raise TemplateError(f"context.{key} was not passed")
                return str(context[key])

            return SUBSTITUTION.sub(value, text)

        host = fill(schema["host"], False)
        if host not in self.hosts:
            raise TemplateError(f"{host} does not resolve here")
        path = fill(schema.get("path", "/"), False)
        query = {key: fill(value, False) for key, value in schema.get("query", {}).items()}
        headers = {key: fill(value, True) for key, value in schema.get("headers", {}).items()}
        url = self.hosts[host] + path + (f"?{urlencode(query)}" if query else "")
        return schema["method"], url, headers
