"""The base images the project's Dockerfile and compose file name: pulled where a registry answers, else stand-ins.

The stand-ins carry the official tags (python:3.11-slim, node:20-slim, redis:7-alpine), so the repository's
Dockerfile and docker-compose.yml build and run unchanged. They are built from a `debootstrap --variant=minbase`
rootfs of the host's Debian release, from the apt archive this machine already uses, with the host's added CA
certificates and its apt, pip and npm settings copied into the build context (a temporary directory: none of
the host's files is committed). A stand-in is labelled STAND_IN_LABEL and kept by the daemon between runs:
it is built again only when its tag is missing, and gives way to the official image once one can be pulled.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.project.compose.engine import CommandFailed, Engine, run

RECIPES = Path(__file__).resolve().parent / "standins"
STAND_IN_LABEL = "org.jwks-sample.stand-in"
# tag -> the recipe in standins/ that builds its stand-in
STAND_INS = {
    "python:3.11-slim": "python.Dockerfile",
    "node:20-slim": "node.Dockerfile",
    "redis:7-alpine": "redis.Dockerfile",
}
PULL_TIMEOUT = 300.0
DEBOOTSTRAP_TIMEOUT = 600.0
BUILD_TIMEOUT = 600.0
IMPORT_TIMEOUT = 300.0

# Host files that make package managers inside a build behave as on the host: the apt sources, apt settings
# (proxies, release validity), added CA certificates, and pip's and npm's configuration.
_HOST_FILES = ("/etc/apt/sources.list", "/etc/pip.conf", "/etc/npmrc", "/usr/etc/npmrc")
_HOST_GLOBS = (
    ("/etc/apt/sources.list.d", "*.list"),
    ("/etc/apt/sources.list.d", "*.sources"),
    ("/etc/apt/trusted.gpg.d", "*"),
    ("/usr/local/share/ca-certificates", "**/*.crt"),
    ("/etc/xdg/pip", "*"),
)
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")


@dataclass(frozen=True)
class BaseImage:
    tag: str
    origin: str  # "present", "pulled", "stand-in (built)" or "stand-in (kept from an earlier run)"


def base_image_tags(dockerfiles: list[Path], compose_services: dict[str, dict[str, object]]) -> list[str]:
    """The images the Dockerfiles start FROM (not their own stages) and the services that are not built."""
    tags: list[str] = []
    for dockerfile in dockerfiles:
        stages: set[str] = set()
        text = dockerfile.read_text()
        for match in re.finditer(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.MULTILINE | re.IGNORECASE):
            if match.group(1) not in stages:
                tags.append(match.group(1))
            if match.group(2):
                stages.add(match.group(2))
    for service in compose_services.values():
        if "build" not in service and isinstance(service.get("image"), str):
            tags.append(str(service["image"]))
    return list(dict.fromkeys(tags))


def ensure_base_images(engine: Engine, tags: list[str], workdir: Path) -> list[BaseImage]:
    """Each tag present locally afterwards: as it was, pulled, or built as a stand-in.

    A stand-in kept from an earlier run gives way to the official image once a pull succeeds; after one
    failed pull the run tries no other (a registry that cannot be reached would only cost each its timeout).
    """
    images = []
    registry_unreachable = False
    for tag in tags:
        present = engine.has_image(tag)
        stand_in = present and bool(engine.image_label(tag, STAND_IN_LABEL))
        if present and not stand_in:
            origin = "present"
        elif not registry_unreachable and _pull(engine, tag):
            origin = "pulled"
        else:
            registry_unreachable = True
            if not stand_in:
                build_stand_in(engine, tag, workdir)
            origin = "stand-in (built)" if not stand_in else "stand-in (kept from an earlier run)"
        images.append(BaseImage(tag, origin))
    return images


def _pull(engine: Engine, tag: str) -> bool:
    try:
        return engine.docker("pull", "--quiet", tag, timeout=PULL_TIMEOUT, check=False).returncode == 0
    except CommandFailed:  # timed out
        return False


def build_stand_in(engine: Engine, tag: str, workdir: Path) -> None:
    recipe = STAND_INS.get(tag)
    if recipe is None:
        raise CommandFailed(f"{tag} cannot be pulled and tests/project/compose/standins has no stand-in for it")
    base = ensure_debian_base(engine, workdir)
    context = workdir / f"context-{recipe.split('.')[0]}"
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    shutil.copy2(RECIPES / recipe, context / "Dockerfile")
    for helper in RECIPES.glob("*.sh"):
        shutil.copy2(helper, context / helper.name)
    copy_host_configuration(context / "host")
    proxies = [arg for name in _PROXY_VARIABLES if name in engine.env for arg in ("--build-arg", name)]
    engine.docker(
        "build", "--network", "host", "--build-arg", f"BASE={base}", *proxies,
        "--label", f"{STAND_IN_LABEL}=debootstrap {debian_codename()} minbase, Debian packages",
        "--tag", tag, str(context),
        timeout=BUILD_TIMEOUT,
    )  # fmt: skip


def debian_codename() -> str:
    os_release = Path("/etc/os-release").read_text()
    match = re.search(r"^VERSION_CODENAME=\"?([a-z]+)", os_release, re.MULTILINE)
    if match is None:
        raise CommandFailed("stand-ins are built on Debian: /etc/os-release names no VERSION_CODENAME")
    return match.group(1)


def ensure_debian_base(engine: Engine, workdir: Path) -> str:
    """The minbase rootfs of the host's Debian release as an image (built once, kept by its tag)."""
    codename = debian_codename()
    tag = f"jwks-sample-stand-in/debian:{codename}"
    if engine.has_image(tag):
        return tag
    rootfs = workdir / "rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)
    run(["debootstrap", "--variant=minbase", codename, str(rootfs), debian_mirror(codename)], DEBOOTSTRAP_TIMEOUT)
    # As Debian's official images: no services start during package installs, no package caches are kept.
    policy = rootfs / "usr" / "sbin" / "policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for entry in (rootfs / cache).glob("*"):
            if entry.is_file():
                entry.unlink()
    with subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE) as tar:
        assert tar.stdout is not None
        run(
            ["docker", "import", "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
             "--change", 'CMD ["bash"]', "-", tag],
            IMPORT_TIMEOUT, env=engine.env, stdin=tar.stdout,
        )  # fmt: skip
        tar.wait(timeout=IMPORT_TIMEOUT)
    shutil.rmtree(rootfs, ignore_errors=True)
    return tag


def debian_mirror(codename: str) -> str:
    """The host's archive for `codename` (deb822 .sources or one-line .list), as apt uses it."""
    sources = Path("/etc/apt/sources.list.d")
    texts = [path.read_text() for path in sorted(sources.glob("*.sources"))] if sources.is_dir() else []
    for text in texts:
        for stanza in re.split(r"\n\s*\n", text):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.MULTILINE)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.MULTILINE)
            if uris and suites and codename in suites.group(1).split():
                return uris.group(1)
    lists = [Path("/etc/apt/sources.list"), *sorted(sources.glob("*.list"))] if sources.is_dir() else []
    for path in lists:
        if path.is_file():
            match = re.search(rf"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+{codename}\s", path.read_text(), re.MULTILINE)
            if match:
                return match.group(1)
    return "http://deb.debian.org/debian"


def copy_host_configuration(destination: Path) -> None:
    """Copy the host's package-manager settings and added CA certificates under `destination`, paths kept."""
    destination.mkdir(parents=True, exist_ok=True)
    paths = [Path(name) for name in _HOST_FILES]
    paths += [path for folder, pattern in _HOST_GLOBS for path in sorted(Path(folder).glob(pattern))]
    conf = Path("/etc/apt/apt.conf.d")
    if conf.is_dir():  # only the network settings: proxies, release validity, timeouts
        paths += [path for path in sorted(conf.iterdir()) if path.is_file() and "Acquire" in path.read_text()]
    for path in paths:
        if path.is_file():
            target = destination / path.relative_to("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
