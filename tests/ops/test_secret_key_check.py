"""No known secrets in production: without SECRET_KEY, `manage.py check` (and so `migrate`) stops.

Sandbox mode (`./scripts/run` writes SANDBOX_MODE=on) and DEBUG run on a throwaway key; the test
settings set their own. Each case runs in a fresh process with only the environment given.
"""

import subprocess
import sys

import pytest

from tests.ops.test_deploy_check import PRODUCTION, ROOT


def check(**changes):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", **PRODUCTION, **changes}
    env = {name: value for name, value in env.items() if value is not None}
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_check_fails_without_a_secret_key_in_production(secret_key):
    result = check(SECRET_KEY=secret_key)

    assert result.returncode == 1
    assert "(sautidesk.E020) SECRET_KEY is not set" in result.stderr


def test_check_passes_with_a_secret_key():
    result = check()

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("mode", [{"SANDBOX_MODE": "on"}, {"DEBUG": "on"}], ids=["sandbox", "debug"])
def test_sandbox_mode_and_debug_run_without_one(mode):
    result = check(SECRET_KEY=None, **mode)

    assert result.returncode == 0, result.stderr
    assert "SECRET_KEY" not in result.stderr
