"""Every `steward ...` command that Steward names (a hint, an error, a help text, a docstring) is a
command that exists: a person who copies it never meets "No such command".

The mentions are collected from the string literals of the application's source, so a new
hint is checked without a test naming it; each resolves through the CLI's own command tree and
answers `--help`. `steward run AREA` names an area of `pipelines.jobs.AREA_JOBS`, or `executor`.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

from pipelines.cli import app
from pipelines.jobs import AREA_JOBS
from tests.cli import steward

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("agent", "resources", "services", "assets", "sensors", "pipelines")
WORD = r"[a-z][a-z0-9_-]*(?:\|[a-z][a-z0-9_-]*)*"  # `approve|reject` names both
# `steward` then its lowercase words: a placeholder (ID, KEY), an option or a value ends it
MENTION = re.compile(rf"(?<![\w/.-])steward(?:\s+{WORD})+")


def mentions() -> dict[str, list[str]]:
    """{"order exceptions": ["agent/reflection.py:59", ...]} over every string literal."""
    found: dict[str, list[str]] = {}
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                    continue
                for match in MENTION.finditer(node.value):
                    words = re.findall(WORD, match.group(0)[len("steward") :])
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found.setdefault(" ".join(words), []).append(where)
    return found


MENTIONS = mentions()


def commands(words: list[str]) -> list[list[str]]:
    """The command paths `words` name (one per `a|b` alternative), down to the first command
    that takes arguments rather than sub-commands; an unknown word fails the test."""
    paths: list[list[str]] = [[]]
    for word in words:
        grown = []
        for path in paths:
            node = resolve(path)
            if not isinstance(node, TyperGroup):
                grown.append(path)
                continue
            for name in word.split("|"):
                known = sorted(node.commands)
                assert name in node.commands, (
                    f"`steward {' '.join([*path, name])}`: no such command (there are {known})"
                )
                grown.append([*path, name])
        paths = grown
    return paths


def resolve(path: list[str]) -> object:
    node = typer.main.get_command(app)
    for name in path:
        assert isinstance(node, TyperGroup)
        node = node.commands[name]
    return node


def test_the_source_names_commands_and_the_check_refuses_a_missing_one() -> None:
    assert len(MENTIONS) >= 20 and "order exceptions" in MENTIONS and "alert ack" in MENTIONS
    assert commands(["task", "pause|resume", "42"]) == [["task", "pause"], ["task", "resume"]]
    with pytest.raises(AssertionError, match="`steward order cancel`: no such command"):
        commands(["order", "cancel"])


@pytest.mark.parametrize("mention", sorted(MENTIONS))
def test_every_command_steward_names_exists(mention: str) -> None:
    where = ", ".join(MENTIONS[mention])
    words = mention.split()
    for path in commands(words):
        ran = steward(dict(os.environ), *path, "--help")
        assert ran.returncode == 0, f"`steward {' '.join(path)} --help` failed ({where})"
        if path == ["run"] and len(words) > 1:
            assert words[1] in [*AREA_JOBS, "executor"], f"`steward {mention}`: no such area"
