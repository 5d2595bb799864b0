"""The first minute: `make run` installs quietly, ends with the URLs and the demo logins,
and serves phones on the same network with HOST=0.0.0.0 (README, "Quick start")."""

import shutil
import socket
import stat
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from overview.management.commands import demo_banner
from pinghu_points import lan
from tests.conftest import PASSWORD
from villages.demo import DEMO_PASSWORD, LOGINS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PHONE_ADDRESSES = ["192.168.1.23", "10.0.0.5"]


def banner(monkeypatch, *args, addresses=PHONE_ADDRESSES):
    monkeypatch.setattr(lan, "lan_ipv4_addresses", lambda: list(addresses))
    out = StringIO()
    call_command("demo_banner", *args, stdout=out)
    return out.getvalue().splitlines()


# --- demo_banner ------------------------------------------------------------------------


def test_banner_on_all_interfaces_lists_this_machine_and_every_lan_address(monkeypatch):
    lines = banner(monkeypatch, "--host", "0.0.0.0", "--port", "8080")
    text = "\n".join(lines)
    assert "http://127.0.0.1:8080/" in text
    for address in PHONE_ADDRESSES:
        assert f"http://{address}:8080/" in text
    assert "8080" in next(line for line in lines if "防火墙" in line)
    # The URLs come before the logins: both fit on one screen.
    assert text.index("http://10.0.0.5:8080/") < text.index("admin")
    assert len(lines) <= 25
    assert lines[0] == lines[-1] == demo_banner.RULE


def test_banner_lists_every_demo_login_with_the_password_and_what_it_sees(monkeypatch):
    lines = banner(monkeypatch)
    assert any(DEMO_PASSWORD in line for line in lines)
    for username, role, _scope, _code, description in LOGINS:
        (line,) = [line for line in lines if line.split()[:1] == [username]]
        assert description in line
        assert demo_banner.role_sees(role) in line
    usernames = {username for username, *_rest in LOGINS}
    assert {
        "city",
        "admin",
        "staff_donghu",
        "staff_xihu",
        "staff_tongjie",
        "accountant_tongjie",
        "accountant_nanhetou",
        "supervisor_tongjie",
        "bank_phrcb",
        "TONGJIE-0001",
    } == usernames


def test_banner_on_loopback_does_not_look_for_lan_addresses_and_says_how_to(monkeypatch):
    def refuse():
        raise AssertionError("no LAN lookup when serving on loopback")

    monkeypatch.setattr(lan, "lan_ipv4_addresses", refuse)
    out = StringIO()
    call_command("demo_banner", "--port", "8000", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    assert "make run HOST=0.0.0.0 PORT=8000" in text
    assert "192.168." not in text


def test_banner_on_one_address_shows_that_address(monkeypatch):
    text = "\n".join(banner(monkeypatch, "--host", "192.168.7.9", "--port", "9000"))
    assert "http://192.168.7.9:9000/" in text
    assert "127.0.0.1" not in text


def test_banner_without_a_lan_address_says_phones_cannot_connect(monkeypatch):
    text = "\n".join(banner(monkeypatch, "--host", "0.0.0.0", addresses=[]))
    assert "http://127.0.0.1:8000/" in text
    assert "未找到本机的局域网地址" in text


def test_readme_lists_every_demo_login_and_the_lan_command():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for username, *_rest in LOGINS:
        assert f"`{username}`" in readme, username
    assert DEMO_PASSWORD in readme
    assert "make run HOST=0.0.0.0 PORT=8080" in readme


# --- LAN addresses: no packet, no DNS, never hangs offline --------------------------------


def test_lan_addresses_drop_loopback_link_local_ipv6_and_duplicates(monkeypatch):
    monkeypatch.setattr(lan, "routed_addresses", lambda: ["192.168.1.23", "192.168.1.23"])
    monkeypatch.setattr(
        lan,
        "interface_addresses",
        lambda: ["127.0.0.1", "169.254.3.4", "fd00::2", "192.168.1.23", "172.17.0.1", "junk"],
    )
    assert lan.lan_ipv4_addresses() == ["192.168.1.23", "172.17.0.1"]


def test_no_route_and_no_hostname_command_give_no_address(monkeypatch):
    class Unreachable:
        def __init__(self, *args):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def connect(self, address):
            raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(lan.socket, "socket", Unreachable)
    assert lan.routed_addresses() == []

    def missing(*args, **kwargs):
        raise FileNotFoundError("hostname")

    def slow(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0], kwargs["timeout"])

    def unknown_option(*args, **kwargs):
        return subprocess.CompletedProcess(args[0], 1, "", "hostname: illegal option -- I")

    for run in (missing, slow, unknown_option):
        monkeypatch.setattr(lan.subprocess, "run", run)
        assert lan.interface_addresses() == []
    assert lan.lan_ipv4_addresses() == []


def test_the_udp_probe_sends_no_packet():
    # What routed_addresses relies on: connecting a UDP socket only picks the route.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.setblocking(False)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(listener.getsockname())
            assert probe.getsockname()[0] == "127.0.0.1"
        with pytest.raises(BlockingIOError):
            listener.recv(1)
    started = time.monotonic()
    addresses = lan.routed_addresses()
    assert time.monotonic() - started < 2
    assert all(lan.is_lan_ipv4(address) for address in addresses)


def test_lan_addresses_on_this_machine_come_back_quickly():
    started = time.monotonic()
    addresses = lan.lan_ipv4_addresses()
    assert time.monotonic() - started < lan.HOSTNAME_TIMEOUT_SECONDS + 2
    assert all(lan.is_lan_ipv4(address) for address in addresses)


def test_lan_addresses_without_any_network():
    """In a network namespace of its own (no interface up but loopback): empty, at once."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare is not installed")
    probe = subprocess.run(
        [unshare, "--net", "true"], capture_output=True, text=True, timeout=30, check=False
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {probe.stderr.strip()}")
    started = time.monotonic()
    completed = subprocess.run(
        [
            unshare,
            "--net",
            sys.executable,
            "-c",
            "from pinghu_points.lan import lan_ipv4_addresses; print(lan_ipv4_addresses())",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
    assert time.monotonic() - started < 20


# --- A phone logs in over plain http on the LAN address ---------------------------------


def test_login_over_plain_http_on_a_lan_address_passes_the_csrf_check(world, settings):
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "192.168.1.23"]
    host = "192.168.1.23:8080"
    phone = Client(enforce_csrf_checks=True, HTTP_HOST=host)
    page = phone.get(reverse("accounts:login"))
    assert page.status_code == 200
    token = page.cookies["csrftoken"]
    assert not token["secure"]
    response = phone.post(
        reverse("accounts:login"),
        {
            "username": "acc_a",
            "password": PASSWORD,
            "csrfmiddlewaretoken": page.context["csrf_token"],
        },
        HTTP_ORIGIN=f"http://{host}",
    )
    assert response.status_code == 302, response.content[:300]
    assert not response.cookies["sessionid"]["secure"]
    # Another site's page posting to the same address is still refused.
    other = Client(enforce_csrf_checks=True, HTTP_HOST=host)
    page = other.get(reverse("accounts:login"))
    refused = other.post(
        reverse("accounts:login"),
        {"username": "acc_a", "password": "x", "csrfmiddlewaretoken": page.context["csrf_token"]},
        HTTP_ORIGIN="http://evil.example",
    )
    assert refused.status_code == 403


# --- The Makefile: a quiet install that fails loudly, the serve command line ------------

MAKE = shutil.which("make")
needs_make = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def fake_python(directory, body):
    """A stand-in for .venv/bin/python whose `-m pip install ...` runs `body` (bash); the
    Makefile's `-c` (reading the requirements from pyproject.toml) runs in this Python."""
    path = directory / "python"
    path.write_text(
        f'#!/bin/bash\nif [ "$1" = -c ]; then exec {sys.executable} "$@"; fi\n{body}\n',
        encoding="utf-8",
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def make_install(tmp_path, python, target="install"):
    venv = tmp_path / "venv"
    venv.mkdir(exist_ok=True)
    completed = subprocess.run(
        [MAKE, "--no-print-directory", target, f"VENV={venv}", f"PYTHON={python}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return completed, venv


@needs_make
def test_install_prints_one_line_and_keeps_pip_in_the_log(tmp_path):
    noisy = (
        'for i in $(seq 60); do echo "WARNING: Location file:///opt/x/$i/ is ignored" >&2; done\n'
        'echo "Successfully installed $*"'
    )
    completed, venv = make_install(tmp_path, fake_python(tmp_path, noisy))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stderr == ""
    assert completed.stdout.splitlines() == [
        f"Installing dependencies into {venv} ... (log: {venv}/install.log)"
    ]
    log = (venv / "install.log").read_text(encoding="utf-8")
    assert log.count("WARNING") == 60
    assert "Successfully installed" in log
    assert (venv / ".installed").exists()


def pyproject_requirements():
    import tomllib

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return project["project"]["dependencies"], project["project"]["optional-dependencies"]["dev"]


@needs_make
def test_install_for_running_leaves_out_the_test_tools_which_test_adds(tmp_path):
    """`make run` installs what the product needs; `make test` adds pytest, Playwright ..."""
    record = 'echo "$*" >> "$(dirname "$0")/pip-calls"'
    python = fake_python(tmp_path, record)
    runtime, dev = pyproject_requirements()
    completed, venv = make_install(tmp_path, python)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    calls = (tmp_path / "pip-calls").read_text(encoding="utf-8").splitlines()
    assert calls == [
        f"-m pip install --disable-pip-version-check --no-compile -r {venv}/requirements.txt"
    ]
    assert (venv / "requirements.txt").read_text(encoding="utf-8").split() == runtime
    assert not any(r.startswith(("playwright", "pytest", "ruff")) for r in runtime)
    assert not (venv / ".installed-dev").exists()

    completed, venv = make_install(tmp_path, python, "install-dev")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.splitlines() == [
        f"Installing the test tools into {venv} ... (log: {venv}/install.log)"
    ]
    assert (venv / "requirements.txt").read_text(encoding="utf-8").split() == runtime + dev
    assert (venv / ".installed-dev").exists()


@needs_make
def test_a_failed_install_shows_the_log_tail_fails_and_leaves_no_stamp(tmp_path):
    failing = (
        'echo "Collecting $*"\n'
        'echo "ERROR: No matching distribution found for Django<5.3,>=5.2" >&2; exit 1'
    )
    completed, venv = make_install(tmp_path, fake_python(tmp_path, failing))
    assert completed.returncode != 0
    assert "Installing dependencies FAILED" in completed.stderr
    assert "ERROR: No matching distribution found for Django" in completed.stderr
    assert f"{venv}/install.log" in completed.stderr
    assert not (venv / ".installed").exists()


def dry_run(*args):
    # -o: take the install as done; -n: print the commands, run none.
    completed = subprocess.run(
        [MAKE, "--no-print-directory", "-n", "-o", ".venv/.installed", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.splitlines()


@needs_make
def test_run_on_all_interfaces_accepts_lan_hosts_and_prints_the_banner_last():
    commands = dry_run("run", "HOST=0.0.0.0", "PORT=8080")
    runserver = commands[-1]
    assert "runserver 0.0.0.0:8080" in runserver
    assert "DEMO_ALLOW_LAN_HOSTS=1" in runserver
    assert "demo_banner --host 0.0.0.0 --port 8080" in commands[-2]
    assert any("migrate --noinput --verbosity 0" in command for command in commands)
    assert any("seed_demo --verbosity 0" in command for command in commands)
    # Running the product does not install the test tools.
    assert not any("Installing the test tools" in command for command in commands)


@needs_make
def test_test_installs_the_test_tools_first(tmp_path):
    # A virtualenv without the test tools yet (the checkout's own may have them already).
    venv = tmp_path / "venv"
    completed = subprocess.run(
        [MAKE, "--no-print-directory", "-n", "-o", f"{venv}/.installed", "test", f"VENV={venv}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    commands = completed.stdout.splitlines()
    install = next(i for i, c in enumerate(commands) if "Installing the test tools" in c)
    assert install < next(i for i, c in enumerate(commands) if "-m pytest" in c)


@needs_make
def test_run_on_loopback_keeps_the_default_hosts():
    runserver = dry_run("run")[-1]
    assert "runserver 127.0.0.1:8000" in runserver
    assert "DEMO_ALLOW_LAN_HOSTS" not in runserver
