"""Trust persistence edits config.toml minimally: comments and order survive, atomically."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from pycodex.protocol.errors import ConfigError
from pycodex.storage.config_edit import project_key, set_project_trust

USER_FILE = """\
# my codex settings
model = "o3"   # keep this comment

[model_providers.mock]
name = "Mock"  # inline comment
base_url = "http://127.0.0.1:1/v1"

# trailing comment
"""


def _home(tmp_path: Path, text: str | None) -> tuple[Path, Path]:
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    if text is not None:
        (home / "config.toml").write_text(text)
    return home, work


def test_appends_table_and_preserves_everything(tmp_path: Path) -> None:
    home, work = _home(tmp_path, USER_FILE)
    written = set_project_trust(home, work, trusted=True)
    text = written.read_text()
    assert text.startswith(USER_FILE)
    assert text[len(USER_FILE) :] == f'\n[projects."{work.resolve()}"]\ntrust_level = "trusted"\n'
    data = tomllib.loads(text)
    assert data["projects"] == {str(work.resolve()): {"trust_level": "trusted"}}
    assert data["model"] == "o3"


def test_idempotent_and_flip(tmp_path: Path) -> None:
    home, work = _home(tmp_path, USER_FILE)
    set_project_trust(home, work, trusted=True)
    once = (home / "config.toml").read_text()
    before = (home / "config.toml").stat().st_ino
    set_project_trust(home, work, trusted=True)
    assert (home / "config.toml").read_text() == once
    assert (home / "config.toml").stat().st_ino == before  # not even rewritten
    set_project_trust(home, work, trusted=False)
    flipped = (home / "config.toml").read_text()
    assert flipped == once.replace('"trusted"', '"untrusted"')


def test_missing_file_is_created_private(tmp_path: Path) -> None:
    home, work = _home(tmp_path, None)
    path = set_project_trust(home, work, trusted=True)
    assert path.read_text() == f'[projects."{work.resolve()}"]\ntrust_level = "trusted"\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_existing_table_gets_the_key_in_place(tmp_path: Path) -> None:
    home, work = _home(tmp_path, None)
    key = project_key(work)
    text = f'[projects."{key}"]  # mine\nnote = 1\n\n[tui]\n# end\n'
    (home / "config.toml").write_text(text)
    set_project_trust(home, work, trusted=True)
    assert (home / "config.toml").read_text() == (
        f'[projects."{key}"]  # mine\ntrust_level = "trusted"\nnote = 1\n\n[tui]\n# end\n'
    )


@pytest.mark.parametrize(
    "template",
    [
        '[projects."{k}"]\ntrust_level = "untrusted"  # set by me\n',
        '[projects]\n"{k}".trust_level = "untrusted"  # dotted\n',
        'projects = {{ "{k}" = {{ trust_level = "untrusted" }} }}  # inline\n',
    ],
)
def test_existing_value_is_replaced_where_it_is(tmp_path: Path, template: str) -> None:
    home, work = _home(tmp_path, None)
    text = "# head\n" + template.format(k=project_key(work)) + "# tail\n"
    (home / "config.toml").write_text(text)
    set_project_trust(home, work, trusted=True)
    assert (home / "config.toml").read_text() == text.replace('"untrusted"', '"trusted"')


def test_other_projects_untouched_and_crlf_kept(tmp_path: Path) -> None:
    home, work = _home(tmp_path, None)
    text = '[projects."/elsewhere"]\r\ntrust_level = "untrusted"\r\n'
    (home / "config.toml").write_bytes(text.encode())
    set_project_trust(home, work, trusted=True)
    raw = (home / "config.toml").read_bytes().decode()
    assert raw.startswith(text)
    assert raw.endswith(f'\r\n[projects."{work.resolve()}"]\r\ntrust_level = "trusted"\r\n')
    assert tomllib.loads(raw)["projects"]["/elsewhere"] == {"trust_level": "untrusted"}


def test_quotes_in_paths_are_escaped(tmp_path: Path) -> None:
    home, _ = _home(tmp_path, "")
    odd = tmp_path / 'we"ird\\dir'
    odd.mkdir()
    set_project_trust(home, odd, trusted=True)
    data = tomllib.loads((home / "config.toml").read_text())
    assert data["projects"][str(odd.resolve())] == {"trust_level": "trusted"}


def test_invalid_toml_is_refused_and_left_alone(tmp_path: Path) -> None:
    home, work = _home(tmp_path, "model = [unclosed\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        set_project_trust(home, work, trusted=True)
    assert (home / "config.toml").read_text() == "model = [unclosed\n"


def test_unsafe_edit_is_refused(tmp_path: Path) -> None:
    # An inline `projects` table cannot be extended by a [projects."…"] header.
    text = 'projects = { "/a" = { trust_level = "trusted" } }\n'
    home, work = _home(tmp_path, text)
    with pytest.raises(ConfigError, match="cannot safely set"):
        set_project_trust(home, work, trusted=True)
    assert (home / "config.toml").read_text() == text


@pytest.mark.parametrize("shape", ["projects = 3\n", 'projects = {{ "{work}" = "yes" }}\n'])
def test_projects_that_are_not_tables_are_refused(tmp_path: Path, shape: str) -> None:
    home, work = _home(tmp_path, "")
    text = shape.format(work=project_key(work))
    (home / "config.toml").write_text(text)
    with pytest.raises(ConfigError, match="is not a table"):
        set_project_trust(home, work, trusted=True)
    assert (home / "config.toml").read_text() == text


def test_mode_kept_and_symlink_followed(tmp_path: Path) -> None:
    home, work = _home(tmp_path, None)
    real = tmp_path / "dotfiles" / "codex.toml"
    real.parent.mkdir()
    real.write_text(USER_FILE)
    real.chmod(0o640)
    (home / "config.toml").symlink_to(real)
    set_project_trust(home, work, trusted=False)
    assert (home / "config.toml").is_symlink()
    assert 'trust_level = "untrusted"' in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_no_temporary_files_left(tmp_path: Path) -> None:
    home, work = _home(tmp_path, USER_FILE)
    set_project_trust(home, work, trusted=True)
    assert sorted(p.name for p in home.iterdir()) == ["config.toml"]
