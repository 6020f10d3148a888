""".env.example lists every variable SautiDesk reads, each with a comment, and loads as-is."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / ".env.example"

CONTRACT = ROOT / "docs" / "contract.md"


def contract_variables():
    """The variables in the first column of the table in contract §2."""
    section = CONTRACT.read_text().split("## §2 ", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)}


def documented():
    """Variable → the comment line just above it (commented-out variables count)."""
    lines = EXAMPLE.read_text().splitlines()
    found = {}
    for index, line in enumerate(lines):
        match = re.match(r"^#? ?([A-Z][A-Z0-9_]+)=", line)
        if match:
            above = lines[index - 1] if index else ""
            found[match.group(1)] = above.lstrip("#").strip() if above.startswith("#") else ""
    return found


def read_by_settings():
    source = (ROOT / "sautidesk" / "settings.py").read_text()
    return set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", source))


def test_every_variable_is_listed_with_a_comment():
    listed = documented()
    wanted = contract_variables() | read_by_settings()

    assert wanted - set(listed) == set()
    assert [name for name in wanted if not listed[name]] == []


def test_the_contract_lists_the_variables_it_is_known_for():
    assert {"SAUTIKIT_WEBHOOK_SECRET", "FRESHDESK_API_KEY", "PUBLIC_BASE_URL", "BUSINESS_HOURS",
            "SECRET_KEY", "ALLOWED_HOSTS"} <= contract_variables()
    assert contract_variables() <= read_by_settings()


def test_example_loads_in_the_shell_as_the_run_script_does():
    result = subprocess.run(
        ["bash", "-c", 'set -euo pipefail; set -a; source "$1"; set +a; printf %s "$BUSINESS_HOURS"',
         "bash", str(EXAMPLE)],
        capture_output=True, text=True, timeout=30,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "mon-fri 08:00-18:00; sat 09:00-13:00"
