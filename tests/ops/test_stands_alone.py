"""The repository stands on its own: nothing points outside it, and its documents' links work."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = re.compile(r"\.\./" + "shared|/" + "work/")  # split, so this file does not match itself
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.fixture(scope="module")
def project_files():
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    return [ROOT / name for name in listed.stdout.decode().split("\0") if name and (ROOT / name).is_file()]


def test_no_file_refers_to_a_folder_beside_or_above_the_checkout(project_files):
    found = []
    for path in project_files:
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue  # pictures
        found += [f"{path.relative_to(ROOT)}:{n}" for n, line in enumerate(text.splitlines(), 1)
                  if OUTSIDE.search(line)]
    assert found == []


def test_relative_links_in_the_documents_lead_to_files_of_the_project(project_files):
    broken = []
    for doc in (p for p in project_files if p.suffix == ".md"):
        for target in LINK.findall(doc.read_text()):
            if not re.match(r"^[a-z]+:", target) and not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} → {target}")
    assert broken == []
