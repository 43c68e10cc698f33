"""The deployment files: the Procfile's commands run as a host runs them (a real process against
the fake Bot API, stopped with SIGTERM), the Dockerfile starts the same command, compose.yaml's
health check passes against the real webhook process, and the systemd unit verifies.

There is no container engine on the test machines: the image itself is not built here.
"""

from __future__ import annotations

import asyncio
import configparser
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import TOKEN
from fake_bot_api import FakeBotApi
from helpers import ROOT

SPY = "What was the spy balloon incident?"
UNIT = ROOT / "deploy" / "article-qa-bot.service"
PYTHON_DIR = Path(sys.executable).parent


def procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [(kw.upper(), rest.strip()) for kw, _, rest in
            (line.partition(" ") for line in lines if line and not line.startswith("#"))]


def final_stage() -> list[tuple[str, str]]:
    steps = dockerfile()
    last_from = max(i for i, (kw, _) in enumerate(steps) if kw == "FROM")
    return steps[last_from:]


def compose_service() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    [service] = compose["services"].values()
    return dict(service)


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(UNIT.read_text())
    return parser


def test_the_procfile_runs_the_bot_and_the_web_process_listens_on_port() -> None:
    entries = procfile()
    assert entries["worker"] == "python -m bot"
    assert entries["web"] == "BOT_PORT=$PORT " + entries["worker"]


def test_procfile_hosts_find_a_requirements_file_that_installs_the_bot_alone() -> None:
    # Heroku's Python buildpack needs requirements.txt (or a lock file) to detect the app.
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert [line for line in lines if line and not line.startswith("#")] == ["."]


def test_the_image_starts_the_procfile_s_worker_command() -> None:
    steps = final_stage()
    [cmd] = [args for kw, args in steps if kw == "CMD"]
    assert " ".join(json.loads(cmd)) == procfile()["worker"]  # exec form: python is PID 1's child
    assert not [kw for kw, _ in steps if kw == "ENTRYPOINT"]


def test_the_image_is_slim_runs_unprivileged_and_keeps_state_and_cache_on_a_volume() -> None:
    steps = dockerfile()
    assert all(re.match(r"python:\$\{PYTHON_VERSION\}-slim\b", args) for kw, args in steps
               if kw == "FROM")
    final = final_stage()
    [user] = [args for kw, args in final if kw == "USER"]
    assert user not in {"root", "0"}
    [volume] = json.loads(next(args for kw, args in final if kw == "VOLUME"))
    env = " ".join(args for kw, args in final if kw == "ENV")
    for name in ("BOT_STATE_DIR", "BOT_CACHE_DIR"):
        where = re.search(rf"{name}=(\S+)", env)
        assert where is not None
        assert where.group(1).startswith(volume + "/")
    installs = [args for kw, args in steps if kw == "RUN" and "pip install" in args]
    assert installs
    assert all("--no-cache-dir" in args and "[dev]" not in args for args in installs)
    assert not [args for kw, args in final if kw == "RUN" and "apt-get" in args]


def test_the_image_installs_exactly_pyproject_s_runtime_dependencies(tmp_path: Path) -> None:
    # The build's shell command that lists them, run through sh as `docker build` runs it.
    [install] = [args for kw, args in dockerfile() if kw == "RUN" and "requirements.txt" in args]
    listing = re.search(r'python (-c "[^"]+") > /tmp/requirements.txt', install)
    assert listing is not None
    command = listing.group(1).replace("/tmp/pyproject.toml", str(ROOT / "pyproject.toml"))
    listed = subprocess.run(["sh", "-c", f"{shlex.quote(sys.executable)} {command}"],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert listed.splitlines() == project["dependencies"]
    assert "-r /tmp/requirements.txt" in install


def test_the_image_leaves_out_secrets_local_state_and_developer_files() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".env", ".env.*", ".venv", ".git", ".state", ".cache", "tests"} <= ignored
    assert not {"bot", "config", "knowledge", "pyproject.toml"} & ignored


def test_compose_serves_a_webhook_with_health_check_env_file_and_volumes() -> None:
    service = compose_service()
    assert service["build"] == "."
    assert service["env_file"] == ".env"
    env = service["environment"]
    assert "${BOT_WEBHOOK_URL:?" in env["BOT_WEBHOOK_URL"]  # compose refuses to start without
    port = env["BOT_PORT"]
    assert any(mapping.endswith(f":{port}") for mapping in service["ports"])
    test = service["healthcheck"]["test"]
    assert test[0] == "CMD"
    assert env["BOT_HEALTH_PATH"] == "/healthz"
    assert "BOT_HEALTH_PATH" in test[-1]
    assert "/healthz" in test[-1]
    targets = {volume.split(":")[1] for volume in service["volumes"]}
    [image_volume] = json.loads(next(args for kw, args in final_stage() if kw == "VOLUME"))
    assert image_volume in targets  # the journal and the cache outlive the container
    workdir = next(args for kw, args in final_stage() if kw == "WORKDIR")
    assert f"{workdir}/knowledge" in targets  # the articles, mounted over the baked-in ones


def test_the_systemd_unit_reloads_on_hup_restarts_on_failure_and_runs_as_its_own_user() -> None:
    service = unit()["Service"]
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["Restart"] == "on-failure"
    assert service["User"] not in {"root", "0"}
    assert service["ExecStart"].endswith(" " + procfile()["worker"].removeprefix("python "))
    assert shlex.split(service["ExecStart"])[0].endswith("/.venv/bin/python")
    assert service["ProtectSystem"] == "strict"  # read-only, but for:
    state = service["StateDirectory"]
    assert f"BOT_STATE_DIR=%S/{state}" in service["Environment"]
    assert f"BOT_CACHE_DIR=%C/{service['CacheDirectory']}" in service["Environment"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    # The unit names the checkout's interpreter, which this machine does not have there.
    text = UNIT.read_text().replace("/opt/article-qa-bot/.venv/bin/python", sys.executable)
    copy = tmp_path / UNIT.name
    copy.write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "Unknown key" not in result.stderr
    assert "ignoring" not in result.stderr


# ---- the Procfile's commands as real processes against the fake Bot API --------------------


def host_env(api: FakeBotApi, knowledge_dir: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    """What a Procfile host gives the process: its settings as config vars, `python` on PATH."""
    env = {
        "PATH": f"{PYTHON_DIR}{os.pathsep}{os.environ.get('PATH', '')}", "BOT_TOKEN": TOKEN,
        "BOT_API_BASE_URL": api.base_url, "BOT_KNOWLEDGE_DIR": str(knowledge_dir),
        "BOT_CACHE_DIR": str(tmp_path / "cache"), "BOT_STATE_DIR": str(tmp_path / "state"),
        "BOT_WEBHOOK_URL": "", "BOT_ADMIN_IDS": "", "BOT_RATE_LIMIT": "false",
        "DYNO": "worker.1",  # a host's own variables must not disturb the settings
    }
    return env | extra


@contextlib.asynccontextmanager
async def procfile_process(name: str, env: dict[str, str], log: Path) -> AsyncIterator[Any]:
    """The Procfile's `name` command run by bash, as Heroku runs it, in its own process group
    (a host signals every process of the dyno)."""
    if shutil.which("python", path=str(PYTHON_DIR)) is None:
        pytest.skip("no `python` beside the interpreter running the tests")
    with log.open("ab") as sink:
        process = await asyncio.create_subprocess_exec(
            "bash", "-c", procfile()[name], cwd=ROOT, env=env, start_new_session=True,
            stdout=asyncio.subprocess.DEVNULL, stderr=sink)
        try:
            yield process
        finally:
            if process.returncode is None:
                os.killpg(process.pid, signal.SIGKILL)
                await process.wait()


def text_of(log: Path) -> str:
    return log.read_text()


async def stop_like_a_host(process: Any, log: Path) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    code = await asyncio.wait_for(process.wait(), 30)
    text = text_of(log)
    assert code == 0, text[-3000:]
    assert "Traceback" not in text
    assert TOKEN not in text


async def test_the_procfile_worker_answers_and_stops_cleanly_on_sigterm(
    api: FakeBotApi, knowledge_dir: Path, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    env = host_env(api, knowledge_dir, tmp_path)
    async with procfile_process("worker", env, log) as process:
        api.private_chat(42)
        api.send_user_message(42, SPY)
        [answer] = await api.wait_for_messages(1, timeout=90)
        assert "balloon" in answer.text
        await stop_like_a_host(process, log)
    assert (tmp_path / "state").is_dir()  # the journal went where BOT_STATE_DIR said


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def health_check(port: int) -> int:
    """compose.yaml's health check command, run with the container's view of the settings."""
    command = compose_service()["healthcheck"]["test"][1:]
    assert command[0] == "python"
    env = {"PATH": os.environ.get("PATH", ""), "BOT_PORT": str(port),
           "BOT_HEALTH_PATH": compose_service()["environment"]["BOT_HEALTH_PATH"]}
    return subprocess.run([sys.executable, *command[1:]], env=env, capture_output=True,
                          timeout=30, check=False).returncode


async def test_the_procfile_web_process_serves_port_and_passes_compose_s_health_check(
    api: FakeBotApi, knowledge_dir: Path, tmp_path: Path
) -> None:
    port, secret = free_port(), "shared-webhook-secret-for-the-deploy-test"
    log = tmp_path / "web.log"
    env = host_env(api, knowledge_dir, tmp_path, PORT=str(port), BOT_LISTEN="127.0.0.1",
                   BOT_WEBHOOK_URL="https://bot.example.com/tg/hook", BOT_WEBHOOK_SECRET=secret,
                   DYNO="web.1")
    assert await asyncio.to_thread(health_check, port) != 0  # nothing listens yet
    async with procfile_process("web", env, log) as process, httpx.AsyncClient() as client:
        for _ in range(600):
            if await asyncio.to_thread(health_check, port) == 0:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the health check never passed: " + text_of(log)[-3000:])
        api.private_chat(42)
        api.send_user_message(42, SPY)
        posted = await client.post(f"http://127.0.0.1:{port}/tg/hook",
                                   json=api.pending_updates[-1],
                                   headers={"X-Telegram-Bot-Api-Secret-Token": secret})
        assert posted.status_code == 200
        [answer] = await api.wait_for_messages(1, timeout=60)
        assert "balloon" in answer.text
        await stop_like_a_host(process, log)
    assert await asyncio.to_thread(health_check, port) != 0  # stopped: the check fails
    assert secret not in text_of(log)
