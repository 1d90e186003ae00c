"""Reads a policy file: safe YAML, then the schema; every failure becomes a PolicyFileError.

Each problem says where it is (file, line, field path) and why, so a person editing the YAML can
fix it without reading Python: "policy/c-mes.yaml, line 42, purposes[3].lawful_basis: Input
should be 'consent', 'contract', ...".
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from tutela.policy.schema import Policy, format_path

# A real policy is a few tens of kilobytes; anything near this is a mistake or an attack.
MAX_POLICY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class PolicyProblem:
    """One thing wrong with a policy file."""

    file: str
    line: int | None
    path: str
    reason: str

    def __str__(self) -> str:
        line = f", line {self.line}" if self.line else ""
        return f"{self.file}{line}, {self.path}: {self.reason}"


class PolicyFileError(Exception):
    """A policy file that cannot be used; `problems` lists every error found."""

    def __init__(self, file: str, problems: list[PolicyProblem]) -> None:
        self.file = file
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{file}: the policy file is not valid ({count} problem(s)):\n{lines}")


# libyaml's parser when PyYAML was built with it: ten times faster, and it refuses nesting deeper
# than 1000 levels itself; the pure-Python parser raises RecursionError, caught below.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[valid-type,misc]
    """PyYAML's safe loader that refuses duplicate keys and reports bad scalars by line."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # PyYAML keeps the last of two equal keys silently; in a policy that hides a mistake.
        seen: dict[str, int] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key {key.value!r} (first on line {seen[key.value]})",
                        key.start_mark,
                    )
                seen[key.value] = key.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # PyYAML raises a bare ValueError for e.g. "!!int x" or "2018-02-30", without a line.
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value: {exc}", node.start_mark
            ) from None


def display_name(path: Path) -> str:
    """The file's name relative to the working directory when it lies inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def load_policy(path: Path | str) -> Policy:
    """Read and validate a policy file; PolicyFileError (never another exception) if unusable."""
    path = Path(path)
    name = display_name(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_POLICY_BYTES + 1)
    except FileNotFoundError:
        raise _error(name, "file", "the policy file does not exist") from None
    except IsADirectoryError:
        raise _error(name, "file", "this is a directory, not a policy file") from None
    except OSError as exc:
        raise _error(name, "file", f"cannot be read: {exc.strerror or exc}") from None
    return parse_policy(data, name)


def parse_policy(data: bytes, name: str = "<policy>") -> Policy:
    """Validate a policy file's bytes; `name` is the file name used in error messages."""
    content, root = _read_yaml(_decode(data, name), name)
    try:
        return Policy.model_validate(content)
    except ValidationError as exc:
        raise PolicyFileError(name, _problems(name, exc, root)) from None


def _decode(data: bytes, name: str) -> str:
    if len(data) > MAX_POLICY_BYTES:
        raise _error(name, "file", f"larger than {MAX_POLICY_BYTES // 1024} KiB")
    if data.startswith(
        (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        raise _error(name, "file", "is UTF-16 or UTF-32; save it as UTF-8", 1)
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise _error(name, "file", "contains a NUL byte", line)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _error(name, "file", f"is not UTF-8 (byte {exc.start})", line) from None


def _read_yaml(text: str, name: str) -> tuple[dict[Any, Any], yaml.Node]:
    """The top-level mapping and its node tree (kept to find the line of a later error)."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            _refuse_aliases(root)
        content = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = ", ".join(str(part) for part in (exc.context, exc.problem) if part)
        line = mark.line + 1 if mark else None
        raise _error(name, "YAML", reason or "not valid YAML", line) from None
    except yaml.YAMLError as exc:
        raise _error(name, "YAML", str(exc) or "not valid YAML") from None
    except RecursionError:
        raise _error(name, "YAML", "nested too deeply") from None
    finally:
        loader.dispose()
    if root is None or not isinstance(content, dict):
        found = "nothing" if content is None else type(content).__name__
        raise _error(name, "(top level)", f"must be a mapping of sections, found {found}", 1)
    return content, root


def _refuse_aliases(root: yaml.Node) -> None:
    """An alias can repeat a subtree without bound ("billion laughs"); a policy writes values out.

    An alias makes the composer return the anchored node again, so a node met twice is an alias.
    """
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise yaml.composer.ComposerError(
                None,
                None,
                "this value is repeated by an alias (*name); aliases are not allowed in a "
                "policy file: write the value out",
                node.start_mark,
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _problems(name: str, exc: ValidationError, root: yaml.Node) -> list[PolicyProblem]:
    problems = []
    for error in exc.errors(include_url=False):
        # Cross-reference checks report many problems in one error (see Policy._references).
        located = error.get("ctx", {}).get("problems") or [(error["loc"], _reason(error))]
        for loc, reason in located:
            line = _line_of(root, tuple(loc))
            problems.append(PolicyProblem(name, line, format_path(tuple(loc)), reason))
    return problems


def _reason(error: ErrorDetails) -> str:
    """Pydantic's message without its "Value error, " prefix, plus the value found if short."""
    reason = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    shown = repr(value)
    if isinstance(value, str | int | float | bool) and len(shown) <= 60 and shown not in reason:
        reason += f" (found {shown})"
    return reason


def _line_of(node: yaml.Node, loc: tuple[str | int, ...]) -> int | None:
    """The line of the deepest node on `loc` that exists (a missing key points at its parent)."""
    line = node.start_mark.line + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    child = value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part >= 0:
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _error(name: str, path: str, reason: str, line: int | None = None) -> PolicyFileError:
    return PolicyFileError(name, [PolicyProblem(name, line, path, reason)])
