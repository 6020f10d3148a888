"""The Freshworks app in freshdesk_app/: check that its parts agree, pack it, say how to install it.

    problems = check_app()                 # [] when manifest, templates, iparams and code agree
    packed = pack_app(Path("var/dist/freshdesk_app.zip"))
    installation_parameters(host, token)   # what an admin types into Freshdesk's install form

The checks follow Freshworks' platform 3.0 rules for request templates (docs/freshdesk-app.md
cites them): a template the code invokes must be declared in the manifest and defined in
config/requests.json; a secure iparam may only be substituted into headers; and, ours, each
template must reach a SautiDesk endpoint that accepts its method.
"""

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

APP_DIR = Path(__file__).resolve().parent.parent / "freshdesk_app"
PLATFORM_VERSION = "3.0"
# fdk pack leaves these out; so do we (with dotfiles).
NOT_PACKED = {"dist", "node_modules", "coverage", "log"}
# Content types Freshworks' request method supports.
CONTENT_TYPES = {"application/json", "application/xml", "text/html", "text/xml", "application/jsonp",
                 "text/plain", "text/javascript", "application/vnd.api+json"}
IPARAM_TYPES = {"text", "paragraph", "dropdown", "email", "number", "phone_number", "date", "url", "radio",
                "checkbox", "multiselect", "domain", "api_key"}

INVOKED = re.compile(r"""invokeTemplate\(\s*["']([^"']+)["']""")
SUBSTITUTION = re.compile(r"<%=\s*(iparam|context)\.(\w+)\s*%>")
TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
# A zip entry's date; fixed so that the same source packs to the same bytes.
ZIP_DATE = (2026, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class App:
    manifest: dict
    requests: dict
    iparams: dict
    scripts: str  # all app/scripts/*.js, concatenated

    def declared_templates(self):
        return {name for module in self.manifest.get("modules", {}).values()
                for name in module.get("requests", {})}

    def invoked_templates(self):
        return set(INVOKED.findall(self.scripts))

    def secure_iparams(self):
        return {name for name, spec in self.iparams.items() if spec.get("secure")}


@dataclass(frozen=True)
class Packed:
    path: Path
    files: list
    size: int


def load_app(app_dir=APP_DIR):
    app_dir = Path(app_dir)
    scripts = "\n".join(p.read_text() for p in sorted((app_dir / "app" / "scripts").glob("*.js")))
    return App(manifest=_json(app_dir / "manifest.json"), requests=_json(app_dir / "config" / "requests.json"),
               iparams=_json(app_dir / "config" / "iparams.json"), scripts=scripts)


def _json(path):
    return json.loads(path.read_text())


def check_app(app_dir=APP_DIR):
    """Every way the app's files disagree with each other, Freshworks' rules or our URLs."""
    app_dir = Path(app_dir)
    try:
        app = load_app(app_dir)
    except (OSError, ValueError) as err:  # ValueError: not JSON
        return [f"cannot read the app: {err}"]
    problems = [*_check_manifest(app, app_dir), *_check_iparams(app)]
    declared, defined, invoked = app.declared_templates(), set(app.requests), app.invoked_templates()
    for names, problem in [
        (invoked - declared, "app code invokes template '{}', which manifest.json does not declare"),
        (declared - defined, "manifest.json declares template '{}', which config/requests.json does not define"),
        (defined - declared, "config/requests.json defines template '{}', which manifest.json does not declare"),
        (declared - invoked, "template '{}' is declared but the app code never invokes it"),
    ]:
        problems += [problem.format(name) for name in sorted(names)]
    for name, template in sorted(app.requests.items()):
        problems += [f"template '{name}': {p}" for p in _check_template(name, template, app)]
    for secret in sorted(app.secure_iparams()):
        if re.search(rf"\b{re.escape(secret)}\b", app.scripts):
            problems.append(f"app code mentions secure iparam '{secret}': it must only reach request headers")
    return problems


def _check_manifest(app, app_dir):
    manifest = app.manifest
    if manifest.get("platform-version") != PLATFORM_VERSION:
        yield f"manifest.json platform-version must be \"{PLATFORM_VERSION}\""
    if "cti_global_sidebar" not in manifest.get("modules", {}).get("common", {}).get("location", {}):
        yield "manifest.json must put the softphone at modules.common.location.cti_global_sidebar"
    if not {"node", "fdk"} <= set(manifest.get("engines", {})):
        yield "manifest.json engines must name the node and fdk versions"
    for module_name, module in manifest.get("modules", {}).items():
        for location, spec in module.get("location", {}).items():
            if not (app_dir / "app" / spec.get("url", "")).is_file():
                yield f"{module_name}.{location}: url app/{spec.get('url')} does not exist"
            icon = spec.get("icon")
            if icon is not None and not (icon.endswith(".svg") and (app_dir / "app" / icon).is_file()):
                yield f"{module_name}.{location}: icon app/{icon} must be an existing .svg file"


def _check_iparams(app):
    for name, spec in sorted(app.iparams.items()):
        if not spec.get("display_name") or spec.get("type") not in IPARAM_TYPES:
            yield f"iparam '{name}' needs a display_name and a type of {sorted(IPARAM_TYPES)}"


def _check_template(name, template, app):
    if not TEMPLATE_NAME.match(name):
        yield "names may hold only letters, digits, _ and -"
    schema = template.get("schema", {})
    if schema.get("protocol", "https") != "https":
        yield "protocol must be https"
    method = schema.get("method")
    if method not in {"GET", "POST", "PUT", "DELETE", "PATCH"}:
        yield f"method {method!r} is not one Freshworks allows"
    content_type = schema.get("headers", {}).get("Content-Type")
    if content_type is not None and content_type not in CONTENT_TYPES:
        yield f"Content-Type {content_type!r} is not one Freshworks supports"
    options = template.get("options", {})
    if not 1 <= options.get("maxAttempts", 1) <= 5:
        yield "options.maxAttempts must be 1 to 5"
    delay = options.get("retryDelay", 0)
    if delay % 100 or not 0 <= delay <= 1500:
        yield "options.retryDelay must be a multiple of 100 up to 1500"
    for part in ("protocol", "method", "host", "path", "headers", "query"):
        for kind, var in SUBSTITUTION.findall(json.dumps(schema.get(part, ""))):
            if kind == "iparam" and var not in app.iparams:
                yield f"{part} uses iparam '{var}', which config/iparams.json does not define"
            if kind == "iparam" and var in app.secure_iparams() and part != "headers":
                yield f"{part} uses secure iparam '{var}': secure iparams may only go in headers"
            if kind == "context" and not re.search(rf"\b{var}\s*:", app.scripts):
                yield f"{part} uses context.{var}, which no invokeTemplate call passes"
    yield from _check_endpoint(schema.get("path", "/"), method)


def _check_endpoint(path, method):
    """The template's path, its context filled with a sample id, must be a SautiDesk view taking `method`."""
    sample = SUBSTITUTION.sub("1", path)
    try:
        match = resolve(sample)
    except Resolver404:
        yield f"path {path} is not a SautiDesk URL"
        return
    view = getattr(match.func, "view_class", None)
    if view is None or not hasattr(view, (method or "").lower()):
        yield f"path {path} does not accept {method}"


def pack_app(output, app_dir=APP_DIR):
    """Write the app as `fdk pack` lays it out: its files at the root of a zip."""
    app_dir, output = Path(app_dir), Path(output)
    files = sorted(p for p in app_dir.rglob("*") if p.is_file() and not _skipped(p.relative_to(app_dir)))
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(app_dir).as_posix(), ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return Packed(output, [p.relative_to(app_dir).as_posix() for p in files], output.stat().st_size)


def _skipped(relative):
    return any(part.startswith(".") or part in NOT_PACKED for part in relative.parts)


def sautidesk_host(public_base_url):
    """The host name to enter as the SautiDesk address: PUBLIC_BASE_URL's, or "" if it has none."""
    return (urlsplit(public_base_url).hostname or "") if public_base_url else ""


def installation_parameters(host, token=None, app_dir=APP_DIR):
    """[(label, key, value)] in the order Freshdesk's install form shows them."""
    values = {"sautidesk_host": host or "(the host name SautiDesk is served at over HTTPS)",
              "app_token": token or "(create one in SautiDesk: Admin → App tokens; it is shown once)"}
    return [(spec["display_name"], key, values.get(key, ""))
            for key, spec in load_app(app_dir).iparams.items()]
