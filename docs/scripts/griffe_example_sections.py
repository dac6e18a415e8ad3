"""Griffe extension for the API reference: Google ``Example:`` sections and Sphinx roles.

The project's docstrings use Google style with a singular ``Example:`` heading, which
Griffe's Google parser treats as an admonition (plain Markdown, so ``>>>`` lines become
block quotes). This extension renames the heading to ``Examples:`` before parsing, so the
``>>>`` lines are shown as Python console code, and turns Sphinx cross-reference roles
such as ``:func:`train``` into plain inline code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_HEADING = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)
_ROLE = re.compile(r":(?:func|class|meth|attr|mod|data|exc|obj):`(~?)([^`]+)`")


def _inline_code(match: re.Match) -> str:
    target = match.group(2)
    return f"`{target.rsplit('.', 1)[-1] if match.group(1) else target}`"


class ExampleSections(griffe.Extension):
    """Rename ``Example:`` headings and drop Sphinx roles in every docstring."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite ``obj``'s docstring, if it has one, before it is parsed."""
        if obj.docstring is not None:
            value = _HEADING.sub(r"\1Examples:", obj.docstring.value)
            obj.docstring.value = _ROLE.sub(_inline_code, value)
