"""Protected paths inside writable roots, and CODEX_HOME's secrets, under the real sandbox.

Every repository (nested, linked through a ``.git`` file, bare, under /tmp or an extra root),
every ``.codex`` and CODEX_HOME stay read-only under workspace-write; CODEX_HOME's secrets
cannot be read under read-only nor workspace-write. Each escape is checked on the host.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import pytest

from pycodex.protocol.policy import SandboxMode
from pycodex.sandbox.policy import SandboxPolicy
from tests.sandbox.sandboxed import (
    NOBODY,
    policy,
    python_for_nobody,
    require_sandbox,
    run_as_nobody,
    sh,
)

WW = SandboxMode.WORKSPACE_WRITE
RO = SandboxMode.READ_ONLY
EROFS = "Read-only file system"

pytestmark = pytest.mark.usefixtures("sandbox_available")


@pytest.fixture
def sandbox_available() -> None:
    require_sandbox()


def _git_init(path: Path, *, bare: bool = False) -> Path:
    args = ["git", "init", "-q", *(["--bare"] if bare else []), str(path)]
    subprocess.run(args, check=True, timeout=30)
    return path


def _files(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _attack(git: str) -> str:
    """What a hostile command does to a repository it can reach."""
    return (
        f"echo '[core] fsmonitor = touch /tmp/pwned' >> {git}/config; "
        f"mkdir -p {git}/hooks && echo evil > {git}/hooks/post-checkout; "
        f"rm -rf {git}; mv {git} {git}.moved; echo done"
    )


def test_nested_repository(tmp_path: Path) -> None:
    ws = _git_init(tmp_path / "ws")
    lib = _git_init(ws / "vendor" / "lib")
    before = _files(lib / ".git")
    r = sh(policy(WW, ws), _attack("vendor/lib/.git") + "; echo ok > vendor/lib/file.txt", ws)
    assert EROFS in r.stderr
    assert _files(lib / ".git") == before
    assert not (lib / ".git.moved").exists()
    assert (lib / "file.txt").read_text() == "ok\n"  # the work tree stays writable


def test_git_file_and_its_git_directory(tmp_path: Path) -> None:
    ws = _git_init(tmp_path / "ws")
    store = _git_init(tmp_path / "ws" / "store" / "mod.git", bare=True)
    (ws / "mod").mkdir()
    (ws / "mod" / ".git").write_text("gitdir: ../store/mod.git\n")
    before = _files(store)
    r = sh(
        policy(WW, ws),
        _attack("store/mod.git") + "; echo 'gitdir: /tmp/evil' > mod/.git; rm -f mod/.git",
        ws,
    )
    assert EROFS in r.stderr
    assert _files(store) == before
    assert (ws / "mod" / ".git").read_text() == "gitdir: ../store/mod.git\n"


def test_bare_repository_layout(tmp_path: Path) -> None:
    ws = _git_init(tmp_path / "ws")
    docs = _git_init(ws / "docs", bare=True)
    before = _files(docs)
    r = sh(policy(WW, ws), _attack("docs") + "; echo x > docs/new", ws)
    assert EROFS in r.stderr
    assert _files(docs) == before


def test_codex_directories(tmp_path: Path) -> None:
    ws = _git_init(tmp_path / "ws")
    (ws / "sub" / ".codex").mkdir(parents=True)
    config = ws / "sub" / ".codex" / "config.toml"
    config.write_text('model = "x"\n')
    r = sh(
        policy(WW, ws), "echo 'sandbox_mode = \"danger-full-access\"' >> sub/.codex/config.toml", ws
    )
    assert EROFS in r.stderr
    assert config.read_text() == 'model = "x"\n'


def test_repositories_in_extra_roots_and_tmp(tmp_path: Path) -> None:
    ws = _git_init(tmp_path / "ws")
    extra = tmp_path / "extra"
    extra_repo = _git_init(extra / "deep" / "repo")
    tmp_repo = _git_init(tmp_path / "under-tmp")  # tmp_path lies under /tmp
    before = (_files(extra_repo / ".git"), _files(tmp_repo / ".git"))
    pol = policy(WW, ws, tmp=True, roots=(extra,))
    script = _attack(f"{extra_repo}/.git") + "; " + _attack(f"{tmp_repo}/.git")
    script += f"; echo ok > {extra}/free.txt; echo ok > {tmp_path}/free.txt"
    r = sh(pol, script, ws)
    assert EROFS in r.stderr
    assert (_files(extra_repo / ".git"), _files(tmp_repo / ".git")) == before
    assert (extra / "free.txt").read_text() == (tmp_path / "free.txt").read_text() == "ok\n"


def test_a_repository_the_command_makes_is_its_own(tmp_path: Path) -> None:
    ws = _git_init(tmp_path / "ws")
    pol = policy(WW, ws)
    r = sh(pol, "git init -q own && echo '# mine' >> own/.git/config && echo made", ws)
    assert r.stdout == "made\n", r.stderr
    r = sh(pol, "echo '# again' >> own/.git/config", ws)  # the next command: protected
    assert EROFS in r.stderr
    assert (ws / "own" / ".git" / "config").read_text().endswith("# mine\n")


def test_a_repository_made_on_the_host_between_commands(tmp_path: Path) -> None:
    ws = _git_init(tmp_path / "ws")
    pol = policy(WW, ws)
    assert sh(pol, "mkdir -p a/b", ws).returncode == 0
    _git_init(ws / "a" / "b" / "late")
    before = _files(ws / "a" / "b" / "late" / ".git")
    r = sh(pol, _attack("a/b/late/.git"), ws)
    assert EROFS in r.stderr
    assert _files(ws / "a" / "b" / "late" / ".git") == before


def _codex_home(parent: Path) -> Path:
    home = parent / ".codex"
    (home / "sessions" / "2020").mkdir(parents=True)
    (home / "sessions" / "2020" / "rollout.jsonl").write_text("SESSION-SECRET\n")
    (home / "log").mkdir()
    (home / "log" / "codex-tui.log").write_text("LOG-SECRET\n")
    (home / "auth.json").write_text('{"OPENAI_API_KEY": "AUTH-SECRET"}\n')
    (home / "history.jsonl").write_text("HISTORY-SECRET\n")
    (home / "config.toml").write_text('model = "m"\n')
    return home


def _with_home(pol: SandboxPolicy, home: Path) -> SandboxPolicy:
    return dataclasses.replace(pol, codex_home=home)


READ_ALL = (
    "cat {h}/auth.json {h}/history.jsonl {h}/sessions/2020/rollout.jsonl "
    "{h}/log/codex-tui.log; grep -r SECRET {h}; cp {h}/auth.json /dev/stdout; "
    "ln {h}/auth.json {ws}/hard; cat {h}/config.toml"
)


@pytest.mark.parametrize("mode", [RO, WW])
def test_codex_home_secrets_are_unreadable(tmp_path: Path, mode: SandboxMode) -> None:
    ws = _git_init(tmp_path / "ws")
    home = _codex_home(tmp_path)
    r = sh(_with_home(policy(mode, ws), home), READ_ALL.format(h=home, ws=ws), ws)
    assert "SECRET" not in r.stdout + r.stderr
    assert r.stdout == 'model = "m"\n'  # the rest of CODEX_HOME stays readable
    assert not (ws / "hard").exists()


def test_codex_home_inside_the_workspace(tmp_path: Path) -> None:
    """A session started in $HOME: CODEX_HOME is inside the workspace."""
    home_dir = _git_init(tmp_path / "home")
    home = _codex_home(home_dir)
    pol = _with_home(policy(WW, home_dir), home)
    script = (
        "echo 'sandbox_mode = \"danger-full-access\"' >> .codex/config.toml; "
        "echo x > .codex/new.toml; mv .codex .codex-old; rm -rf .codex/sessions; "
        + READ_ALL.format(h=".codex", ws=home_dir)
        + "; echo ok > notes.txt"
    )
    r = sh(pol, script, home_dir)
    assert EROFS in r.stderr
    assert "SECRET" not in r.stdout + r.stderr
    assert (home / "config.toml").read_text() == 'model = "m"\n'
    assert not (home / "new.toml").exists()
    assert (home / "sessions" / "2020" / "rollout.jsonl").read_text() == "SESSION-SECRET\n"
    assert (home_dir / "notes.txt").read_text() == "ok\n"


def test_a_secret_replaced_on_the_host_stays_hidden(tmp_path: Path) -> None:
    ws = _git_init(tmp_path / "ws")
    home = _codex_home(tmp_path)
    pol = _with_home(policy(WW, ws), home)
    assert "SECRET" not in sh(pol, f"cat {home}/auth.json", ws).stdout
    fresh = home / "auth.json.tmp"  # how auth.json is saved: written aside, renamed over
    fresh.write_text('{"OPENAI_API_KEY": "NEW-SECRET"}\n')
    fresh.replace(home / "auth.json")
    (home / "history.jsonl").unlink()  # and a secret that appears later
    r = sh(pol, f"cat {home}/auth.json; ls {home}; cat {home}/history.jsonl", ws)
    assert "SECRET" not in r.stdout
    (home / "history.jsonl").write_text("LATE-SECRET\n")
    r = sh(pol, f"cat {home}/auth.json {home}/history.jsonl", ws)
    assert "SECRET" not in r.stdout + r.stderr


def test_secrets_stay_hidden_as_another_user(tmp_path: Path) -> None:
    """The user-namespace path (not root) mounts the same over-mounts."""
    python = python_for_nobody()
    import shutil
    import tempfile

    shared = Path(tempfile.mkdtemp(prefix="pycodex-nobody-"))
    try:
        shared.chmod(0o755)
        ws = _git_init(shared / "ws")
        _git_init(ws / "vendor" / "lib")
        home = _codex_home(shared)
        for p in [shared / "ws", home, *ws.rglob("*"), *home.rglob("*")]:
            os.chown(p, NOBODY, NOBODY, follow_symlinks=False)
        before = _files(ws / "vendor" / "lib" / ".git")
        script = (
            "import os, sys\nfrom pathlib import Path\n"
            "from pycodex.protocol.policy import SandboxMode\n"
            "from pycodex.sandbox.launch import prepare_launch, run_foreground\n"
            "from pycodex.sandbox.policy import SandboxPolicy\n"
            "ws, home = Path(sys.argv[1]), Path(sys.argv[2])\n"
            "pol = SandboxPolicy(mode=SandboxMode.WORKSPACE_WRITE, workspace=ws,\n"
            "    exclude_slash_tmp=True, exclude_tmpdir_env_var=True, codex_home=home)\n"
            "cmd = ['bash', '-c', sys.argv[3]]\n"
            "sys.exit(run_foreground(prepare_launch(pol, cmd, cwd=ws, env=os.environ), cwd=ws))\n"
        )
        attack = READ_ALL.format(h=home, ws=ws) + "; echo x >> vendor/lib/.git/config; echo end"
        r = run_as_nobody(python, script, [str(ws), str(home), attack], ws)
        assert r.stdout.endswith("end\n"), r.stderr
        assert "SECRET" not in r.stdout + r.stderr
        assert EROFS in r.stderr
        assert _files(ws / "vendor" / "lib" / ".git") == before
    finally:
        shutil.rmtree(shared)


def test_a_repository_replaced_on_the_host_between_commands(tmp_path: Path) -> None:
    """The kernel detaches a cached namespace's mount when the host removes the directory
    under it: a repository made again at the same path must be protected again."""
    ws = _git_init(tmp_path / "ws")
    lib = _git_init(ws / "vendor" / "lib")
    pol = policy(WW, ws)
    assert EROFS in sh(pol, "echo x >> vendor/lib/.git/config", ws).stderr
    subprocess.run(["rm", "-rf", str(lib / ".git")], check=True, timeout=30)
    _git_init(lib)
    before = _files(lib / ".git")
    r = sh(pol, _attack("vendor/lib/.git"), ws)
    assert EROFS in r.stderr
    assert _files(lib / ".git") == before


def test_a_git_file_rewritten_on_the_host_between_commands(tmp_path: Path) -> None:
    ws = _git_init(tmp_path / "ws")
    _git_init(ws / "vendor" / "lib")
    (ws / "linked").mkdir()
    gitfile = ws / "linked" / ".git"
    gitfile.write_text("gitdir: ../vendor/lib/.git\n")
    pol = policy(WW, ws)
    assert EROFS in sh(pol, "echo x >> linked/.git", ws).stderr
    replacement = ws / "linked" / "git.new"  # rewritten the way git does: aside, then renamed
    replacement.write_text("gitdir: ../vendor/lib/.git\n")
    replacement.replace(gitfile)
    r = sh(pol, "echo 'gitdir: /tmp/evil' > linked/.git", ws)
    assert EROFS in r.stderr
    assert gitfile.read_text() == "gitdir: ../vendor/lib/.git\n"


SUBSTITUTE = (
    "mv vendor/lib vendor/lib.old; mv vendor vendor.old; "
    "mkdir -p vendor/lib && git init -q vendor/lib && "
    "echo '[core] fsmonitor = touch {marker}' >> vendor/lib/.git/config; echo done"
)


def test_a_repository_cannot_be_swapped_for_one_of_the_commands(tmp_path: Path) -> None:
    """Renaming the work tree (or a directory above it) away and making a repository of its
    own at the old path would have the user's next ``git status`` there run its program."""
    ws = _git_init(tmp_path / "ws")
    lib = _git_init(ws / "vendor" / "lib")
    (lib / "code.py").write_text("x = 1\n")
    before = _files(lib / ".git")
    marker = tmp_path / "PLANTED"
    r = sh(policy(WW, ws), SUBSTITUTE.format(marker=marker), ws)
    assert _files(lib / ".git") == before
    assert not (ws / "vendor.old").exists()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    subprocess.run(
        ["git", "-C", str(lib), "status"], env=env, capture_output=True, timeout=30, check=False
    )
    assert not marker.exists()
    assert "Device or resource busy" in r.stderr


def test_codex_home_cannot_be_swapped(tmp_path: Path) -> None:
    """CODEX_HOME deeper in the workspace: its parent cannot be renamed away either."""
    ws = _git_init(tmp_path / "ws")
    home = _codex_home(ws / ".config")
    pol = _with_home(policy(WW, ws), home)
    script = (
        "mv .config .config.old; mkdir -p .config/.codex && "
        "echo 'sandbox_mode = \"danger-full-access\"' > .config/.codex/config.toml"
    )
    r = sh(pol, script, ws)
    assert (home / "config.toml").read_text() == 'model = "m"\n'
    assert not (ws / ".config.old").exists()
    assert "Device or resource busy" in r.stderr
