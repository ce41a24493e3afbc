"""The compose stack of the repository's Dockerfile and docker-compose.yml, up once for the module's tests.

The `compose_stack` fixture gets a Docker engine (engine.py: installed and started if need be; skipped
locally, failed under CI=true where Docker cannot run), the base images (base_images.py: pulled, or stand-ins
built from Debian), builds the project's image, brings the stack up under a project name of its own on free
loopback ports (IDP_PORT, API_PORT) and waits until every service is healthy. Whatever happens, it ends with
`down -v --remove-orphans` and fails if anything of the project is left. What it did, and how long each step
took, is printed in the test session's summary.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.project.chromium import missing_dependency
from tests.project.compose.base_images import BaseImage, base_image_tags, ensure_base_images
from tests.project.compose.engine import CommandFailed, Engine, EngineUnavailable, ensure_engine, run
from tests.project.stack import REPO
from tests.support.loopback import free_port

COMPOSE_FILE = REPO / "docker-compose.yml"
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
BUILD_TIMEOUT = 900.0
UP_TIMEOUT = 300.0
HEALTHY_TIMEOUT = 240.0
DOWN_TIMEOUT = 180.0

_NOTES: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _NOTES:
        terminalreporter.section("docker compose stack")
        for note in _NOTES:
            terminalreporter.write_line(note)


@dataclass
class ComposeStack:
    engine: Engine
    project: str
    idp_port: int
    api_port: int
    env: dict[str, str]
    base_images: list[BaseImage]
    volumes: set[str] = field(default_factory=set)  # every volume its containers mounted

    @property
    def idp_url(self) -> str:
        return f"http://localhost:{self.idp_port}"

    @property
    def api_url(self) -> str:
        return f"http://localhost:{self.api_port}"

    def compose(self, *args: str, timeout: float, check: bool = True) -> Any:
        argv = [*self.engine.compose, "--project-name", self.project, "--file", str(COMPOSE_FILE), *args]
        return run(argv, timeout, env=self.env, check=check, cwd=REPO)

    def containers(self) -> dict[str, str]:
        """service -> container id, for the project's containers, running or not (`run` ones excluded)."""
        result = self.engine.docker(
            "ps", "--all", "--filter", f"label={PROJECT_LABEL}={self.project}",
            "--filter", "label=com.docker.compose.oneoff=False",
            "--format", f'{{{{.ID}}}} {{{{.Label "{SERVICE_LABEL}"}}}}',
        )  # fmt: skip
        return {service: cid for cid, service in (line.split() for line in result.stdout.splitlines() if line)}

    def inspect(self, container: str) -> dict[str, Any]:
        data: list[dict[str, Any]] = json.loads(self.engine.docker("inspect", container).stdout)
        return data[0]

    def logs(self) -> str:
        return str(self.compose("logs", "--no-color", "--tail", "60", timeout=60, check=False).stdout)

    def leftovers(self) -> list[str]:
        """Anything of this project the daemon still has: containers, networks, volumes."""
        label = f"label={PROJECT_LABEL}={self.project}"
        found = []
        for kind, argv in {
            "container": ["ps", "--all", "--quiet", "--filter", label],
            "network": ["network", "ls", "--quiet", "--filter", label],
            "volume": ["volume", "ls", "--quiet", "--filter", label],
            "network named": ["network", "ls", "--format", "{{.Name}}", "--filter", f"name={self.project}"],
            "volume named": ["volume", "ls", "--format", "{{.Name}}", "--filter", f"name={self.project}"],
        }.items():
            found += [f"{kind} {name}" for name in self.engine.docker(*argv).stdout.split()]
        remaining = set(self.engine.docker("volume", "ls", "--format", "{{.Name}}").stdout.split())
        found += [f"volume {name} (mounted by a container)" for name in sorted(self.volumes & remaining)]
        return found

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", timeout=DOWN_TIMEOUT)


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    started = time.monotonic()
    try:
        engine = ensure_engine(tmp_path_factory.mktemp("docker"))
    except EngineUnavailable as exc:
        missing_dependency(f"Docker cannot run on this machine, so the compose stack is not tested: {exc}")
    _NOTES.extend(engine.notes)
    _timed("Docker engine (installed if missing, started if stopped)", started)
    yield engine
    engine.close()


def _timed(what: str, started: float) -> None:
    _NOTES.append(f"{what}: {time.monotonic() - started:.0f} s")


def _project_env(engine: Engine, idp_port: int, api_port: int) -> dict[str, str]:
    """The engine's environment with the ports the compose file reads and no COMPOSE_* of a developer's."""
    env = {name: value for name, value in engine.env.items() if not name.startswith("COMPOSE_")}
    return {**env, "IDP_PORT": str(idp_port), "API_PORT": str(api_port)}


@pytest.fixture(scope="module")
def compose_stack(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeStack]:
    services: dict[str, dict[str, Any]] = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    builds = built_images(services)
    started = time.monotonic()
    tags = base_image_tags([dockerfile for _, dockerfile in builds.values()], services)
    base_images = ensure_base_images(engine, tags, tmp_path_factory.mktemp("base"))
    _NOTES.extend(f"{image.tag}: {image.origin}" for image in base_images)
    if any(image.origin.startswith("stand-in") for image in base_images):
        _NOTES.append(
            "The official base images could not be pulled: stand-ins with their tags, built from a Debian "
            "minbase rootfs (tests/project/compose/standins), ran the stack."
        )
    _timed("base images", started)

    # compose cannot give a build the host's network (where the package registries are reached), so the
    # compose file's image is built here, from the same Dockerfile and context, and `up` does not build.
    started = time.monotonic()
    for tag, (context, dockerfile) in sorted(builds.items()):
        replaced = engine.image_id(tag)
        engine.docker(
            "build", "--network", "host", "--file", str(dockerfile), "--tag", tag, str(context), timeout=BUILD_TIMEOUT
        )  # fmt: skip
        if replaced is not None and replaced != engine.image_id(tag):
            # The image this build replaced would pile up untagged, run after run (unless a container uses it).
            engine.docker("image", "rm", replaced, check=False)
    _timed("project image build", started)

    env = _project_env(engine, free_port(), free_port())
    stack = ComposeStack(
        engine, f"jwkstest{uuid.uuid4().hex[:10]}", int(env["IDP_PORT"]), int(env["API_PORT"]), env, base_images
    )
    try:
        started = time.monotonic()
        stack.compose("up", "--detach", "--no-build", timeout=UP_TIMEOUT)
        wait_until_healthy(stack)
        _timed("up until healthy", started)
        yield stack
    finally:
        started = time.monotonic()
        stack.down()
        _timed("down", started)
        left = stack.leftovers()
        assert not left, f"compose down left {left}"


def built_images(services: dict[str, dict[str, Any]]) -> dict[str, tuple[Path, Path]]:
    """image tag -> (build context, Dockerfile) of the services the compose file builds."""
    images = {}
    for service in services.values():
        if "build" in service:
            build = service["build"] if isinstance(service["build"], dict) else {"context": service["build"]}
            context = REPO / str(build.get("context", "."))
            images[str(service["image"])] = (context, context / str(build.get("dockerfile", "Dockerfile")))
    return images


def wait_until_healthy(stack: ComposeStack) -> None:
    """Poll every service's healthcheck until all are healthy; fail at once if one is unhealthy or exits."""
    deadline = time.monotonic() + HEALTHY_TIMEOUT
    while True:
        states = {}
        for service, container in stack.containers().items():
            details = stack.inspect(container)
            stack.volumes |= {mount["Name"] for mount in details["Mounts"] if mount.get("Name")}
            state = details["State"]
            states[service] = state["Health"]["Status"] if "Health" in state else state["Status"]
            if state["Status"] == "exited" or states[service] == "unhealthy":
                raise CommandFailed(f"{service} is {states[service]}:\n{stack.logs()}")
        if states and all(status == "healthy" for status in states.values()):
            return
        if time.monotonic() > deadline:
            raise CommandFailed(f"not healthy within {HEALTHY_TIMEOUT:.0f} s: {states}\n{stack.logs()}")
        time.sleep(1)
