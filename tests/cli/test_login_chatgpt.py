"""`codex login` with ChatGPT (issue 13, finding 6), through the real CLI process.

The test plays the browser: it reads the authorize URL `codex login` prints and GETs it;
the scripted issuer (tests/support/scripted_issuer.py) redirects to the CLI's callback
server. No display and no $BROWSER in the environment: nothing is opened.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import stat
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from pycodex.models import chatgpt_jwt
from tests.support.scripted_issuer import (
    ACCOUNT_ID,
    API_KEY,
    CLIENT_ID,
    EMAIL,
    ScriptedIssuer,
    access_token_for,
    id_token_for,
)

WAIT = 30.0
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    drop = ("OPENAI_API_KEY", "CODEX_HOME", "BROWSER", "DISPLAY", "WAYLAND_DISPLAY")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["CODEX_HOME"] = str(home)
    env.update(extra)
    return env


class Login:
    """A running `codex login` whose stdout lines arrive on a queue (bounded waits)."""

    def __init__(self, home: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pycodex", "login", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env or clean_env(home),
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def authorize_url(self) -> str:
        while True:
            line = self.lines.get(timeout=WAIT)
            assert line is not None, f"login ended early: {self.finish()}"
            self.seen.append(line)
            if line.startswith("http"):
                return line.strip()

    def finish(self) -> tuple[int, str, str]:
        try:
            rc = self.proc.wait(timeout=WAIT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        rest: list[str] = []
        while True:
            line = self.lines.get(timeout=WAIT)
            if line is None:
                break
            rest.append(line)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.proc.stdout.close()
        with self.proc.stderr:
            err = self.proc.stderr.read()
        return rc, "".join(self.seen + rest), err


def browse(url: str) -> tuple[int, str]:
    """GET ``url`` following redirects, as a browser would."""
    try:
        with _OPENER.open(url, timeout=WAIT) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def run(home: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pycodex", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env or clean_env(home),
        timeout=WAIT * 2,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def issuer() -> Iterator[ScriptedIssuer]:
    with ScriptedIssuer() as started:
        yield started


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "codex-home"


def assert_no_secret(text: str, issuer: ScriptedIssuer) -> None:
    for tokens in issuer.issued:
        for secret in (tokens.id_token, tokens.access_token, tokens.refresh_token):
            assert secret not in text
    assert API_KEY not in text


def test_browser_sign_in_writes_codex_layout_and_status_names_chatgpt(
    home: Path, issuer: ScriptedIssuer
) -> None:
    port = free_port()
    login = Login(home, "--experimental_issuer", issuer.url, "--experimental_port", str(port))
    url = login.authorize_url()
    # no display in the test's environment: nothing is opened, and the words don't pretend
    assert "open this address in a browser" in "".join(login.seen)
    assert "should open" not in "".join(login.seen)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(issuer.url + "/oauth/authorize?")
    assert query["client_id"] == CLIENT_ID
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url SHA-256, no padding
    assert query["redirect_uri"] == f"http://localhost:{port}/auth/callback"
    assert "offline_access" in query["scope"].split()
    assert len(query["state"]) >= 32

    status, page = browse(url)
    assert status == 200 and "Signed in" in page
    rc, out, err = login.finish()
    assert rc == 0, err
    assert f"Successfully logged in with ChatGPT as {EMAIL}" in out
    assert issuer.grants() == ["authorization_code", "token-exchange"]

    auth = home / "auth.json"
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600
    data = json.loads(auth.read_text())
    assert set(data) == {"auth_mode", "OPENAI_API_KEY", "tokens", "last_refresh"}
    assert data["auth_mode"] == "chatgpt"
    assert data["OPENAI_API_KEY"] == API_KEY
    issued = issuer.issued[-1]
    assert data["tokens"] == {
        "id_token": issued.id_token,
        "access_token": issued.access_token,
        "refresh_token": issued.refresh_token,
        "account_id": ACCOUNT_ID,
    }
    assert chatgpt_jwt.is_jwt(data["tokens"]["id_token"])  # Codex parses it back
    refreshed = datetime.fromisoformat(data["last_refresh"].replace("Z", "+00:00"))
    assert data["last_refresh"].endswith("Z")
    assert abs(datetime.now(UTC) - refreshed) < timedelta(minutes=5)
    assert [p.name for p in home.iterdir()] == ["auth.json"]  # no temp file left behind

    rc, status_out, status_err = run(home, "login", "status")
    assert rc == 0, status_err
    assert status_out.splitlines() == [f"Logged in using ChatGPT - {EMAIL}", f"  source: {auth}"]
    assert_no_secret(out + err + status_out + status_err, issuer)

    rc, logout_out, _ = run(home, "logout")
    assert (rc, logout_out) == (0, "Successfully logged out\n")
    assert not auth.exists()
    assert run(home, "login", "status")[:2] == (1, "Not logged in\n")


def test_a_wrong_state_is_refused_and_the_sign_in_goes_on(
    home: Path, issuer: ScriptedIssuer
) -> None:
    port = free_port()
    login = Login(home, "--experimental_issuer", issuer.url, "--experimental_port", str(port))
    url = login.authorize_url()
    forged = browse(f"http://127.0.0.1:{port}/auth/callback?code=stolen&state=forged")
    assert forged == (400, "State mismatch")
    assert issuer.grants() == []  # the forged code never reached the token endpoint
    assert browse(url)[0] == 200
    rc, _, err = login.finish()
    assert rc == 0, err
    assert (home / "auth.json").exists()


def test_pkce_verifier_is_checked_by_the_issuer(home: Path, issuer: ScriptedIssuer) -> None:
    """The CLI's verifier matches its challenge: a code issued for another challenge fails."""
    port = free_port()
    login = Login(home, "--experimental_issuer", issuer.url, "--experimental_port", str(port))
    url = login.authorize_url()
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["code_challenge"] = "A" * 43  # an attacker's challenge
    tampered = f"{issuer.url}/oauth/authorize?" + "&".join(
        f"{k}={urllib.parse.quote(v, safe='')}" for k, v in query.items()
    )
    status, page = browse(tampered)
    assert status == 400 and "PKCE verification failed" in page
    rc, _, err = login.finish()
    assert rc == 1
    assert "PKCE verification failed" in err and len(err.splitlines()) == 1
    assert not (home / "auth.json").exists()


def test_refusal_by_the_issuer_is_reported(home: Path) -> None:
    with ScriptedIssuer(deny="missing_codex_entitlement") as denying:
        login = Login(
            home, "--experimental_issuer", denying.url, "--experimental_port", str(free_port())
        )
        status, page = browse(login.authorize_url())
        assert status == 400 and "missing_codex_entitlement" in page
        rc, _, err = login.finish()
    assert rc == 1
    assert err == "Error: the sign-in was refused: missing_codex_entitlement\n"
    assert not (home / "auth.json").exists()


def test_busy_port_is_one_line(home: Path, issuer: ScriptedIssuer) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        rc, out, err = run(
            home, "login", "--experimental_issuer", issuer.url, "--experimental_port", str(port)
        )
    assert rc == 1
    assert err.splitlines() == [
        f"Error: port 127.0.0.1:{port} is already in use (another `codex login` or another "
        "program); stop it and run `codex login` again"
    ]
    assert "http" not in out  # no authorize URL: nothing could come back
    assert not home.exists() or not (home / "auth.json").exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://auth.example.com",
        "http://127.0.0.1.nip.io:8080",
        "http://10.0.0.1:1455",
        "http://localhost@evil.example.com",
        "file:///etc/passwd",
    ],
)
def test_a_non_loopback_issuer_is_refused(home: Path, url: str) -> None:
    rc, out, err = run(home, "login", "--experimental_issuer", url)
    assert rc == 2
    assert len(err.splitlines()) == 1
    assert "--experimental_issuer must be a loopback URL" in err
    assert out == ""
    assert not home.exists()


def test_no_answer_times_out_with_a_clear_message(home: Path, issuer: ScriptedIssuer) -> None:
    port = free_port()
    rc, out, err = run(
        home,
        "login",
        "--experimental_issuer",
        issuer.url,
        "--experimental_port",
        str(port),
        "--experimental_timeout",
        "0.5",
    )
    assert rc == 1
    assert "http" in out
    assert err == "Error: no sign-in arrived within 0.5 s; run `codex login` again\n"
    with socket.socket() as again:  # the callback server is gone
        again.bind(("127.0.0.1", port))


def test_ctrl_c_cancels_cleanly(home: Path, issuer: ScriptedIssuer) -> None:
    port = free_port()
    login = Login(home, "--experimental_issuer", issuer.url, "--experimental_port", str(port))
    login.authorize_url()
    login.proc.send_signal(signal.SIGINT)
    rc, _, err = login.finish()
    assert rc == 130
    assert err == "Sign-in cancelled; nothing was saved\n"
    assert not (home / "auth.json").exists()
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))


def test_browser_from_the_environment_is_opened(
    home: Path, issuer: ScriptedIssuer, tmp_path: Path
) -> None:
    """$BROWSER is honoured (webbrowser); this one fetches the URL like a real browser."""
    browser = tmp_path / "fake_browser.py"
    browser.write_text(
        "import sys, urllib.request\n"
        "opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))\n"
        "opener.open(sys.argv[1], timeout=30).read()\n"
    )
    env = clean_env(home, BROWSER=f"{sys.executable} {browser} %s")
    login = Login(
        home, "--experimental_issuer", issuer.url, "--experimental_port", str(free_port()), env=env
    )
    rc, out, err = login.finish()
    assert rc == 0, err
    assert "Successfully logged in with ChatGPT" in out
    assert json.loads((home / "auth.json").read_text())["auth_mode"] == "chatgpt"


def test_a_browser_that_cannot_start_does_not_fail_the_sign_in(
    home: Path, issuer: ScriptedIssuer
) -> None:
    env = clean_env(home, BROWSER="/nonexistent/browser %s")
    login = Login(
        home, "--experimental_issuer", issuer.url, "--experimental_port", str(free_port()), env=env
    )
    assert browse(login.authorize_url())[0] == 200
    rc, _, err = login.finish()
    assert rc == 0, err


def write_codex_chatgpt_auth(home: Path, *, api_key: str | None = None) -> dict[str, str]:
    """auth.json as Codex writes it after a ChatGPT sign-in (v0.20: no auth_mode)."""
    home.mkdir(parents=True, exist_ok=True)
    tokens = {
        "id_token": id_token_for(),
        "access_token": access_token_for(3600),
        "refresh_token": "rt-codex-written",
        "account_id": ACCOUNT_ID,
    }
    data = {"OPENAI_API_KEY": api_key, "tokens": tokens, "last_refresh": "2026-01-02T03:04:05Z"}
    (home / "auth.json").write_text(json.dumps(data, indent=2))
    return tokens


def test_status_of_a_codex_chatgpt_auth_json(home: Path) -> None:
    """Finding 6: a Codex user's ChatGPT auth.json is a login (was "Not logged in")."""
    tokens = write_codex_chatgpt_auth(home)
    rc, out, err = run(home, "login", "status")
    assert rc == 0, err
    assert out.splitlines()[0] == f"Logged in using ChatGPT - {EMAIL}"
    for secret in tokens.values():
        assert secret == ACCOUNT_ID or secret not in out + err


def test_preferred_auth_method_picks_between_key_and_sign_in(home: Path) -> None:
    write_codex_chatgpt_auth(home, api_key=API_KEY)
    rc, out, _ = run(home, "login", "status")
    assert rc == 0 and out.startswith("Logged in using ChatGPT")
    rc, out, _ = run(home, "login", "status", "-c", "preferred_auth_method=apikey")
    assert rc == 0
    assert out.splitlines()[0] == f"Logged in using an API key - sk-…{API_KEY[-4:]}"
    assert 'preferred_auth_method = "apikey" selects the key' in out
    env_key = "sk-fromenv-0123456789abcdefWXYZ"
    rc, out, _ = run(home, "login", "status", env=clean_env(home, OPENAI_API_KEY=env_key))
    assert rc == 0 and out.startswith("Logged in using ChatGPT")
    assert "OPENAI_API_KEY is set but not used" in out
    assert env_key not in out and API_KEY not in out
    rc, _, err = run(home, "login", "status", "-c", "preferred_auth_method=oauth")
    assert rc == 2 and "preferred_auth_method" in err


def test_a_second_login_takes_over_the_port_from_a_leftover_one(
    home: Path, issuer: ScriptedIssuer
) -> None:
    port = free_port()
    args = ("--experimental_issuer", issuer.url, "--experimental_port", str(port))
    first = Login(home, *args)
    first.authorize_url()
    second = Login(home, *args)
    url = second.authorize_url()  # it listens: the first one was asked to stop
    rc, _, err = first.finish()
    assert (rc, err) == (1, "Error: sign-in cancelled by another `codex login`\n")
    assert browse(url)[0] == 200
    rc, _, err = second.finish()
    assert rc == 0, err


def test_without_an_exchanged_key_the_key_field_is_null(home: Path) -> None:
    with ScriptedIssuer(api_key=None) as keyless:
        login = Login(
            home, "--experimental_issuer", keyless.url, "--experimental_port", str(free_port())
        )
        assert browse(login.authorize_url())[0] == 200
        rc, _, err = login.finish()
        assert keyless.grants() == ["authorization_code", "token-exchange"]
    assert rc == 0, err
    data = json.loads((home / "auth.json").read_text())
    assert data["OPENAI_API_KEY"] is None and data["tokens"]["account_id"] == ACCOUNT_ID
