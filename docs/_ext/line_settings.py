"""``.. line-settings::``: the configuration reference, generated from the settings each product declares.

A setting is declared once, beside its product (``flask_line/_login/settings.py``...); this directive renders
every declaration (key, default, kind, documentation), so the reference cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


def _default(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, list | tuple):
        return "``" + " ".join(map(str, value)) + "``" if value else "empty"
    return f"``{value}``"


def reference_lines() -> list[str]:
    """The reference as reStructuredText: one heading and one table per product."""
    from flask_line._settings import settings_by_product

    lines: list[str] = []
    for product, settings in settings_by_product().items():
        lines += [f".. rubric:: {product}", "", ".. list-table::", "   :header-rows: 1", "   :widths: 30 25 45", ""]
        lines += ["   * - Setting", "     - Default", "     - Meaning"]
        for setting in settings:
            meaning = f"{setting.doc} *({setting.kind})*"
            if setting.endpoint:
                meaning += " Follows ``LINE_EMULATOR_URL``."
            if setting.renamed_from:
                meaning += f" Formerly ``{setting.renamed_from}`` (still read)."
            lines += [f"   * - ``{setting.key}``", f"     - {_default(setting.default)}", f"     - {meaning}"]
        lines.append("")
    return lines


class LineSettings(SphinxDirective):
    """Renders every declared ``LINE_`` setting."""

    def run(self) -> list[nodes.Node]:
        container = nodes.container()
        self.state.nested_parse(StringList(reference_lines(), source="line-settings"), self.content_offset, container)
        return list(container.children)


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("line-settings", LineSettings)
    return {"parallel_read_safe": True}
