"""Prompt assembly: base instructions, environment context, AGENTS.md discovery."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pycodex.config.schema import Config, SandboxWorkspaceWrite
from pycodex.core.project_doc import load_user_instructions, project_doc_paths
from pycodex.core.prompt import environment_context, initial_context
from pycodex.core.tools.specs import default_tools
from pycodex.models.base import FunctionTool, ToolSpec
from pycodex.models.scripted import reply
from pycodex.protocol.items import MessageItem
from pycodex.protocol.policy import AskForApproval, SandboxMode
from tests.core.harness import make_config, run, start, turn


def test_environment_context_is_exact() -> None:
    text = environment_context(
        Path("/home/user/ws1"), AskForApproval.NEVER, SandboxMode.WORKSPACE_WRITE, False
    )
    assert text == (
        "<environment_context>\n\nCurrent working directory: /home/user/ws1\n"
        "Approval policy: never\nSandbox policy: workspace-write\n"
        "Network access: restricted\n\n\n</environment_context>"
    )


@pytest.mark.parametrize(
    ("mode", "network_access", "expected"),
    [
        (SandboxMode.READ_ONLY, True, "restricted"),
        (SandboxMode.WORKSPACE_WRITE, False, "restricted"),
        (SandboxMode.WORKSPACE_WRITE, True, "enabled"),
        (SandboxMode.DANGER_FULL_ACCESS, False, "enabled"),
    ],
)
def test_network_line_follows_the_sandbox(
    tmp_path: Path, mode: SandboxMode, network_access: bool, expected: str
) -> None:
    config = make_config(
        tmp_path,
        sandbox_mode=mode,
        sandbox_workspace_write=SandboxWorkspaceWrite(network_access=network_access),
    )
    env_msg = initial_context(config, None)[0]
    assert f"Network access: {expected}\n" in env_msg.text
    assert f"Sandbox policy: {mode.value}\n" in env_msg.text


def _repo(tmp_path: Path) -> tuple[Config, Path]:
    """A git repo root/ with root/a/b as cwd and AGENTS.md at several levels."""
    root = tmp_path / "root"
    cwd = root / "a" / "b"
    cwd.mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "AGENTS.md").write_text("root rules\n")
    (root / "a" / "AGENTS.md").write_text("a rules\n")
    (cwd / "AGENTS.md").write_text("b rules\n")
    (tmp_path / "AGENTS.md").write_text("above the repo: never read\n")
    home = tmp_path / "home"
    home.mkdir()
    (home / "AGENTS.md").write_text("global rules\n")
    return Config(codex_home=home, cwd=cwd), root


def test_agents_md_from_home_then_git_root_down_to_cwd(tmp_path: Path) -> None:
    config, root = _repo(tmp_path)
    assert project_doc_paths(config.cwd) == [
        root / "AGENTS.md",
        root / "a" / "AGENTS.md",
        root / "a" / "b" / "AGENTS.md",
    ]
    assert load_user_instructions(config) == (
        "global rules\n\n\n--- project-doc ---\n\nroot rules\n\n\na rules\n\n\nb rules\n"
    )


def test_override_files_and_fallback_names_as_current_codex_reads_them(tmp_path: Path) -> None:
    config, root = _repo(tmp_path)
    (root / "a" / "AGENTS.md").unlink()
    (root / "a" / "CLAUDE.md").write_text("a fallback\n")
    (root / "a" / "b" / "AGENTS.override.md").write_text("b override\n")
    (config.codex_home / "AGENTS.override.md").write_text("global override\n")
    assert project_doc_paths(config.cwd) == [root / "AGENTS.md", root / "a/b/AGENTS.override.md"]
    config = replace(config, project_doc_fallback_filenames=("NOPE.md", "CLAUDE.md"))
    assert load_user_instructions(config) == (
        "global override\n\n\n--- project-doc ---\n\nroot rules\n\n\na fallback\n\n\nb override\n"
    )


def test_each_doc_is_truncated_to_the_limit(tmp_path: Path) -> None:
    config, _ = _repo(tmp_path)
    assert load_user_instructions(replace(config, project_doc_max_bytes=4)) == (
        "glob\n\n--- project-doc ---\n\nroot\n\na ru\n\nb ru"
    )


def test_zero_disables_project_docs_but_not_the_global_one(tmp_path: Path) -> None:
    config, _ = _repo(tmp_path)
    assert load_user_instructions(replace(config, project_doc_max_bytes=0)) == "global rules\n"


def test_outside_a_repo_only_cwd_is_read(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    cwd = outer / "inner"
    cwd.mkdir(parents=True)
    (outer / "AGENTS.md").write_text("outer\n")
    (cwd / "AGENTS.md").write_text("inner\n")
    home = tmp_path / "home"
    home.mkdir()
    assert load_user_instructions(Config(codex_home=home, cwd=cwd)) == "inner\n"


def test_no_docs_no_message(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    assert load_user_instructions(config) is None
    assert len(initial_context(config, None)) == 1


def test_first_request_input_order(tmp_path: Path) -> None:
    config, _ = _repo(tmp_path)
    config = replace(config, approval_policy=AskForApproval.NEVER)

    async def scenario():
        codex, model = await start(config, [reply("ok")])
        await turn(codex, "do the thing")
        return model

    prompt = run(scenario).prompts[0]
    texts = [i.text for i in prompt.input if isinstance(i, MessageItem)]
    assert len(texts) == 3
    assert texts[0].startswith("<environment_context>\n\nCurrent working directory: ")
    assert texts[1] == (
        "<user_instructions>\n\nglobal rules\n\n\n--- project-doc ---\n\nroot rules\n\n\n"
        "a rules\n\n\nb rules\n\n\n</user_instructions>"
    )
    assert texts[2] == "do the thing"
    assert all(isinstance(i, MessageItem) and i.role == "user" for i in prompt.input)


def test_instructions_file_replaces_base_instructions(tmp_path: Path) -> None:
    config = make_config(tmp_path, base_instructions="You are a test double.")

    async def scenario():
        codex, model = await start(config, [reply("ok")])
        await turn(codex, "x")
        return model

    assert run(scenario).prompts[0].instructions == "You are a test double."


def test_base_instructions_are_our_own_and_teach_the_tools() -> None:
    from pycodex.core.prompt import default_base_instructions

    text = default_base_instructions()
    for needle in ("update_plan", "apply_patch", "*** Begin Patch", "*** End Patch", "AGENTS.md"):
        assert needle in text
    assert "**_ Begin Patch" not in text  # the mangled v0.20 grammar


def _function(tool: ToolSpec) -> FunctionTool:
    assert isinstance(tool, FunctionTool)
    return tool


def test_shell_schema_gains_escalation_only_with_on_request() -> None:
    plain = _function(default_tools(AskForApproval.NEVER)[0]).parameters["properties"]
    asking = _function(default_tools(AskForApproval.ON_REQUEST)[0]).parameters["properties"]
    assert set(plain) == {"command", "timeout", "workdir"}
    assert set(asking) == {
        "command",
        "timeout",
        "workdir",
        "with_escalated_permissions",
        "justification",
    }
    assert plain["command"] == {"type": "array", "items": {"type": "string"}}
    plan = _function(default_tools(AskForApproval.NEVER)[1])
    assert plan.name == "update_plan" and plan.parameters["required"] == ["plan"]
