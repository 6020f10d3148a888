"""freshdesk_app/: manifest, request templates, iparams and code agree; `manage.py freshdesk_app` packs it."""

import json
import re
import shutil
import zipfile
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import resolve

from agents.freshdesk_app_package import APP_DIR, check_app
from agents.models import AppToken

MANIFEST = json.loads((APP_DIR / "manifest.json").read_text())
REQUESTS = json.loads((APP_DIR / "config" / "requests.json").read_text())
IPARAMS = json.loads((APP_DIR / "config" / "iparams.json").read_text())
SCRIPTS = {p.name: p.read_text() for p in (APP_DIR / "app" / "scripts").glob("*.js")}
SUBSTITUTION = re.compile(r"<%=\s*(iparam|context)\.(\w+)\s*%>")


def test_the_softphone_sits_in_the_cti_sidebar_of_a_platform_3_app():
    assert MANIFEST["platform-version"] == "3.0"
    sidebar = MANIFEST["modules"]["common"]["location"]["cti_global_sidebar"]
    assert (APP_DIR / "app" / sidebar["url"]).is_file()
    assert (APP_DIR / "app" / sidebar["icon"]).read_text().startswith("<svg")
    assert "{{{appclient}}}" in (APP_DIR / "app" / sidebar["url"]).read_text()


def test_every_template_the_code_invokes_is_declared_and_defined_and_no_other():
    invoked = {name for code in SCRIPTS.values() for name in re.findall(r'invokeTemplate\("(\w+)"', code)}
    declared = set(MANIFEST["modules"]["common"]["requests"])

    assert invoked == {"startSession", "placeCall"}
    assert declared == invoked == set(REQUESTS)
    assert all("requests" not in module for name, module in MANIFEST["modules"].items() if name != "common")


def test_secure_iparams_only_go_into_request_headers():
    secure = {name for name, spec in IPARAMS.items() if spec.get("secure")}
    assert secure == {"app_token"}

    for name, template in REQUESTS.items():
        schema = template["schema"]
        assert schema["headers"]["Authorization"] == "Bearer <%= iparam.app_token %>", name
        for part in ("host", "path", "query", "protocol", "method"):
            used = {var for kind, var in SUBSTITUTION.findall(json.dumps(schema.get(part, ""))) if kind == "iparam"}
            assert not used & secure, (name, part)
    assert not any("app_token" in code for code in SCRIPTS.values())  # the browser never asks for it
    for kind, var in SUBSTITUTION.findall(json.dumps(REQUESTS)):
        assert kind == "context" or var in IPARAMS


def test_every_template_reaches_a_sautidesk_endpoint_over_https():
    for name, template in REQUESTS.items():
        schema = template["schema"]
        assert (schema["protocol"], schema["host"]) == ("https", "<%= iparam.sautidesk_host %>"), name
        match = resolve(schema["path"].replace("<%= context.agent_id %>", "501"))
        assert match.kwargs == {"freshdesk_agent_id": 501}
        assert hasattr(match.func.view_class, schema["method"].lower())
    # A retried placement could ring the customer twice: Freshworks must send it once.
    assert REQUESTS["placeCall"]["options"]["maxAttempts"] == 1


def test_the_shipped_app_passes_the_packing_checks():
    assert check_app() == []


BREAKAGES = [
    ("manifest.json", lambda m: m["modules"]["common"]["requests"].pop("placeCall"),
     "app code invokes template 'placeCall', which manifest.json does not declare"),
    ("config/requests.json", lambda r: r.pop("startSession"),
     "manifest.json declares template 'startSession', which config/requests.json does not define"),
    ("config/requests.json", lambda r: r["placeCall"]["schema"].update(host="<%= iparam.app_token %>.example.com"),
     "template 'placeCall': host uses secure iparam 'app_token': secure iparams may only go in headers"),
    ("config/requests.json",
     lambda r: r["placeCall"]["schema"]["headers"].update(Authorization="Bearer <%= iparam.key %>"),
     "template 'placeCall': headers uses iparam 'key', which config/iparams.json does not define"),
    ("config/requests.json", lambda r: r["placeCall"]["schema"].update(path="/api/freshdesk-app/agents/1/call/"),
     "template 'placeCall': path /api/freshdesk-app/agents/1/call/ is not a SautiDesk URL"),
    ("config/requests.json", lambda r: r["placeCall"]["schema"].update(method="GET"),
     "template 'placeCall': path /api/freshdesk-app/agents/<%= context.agent_id %>/calls/ does not accept GET"),
    ("config/requests.json", lambda r: r["placeCall"]["schema"].update(protocol="http"),
     "template 'placeCall': protocol must be https"),
    ("config/requests.json", lambda r: r.update(unused={"schema": {"method": "GET", "host": "x.example", "path": "/"}}),
     "config/requests.json defines template 'unused', which manifest.json does not declare"),
    ("manifest.json", lambda m: m.update({"platform-version": "2.3"}), 'manifest.json platform-version must be "3.0"'),
    ("manifest.json", lambda m: m["modules"]["common"]["location"]["cti_global_sidebar"].update(url="phone.html"),
     "common.cti_global_sidebar: url app/phone.html does not exist"),
]


@pytest.mark.parametrize("path, breakage, problem", BREAKAGES)
def test_the_checks_catch_an_app_whose_parts_disagree(tmp_path, path, breakage, problem):
    app_dir = shutil.copytree(APP_DIR, tmp_path / "app")
    data = json.loads((app_dir / path).read_text())
    breakage(data)
    (app_dir / path).write_text(json.dumps(data))

    assert problem in check_app(app_dir)


def test_code_that_asks_for_the_secure_token_is_caught(tmp_path):
    app_dir = shutil.copytree(APP_DIR, tmp_path / "app")
    script = app_dir / "app" / "scripts" / "app.js"
    script.write_text(script.read_text() + '\nclient.iparams.get("app_token");\n')

    assert "app code mentions secure iparam 'app_token': it must only reach request headers" in check_app(app_dir)


def run(*args):
    out = StringIO()
    call_command("freshdesk_app", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_command_packs_the_app_and_prints_what_to_enter(tmp_path):
    output = run("--output", str(tmp_path / "dist" / "freshdesk_app.zip"))

    with zipfile.ZipFile(tmp_path / "dist" / "freshdesk_app.zip") as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
    assert {"manifest.json", "config/iparams.json", "config/requests.json", "app/index.html",
            "app/ticket_background.html", "app/scripts/app.js", "app/styles/images/icon.svg"} <= names
    assert manifest == MANIFEST
    assert not [n for n in names if n.startswith((".", "dist/", "node_modules/")) or "/." in n]
    assert f"Packed {len(names)} files" in output
    assert "SautiDesk address (sautidesk_host): sautidesk.example.co.ke" in output
    assert "SautiDesk app token (app_token): (create one in SautiDesk: Admin → App tokens" in output
    assert not AppToken.objects.exists()


@pytest.mark.django_db
def test_packing_twice_gives_the_same_bytes(tmp_path):
    run("--output", str(tmp_path / "a.zip"))
    run("--output", str(tmp_path / "b.zip"))

    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


@pytest.mark.django_db
def test_the_command_can_create_the_token_to_enter(tmp_path, client, agent):
    output = run("--output", str(tmp_path / "app.zip"), "--new-token", "Freshdesk (production)")

    raw = re.search(r"SautiDesk app token \(app_token\): (sdapp_\S+)", output).group(1)
    assert AppToken.objects.get().name == "Freshdesk (production)"
    response = client.post(f"/api/freshdesk-app/agents/{agent.freshdesk_agent_id}/session/",
                           HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_command_refuses_to_pack_an_inconsistent_app(tmp_path):
    app_dir = shutil.copytree(APP_DIR, tmp_path / "app")
    (app_dir / "config" / "requests.json").write_text("{}")

    with pytest.raises(CommandError, match="not consistent, nothing was packed"):
        run("--app-dir", str(app_dir), "--output", str(tmp_path / "app.zip"))
    assert not (tmp_path / "app.zip").exists()


@pytest.mark.django_db
def test_the_command_warns_when_freshworks_could_not_reach_sautidesk(tmp_path, settings):
    settings.PUBLIC_BASE_URL = "http://10.0.0.5:8000"

    output = run("--output", str(tmp_path / "app.zip"))

    assert "PUBLIC_BASE_URL is not an https:// address" in output
