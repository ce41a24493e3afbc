"""The matrix: jwks_auth's own suite against the built wheel, on each supported Python x Django x DRF.

    nox                      # build once, then every session (make test runs this)
    nox -s "lib(py3.13-django6.1-drf3.18)"

The ``build`` session makes the sdist, builds the wheel from it (so a file
missing from the sdist breaks the build) and runs ``twine check`` on both.
Each ``lib`` session installs that wheel, never the source tree, with the
versions of its row, copies ``tests/`` (without ``tests/project``) and
``pytest.ini`` to a temporary directory and runs pytest there, so the
repository's ``jwks_auth/`` is not on ``sys.path``; ``tests/test_package.py``
asserts that ``jwks_auth`` comes from site-packages.

A missing interpreter skips its session and the summary names it; with
``CI`` set it fails the run. Interpreters are found on PATH, else under
pyenv's versions directory (``pyenv prefix 3.13.0``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
DIST = ROOT / ".nox" / "_dist"

nox.options.sessions = ["build", "lib", "fresh-clone(py3.13-django6.1)"]
nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = bool(os.environ.get("CI"))
nox.options.reuse_existing_virtualenvs = True


@dataclass(frozen=True)
class Row:
    python: str
    django: str
    drf: str
    pins: tuple[str, ...]
    markers: str  # pytest -m
    label: str


# The oldest row installs exactly the lower bounds declared in pyproject.toml.
OLDEST = (
    "cryptography==42.0.0",
    "urllib3==2.0.7",
    "requests==2.32.3",
    "redis==5.0.0",
    "drf-spectacular==0.28.0",
    "prometheus-client==0.20.0",
    "opentelemetry-api==1.20.0",
    "opentelemetry-sdk==1.20.0",
)
CURRENT = (
    "cryptography==50.0.2",
    "requests==2.34.2",
    "redis==8.1.0",
    "drf-spectacular==0.30.0",
    "prometheus-client==0.26.0",
    "opentelemetry-api==1.45.2",
    "opentelemetry-sdk==1.45.2",
)
ROWS = [
    Row("3.11", "Django==5.2", "djangorestframework==3.15.2", OLDEST, "not slow", "django5.2-drf3.15"),
    Row("3.12", "Django==6.0.10", "djangorestframework==3.17.2", CURRENT, "not slow", "django6.0-drf3.17"),
    # The newest row runs the whole library suite: worker processes, Redis and the PyPI page's snippet.
    Row("3.13", "Django==6.1.3", "djangorestframework==3.18.3", CURRENT, "", "django6.1-drf3.18"),
]
# The test tools, at the versions requirements-dev.txt / requirements.txt pin.
TOOLS = ("pytest", "pytest-django", "pytest-xdist", "hypothesis", "pytest-timeout", "gunicorn", "uvicorn")


def _pins(names: tuple[str, ...]) -> list[str]:
    found = {}
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            match = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)", line.strip())
            if match:
                found[match.group(1).lower()] = f"{match.group(1)}=={match.group(3)}"
    missing = [name for name in names if name not in found]
    if missing:
        raise RuntimeError(f"not pinned in requirements*.txt: {', '.join(missing)}")
    return [found[name] for name in names]


def _works(python: str) -> bool:
    try:
        return subprocess.run([python, "-c", "pass"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _find_pyenv_interpreters() -> None:
    """Put pyenv's X.Y builds on PATH when PATH has no working pythonX.Y (a shim that refuses counts as none)."""
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    versions = Path(root) / "versions"
    extra = []
    for row in ROWS:
        name = f"python{row.python}"
        on_path = shutil.which(name)
        if on_path and _works(on_path):
            continue
        builds = sorted(
            versions.glob(f"{row.python}.*/bin/{name}"),
            key=lambda p: [int(part) if part.isdigit() else 0 for part in p.parts[-3].split(".")],
        )
        if builds:
            extra.append(str(builds[-1].parent))
    if extra:
        os.environ["PATH"] = os.pathsep.join([*extra, os.environ.get("PATH", "")])


_find_pyenv_interpreters()


@nox.session(python=False)
def build(session: nox.Session) -> None:
    """sdist, then the wheel from the sdist, then twine check (build and twine: requirements-dev.txt)."""
    shutil.rmtree(DIST, ignore_errors=True)
    # nox's own interpreter: build and twine are pinned next to nox in requirements-dev.txt.
    session.run(sys.executable, "-m", "build", "--outdir", str(DIST), str(ROOT), external=True)
    session.run(sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(DIST.iterdir())), external=True)
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    for egg_info in ROOT.glob("*.egg-info"):
        shutil.rmtree(egg_info)


def _wheel() -> Path:
    wheels = sorted(DIST.glob("django_jwks_auth-*.whl"))
    if not wheels:
        raise RuntimeError(f"no wheel in {DIST}: run the build session first (nox -s build)")
    return wheels[-1]


def _suite(session: nox.Session) -> Path:
    """tests/ without the sample project's suite, plus pytest.ini, in a directory of the session's own."""
    # Outside the repository: nothing above it may hold a manage.py or a jwks_auth/ to shadow the wheel.
    target = Path(tempfile.gettempdir()) / "django-jwks-auth-nox" / re.sub(r"[^\w.-]+", "-", session.name)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("project", "__pycache__", "*.pyc", ".hypothesis")
    shutil.copytree(ROOT / "tests", target / "tests", ignore=ignore)
    shutil.copy2(ROOT / "pytest.ini", target / "pytest.ini")
    # The README snippet test runs the package README's snippet.
    shutil.copy2(ROOT / "jwks_auth" / "README.md", target / "package-README.md")
    # The documentation's pages: tests/docs runs their code against the wheel,
    # tests/validation/test_reasons.py checks that every reason code is documented, and
    # tests/testing/test_docs_example.py runs the testing kit's page's example project.
    shutil.copytree(
        ROOT / "docs", target / "docs", ignore=shutil.ignore_patterns("_build", "screenshots", "__pycache__")
    )
    return target


@nox.session(requires=["build"])
@nox.parametrize(
    "python,django,drf,pins,markers",
    [
        nox.param(row.python, row.django, row.drf, row.pins, row.markers, id=f"py{row.python}-{row.label}")
        for row in ROWS
    ],
)
def lib(session: nox.Session, django: str, drf: str, pins: tuple[str, ...], markers: str) -> None:
    """The library's suite against the installed wheel."""
    wheel = _wheel()
    session.install(f"{wheel}[redis,openapi,metrics,tracing,ninja,adrf]", django, drf, *pins, *_pins(TOOLS))
    # A reused venv already has a django-jwks-auth of the same version: this run's wheel replaces it.
    session.install("--force-reinstall", "--no-deps", str(wheel))
    suite = _suite(session)
    session.chdir(suite)
    session.run(
        "python",
        "-c",
        "import django, rest_framework, jwks_auth; "
        "print('jwks_auth', jwks_auth.__version__, 'from', jwks_auth.__file__, '| Django', "
        "django.get_version(), '| DRF', rest_framework.VERSION)",
    )
    args = ["-m", markers] if markers else []
    session.run(
        "python",
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        *args,
        *session.posargs,
        env={
            "JWKS_AUTH_TESTS_INSTALLED": "1",
            "JWKS_AUTH_WHEEL": str(wheel),
            "JWKS_AUTH_PACKAGE_README": str(suite / "package-README.md"),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
    )


@nox.session(python="3.13", name="fresh-clone(py3.13-django6.1)")
def fresh_clone(session: nox.Session) -> None:
    """The sample project as a fresh clone on the newest Django: migrate, check (both settings), no make, no var/."""
    target = Path(tempfile.gettempdir()) / "django-jwks-auth-nox" / "fresh-clone"
    shutil.rmtree(target, ignore_errors=True)
    # The committed tree only (git archive), as `git clone` would give it.
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    pins = [
        line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#") and not line.lower().startswith("django==")
    ]
    session.install(*pins, "Django==6.1.3")
    session.chdir(target)
    env = {"OIDC_ISSUER": "https://login.example.com", "OIDC_AUDIENCE": "my-api", "DJANGO_SETTINGS_MODULE": None}
    # The idp's checks need its signing key (idp.E001): the one step the README asks for first.
    session.run("python", "manage.py", "create_signing_cert", "--settings=idp.settings", env=env)
    # Each command on its own, without var/ (Django 6.1 runs database checks against every database).
    for command in (
        ["check"],
        ["check", "--settings=idp.settings"],
        ["migrate", "--noinput", "-v0"],
        ["migrate", "--noinput", "-v0", "--settings=idp.settings"],
    ):
        shutil.rmtree(target / "var", ignore_errors=True)
        session.run("python", "manage.py", *command, env=env)
