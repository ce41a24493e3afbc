"""Tests of scripts/release_check.py (make release-check), run by make lint:

    python -m pytest scripts/test_release_check.py

Each test writes a jwks_auth/__init__.py and a CHANGELOG.md into a temporary
directory; the tag tests make a real git repository there and tag its HEAD.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("release_check", Path(__file__).with_name("release_check.py"))
assert _spec and _spec.loader
release_check = importlib.util.module_from_spec(_spec)
sys.modules["release_check"] = release_check  # its dataclass looks its module up there
_spec.loader.exec_module(release_check)

DATED = "## [1.2.0] - 2026-12-01\n\n### Added\n- A thing.\n\n## [1.1.0] - 2026-10-02\n\n### Fixed\n- Another.\n"


def make_project(root: Path, version: str = "1.2.0", changelog: str = DATED) -> Path:
    (root / "jwks_auth").mkdir(parents=True, exist_ok=True)
    (root / "jwks_auth" / "__init__.py").write_text(f'"""The app."""\n\n__version__ = "{version}"\n')
    (root / "CHANGELOG.md").write_text(f"# Changelog\n\nIntroduction.\n\n{changelog}")
    return root


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
        timeout=30,
    )


def tagged_repository(root: Path, tag: str, **project: str) -> Path:
    make_project(root, **project)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "release")
    git(root, "tag", tag)
    return root


def test_version_and_newest_section_agree(tmp_path: Path) -> None:
    assert release_check.problems(make_project(tmp_path), []) == []


def test_an_unreleased_section_passes_until_a_tag_is_made(tmp_path: Path) -> None:
    root = make_project(tmp_path, changelog=DATED.replace("2026-12-01", "unreleased"))
    assert release_check.problems(root, []) == []
    assert release_check.problems(root, ["v1.2.0"]) == [
        "CHANGELOG.md:5: 1.2.0 is still 'unreleased': give it the release date"
    ]


def test_an_unreleased_heading_above_the_version_is_allowed(tmp_path: Path) -> None:
    root = make_project(tmp_path, changelog="## [Unreleased]\n\n- Soon.\n\n" + DATED)
    assert release_check.problems(root, ["v1.2.0"]) == []


def test_a_matching_tag_and_a_dated_section_pass(tmp_path: Path) -> None:
    assert release_check.problems(make_project(tmp_path), ["v1.2.0"]) == []


def test_a_tag_of_another_version_is_refused(tmp_path: Path) -> None:
    found = release_check.problems(make_project(tmp_path), ["v1.2.1"])
    assert found == ["tag v1.2.1 does not match the version 1.2.0 (expected v1.2.0)"]


def test_a_tag_without_the_v_is_refused(tmp_path: Path) -> None:
    assert release_check.problems(make_project(tmp_path), ["1.2.0"]) != []


def test_a_version_bump_without_its_section_is_refused(tmp_path: Path) -> None:
    found = release_check.problems(make_project(tmp_path, version="1.3.0"), [])
    assert found == ["CHANGELOG.md: no section for 1.3.0 (## [1.3.0] - YYYY-MM-DD)"]


def test_the_version_must_be_the_newest_section(tmp_path: Path) -> None:
    found = release_check.problems(make_project(tmp_path, version="1.1.0"), ["v1.1.0"])
    assert found == ["CHANGELOG.md:5: the newest section is 1.2.0, not the version 1.1.0"]


def test_two_sections_for_one_version_are_refused(tmp_path: Path) -> None:
    root = make_project(tmp_path, changelog=DATED + "\n## [1.2.0] - 2026-09-01\n")
    assert release_check.problems(root, []) == ["CHANGELOG.md: 2 sections for 1.2.0 (lines 5, 15)"]


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("## [1.2.0]", "CHANGELOG.md:5: the heading of 1.2.0 has no date (' - YYYY-MM-DD')"),
        ("## [1.2.0] - 2026-13-01", "CHANGELOG.md:5: the date of 1.2.0 is '2026-13-01', not YYYY-MM-DD or unreleased"),
        ("## [1.2.0] - soon", "CHANGELOG.md:5: the date of 1.2.0 is 'soon', not YYYY-MM-DD or unreleased"),
    ],
)
def test_a_heading_without_a_real_date_is_refused(tmp_path: Path, heading: str, expected: str) -> None:
    root = make_project(tmp_path, changelog=DATED.replace("## [1.2.0] - 2026-12-01", heading))
    assert release_check.problems(root, []) == [expected]


@pytest.mark.parametrize("version", ["1.2", "v1.2.0", "1.2.0.dev1", "1.2.0-rc.1", " 1.2.0"])
def test_a_version_that_is_not_x_y_z_is_refused(tmp_path: Path, version: str) -> None:
    found = release_check.problems(make_project(tmp_path, version=version), [])
    assert f"__version__ {version!r} is not X.Y.Z" in found[0]


@pytest.mark.parametrize("version", ["1.2.0", "1.2.0rc1", "10.0.3b2"])
def test_final_and_pre_release_versions_are_accepted(tmp_path: Path, version: str) -> None:
    root = make_project(tmp_path, version=version, changelog=DATED.replace("1.2.0", version))
    assert release_check.problems(root, [f"v{version}"]) == []


def test_no_version_string_is_refused(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "jwks_auth" / "__init__.py").write_text(
        "from importlib.metadata import version\n__version__ = version('x')\n"
    )
    assert release_check.problems(root, []) == ["jwks_auth/__init__.py: no __version__ = '...' string"]


def test_the_tags_on_head_are_checked_when_none_is_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tagged_repository(tmp_path, "v1.2.1")
    assert release_check.head_tags(root) == ["v1.2.1"]
    assert release_check.main(["--root", str(root)]) == 1
    assert "release-check: tag v1.2.1 does not match the version 1.2.0" in capsys.readouterr().err


def test_other_tags_on_head_are_not_release_tags(tmp_path: Path) -> None:
    root = tagged_repository(tmp_path, "bench-2026-12")
    assert release_check.head_tags(root) == []
    assert release_check.main(["--root", str(root)]) == 0


def test_a_given_tag_wins_over_head(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tagged_repository(tmp_path, "v1.2.1")
    assert release_check.main(["--root", str(root), "--tag", "v1.2.0"]) == 0
    assert capsys.readouterr().out == "release-check: 1.2.0: jwks_auth.__version__, CHANGELOG.md, v1.2.0 agree\n"


def test_outside_a_git_checkout_there_is_no_tag(tmp_path: Path) -> None:
    assert release_check.head_tags(make_project(tmp_path)) == []


def test_the_command_line_exit_status(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    script = str(Path(__file__).with_name("release_check.py"))
    ok = subprocess.run(
        [sys.executable, script, "--root", str(root), "--tag", "v1.2.0"], capture_output=True, timeout=60
    )
    refused = subprocess.run(
        [sys.executable, script, "--root", str(root), "--tag", "v9"], capture_output=True, timeout=60
    )
    assert (ok.returncode, refused.returncode) == (0, 1)
    assert refused.stderr.decode() == "release-check: tag v9 does not match the version 1.2.0 (expected v1.2.0)\n"
