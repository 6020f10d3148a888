"""Sandbox mode from a newcomer's clone: `./scripts/run` sets it up so that every `manage.py`
command works the same in a second terminal, and hands out a first supervisor login.

The project's files are copied into an empty folder (no .env, no database), beside this
suite's installed packages, and `./scripts/run --setup-only` runs there with a bare
environment: no credentials, no test settings.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def bare_env(**extra):
    """A new terminal: no SautiDesk variable, nothing from the test settings."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, **extra}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: cannot tell the project's files from local ones")
    target = tmp_path_factory.mktemp("newcomer") / "sautidesk"
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    # This suite's packages, read-only: a venv whose lib/ is this one's, marked as installed
    # (scripts/venv.sh's stamp) so that no pip runs and nothing is written outside the copy.
    venv = target / ".venv"
    (venv / "bin").mkdir(parents=True)
    shutil.copy(Path(sys.prefix) / "pyvenv.cfg", venv / "pyvenv.cfg")
    (venv / "lib").symlink_to(Path(sys.prefix) / "lib")
    (venv / "bin" / "python").symlink_to(Path(sys.prefix) / "bin" / "python")
    digest = subprocess.run(["bash", "-c", "cat requirements*.txt | sha256sum | cut -d' ' -f1"],
                            cwd=target, env=bare_env(), capture_output=True, text=True, check=True).stdout
    (venv / ".installed-requirements.txt").write_text(digest)
    return target


def run(checkout, *args, **env):
    return subprocess.run(args, cwd=checkout, env=bare_env(**env), capture_output=True, text=True, timeout=300)


def manage(checkout, *args, **env):
    return run(checkout, ".venv/bin/python", "manage.py", *args, **env)


@pytest.fixture(scope="module")
def set_up(checkout):
    result = run(checkout, "./scripts/run", "--setup-only")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_run_without_credentials_writes_sandbox_mode_into_env_and_says_so(checkout, set_up):
    assert "SANDBOX MODE" in set_up
    assert "the sandbox settings were written into .env" in set_up
    env_file = (checkout / ".env").read_text()
    assert "SANDBOX_MODE=on" in env_file and "FRESHDESK_BASE_URL=http://127.0.0.1:8101" in env_file
    assert re.search(r"^SECRET_KEY=\S{40,}$", env_file, re.M)


def test_manage_py_works_in_a_second_terminal(checkout, set_up):
    check = manage(checkout, "check")
    assert check.returncode == 0, check.stderr
    assert "System check identified no issues" in check.stdout

    created = manage(checkout, "createsuperuser", "--noinput", "--username", "amina",
                     "--email", "amina@example.co.ke", DJANGO_SUPERUSER_PASSWORD="pw-second-terminal")
    assert created.returncode == 0, created.stderr
    assert "Superuser created successfully." in created.stdout


def test_the_first_supervisor_login_printed_by_run_works(checkout, set_up):
    username, password = re.search(r"Supervisor login created: (\S+) / (\S+)", set_up).groups()

    script = ("from django.contrib.auth import authenticate as a; from django.test import RequestFactory; "
              f"u = a(RequestFactory().post('/admin/login/'), username={username!r}, password={password!r}); "
              "print(u.is_superuser, u.agent_phone.freshdesk_agent_id)")
    result = manage(checkout, "shell", "--verbosity", "0", "-c", script)

    assert result.stdout.split() == ["True", "101"], result.stderr


def test_a_second_run_keeps_env_and_login_as_they_are(checkout, set_up):
    again = run(checkout, "./scripts/run", "--setup-only")

    assert again.returncode == 0, again.stderr
    assert "Supervisor login: admin (made earlier" in again.stdout
    assert "written into .env" not in again.stdout
    assert (checkout / ".env").read_text().count("SANDBOX_MODE=on") == 1


def test_deploy_check_refuses_sandbox_mode(checkout, set_up):
    result = manage(checkout, "check", "--deploy")

    assert result.returncode != 0
    assert "sautidesk.E013" in result.stderr and "SANDBOX_MODE is on" in result.stderr


def test_the_embedded_broker_keeps_its_files_under_var(checkout, set_up):
    # `inspect` broadcasts to the workers: the filesystem transport writes its exchange table.
    manage_celery = run(checkout, ".venv/bin/python", "-m", "celery", "-A", "sautidesk", "inspect", "ping",
                        "--timeout", "0.5")

    assert "No nodes replied" in manage_celery.stdout + manage_celery.stderr
    assert (checkout / "var" / "broker" / "control").is_dir()
    assert not (checkout / "control").exists()
