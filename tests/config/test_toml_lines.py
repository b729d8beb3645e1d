"""The key-position scanner and located TOML syntax errors."""

from __future__ import annotations

import tomllib

import pytest

from pycodex.config.toml_lines import dotted, key_lines, line_of, syntax_error

TEXT = """\
# comment with [brackets] and "quotes" = 1
model = "o3"  # trailing [x]
notify = [
  "a", # a comment ]
  "b",
]
doc = \"\"\"
not_a_key = 1
[not.a.table]
\"\"\"
lit = '''
x = 2
'''
a.b."c.d" = 1
env = { "API_KEY" = "v", other = 2 }

[model_providers."my.provider"]
name = "Mine"

[[arr.items]]
k = 1
[[arr.items]]
k = 2
[ profiles . 'fast' ]
model = "x"
after = 'it"s' # ]
"""


def test_every_key_has_its_line() -> None:
    tomllib.loads(TEXT)  # the fixture itself is valid TOML
    lines = key_lines(TEXT)
    assert lines[("model",)] == 2
    assert lines[("notify",)] == 3
    assert lines[("doc",)] == 7
    assert lines[("lit",)] == 11
    assert lines[("a", "b", "c.d")] == 14
    assert lines[("a",)] == 14
    assert lines[("env",)] == 15
    assert lines[("model_providers", "my.provider")] == 17
    assert lines[("model_providers", "my.provider", "name")] == 18
    assert lines[("arr", "items")] == 20
    assert lines[("profiles", "fast")] == 24
    assert lines[("profiles", "fast", "model")] == 25
    assert ("not_a_key",) not in lines
    assert ("x",) not in lines
    assert ("not", "a", "table") not in lines


def test_inline_table_keys_report_the_line_of_their_key() -> None:
    lines = key_lines(TEXT)
    assert line_of(lines, ("env", "API_KEY")) == 15
    assert line_of(lines, ("profiles", "fast", "model", "deeper")) == 25
    assert line_of(lines, ("nowhere",)) is None


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("model",), "model"),
        (("projects", "/home/me"), 'projects."/home/me"'),
        (("a", 'q"x'), 'a."q\\"x"'),
        (("a-b_c", ""), 'a-b_c.""'),
    ],
)
def test_dotted_quotes_what_toml_would(path: tuple[str, ...], text: str) -> None:
    assert dotted(path) == text


@pytest.mark.parametrize(
    ("text", "where", "expected"),
    [
        ('model = "o3"\nmodel "x"\n', "config.toml:2: `model`", "expected '=' after a key"),
        ('model = "o3\n', "config.toml:1: `model`", "expected the closing quote"),
        ("a = 1\nx = [1,\n2\n", "config.toml:2: `x`", "unclosed array"),
        ("a = \n", "config.toml:1: `a`", "expected a TOML value"),
        ("[t]\nb = 1 2\n", "config.toml:2: `t.b`", "expected newline"),
        ("[a\nb=1\n", "config.toml:1: invalid TOML", "expected ']'"),
    ],
)
def test_syntax_errors_are_one_located_line(text: str, where: str, expected: str) -> None:
    with pytest.raises(tomllib.TOMLDecodeError) as info:
        tomllib.loads(text)
    message = str(syntax_error(info.value, text, "config.toml"))
    assert message.startswith(where), message
    assert expected in message
    assert ", found `" in message
    assert "\n" not in message
