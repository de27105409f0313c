"""`python -m rasa_llm`: what to write in config.yml / endpoints.yml / a logging config, by extension
point."""

from __future__ import annotations

import importlib

from rasa_llm import _EXPORTS


def export_lines() -> list[str]:
    lines = []
    for extension_point, names in _EXPORTS.items():
        lines.append(f"{extension_point}:")
        for name, module in names.items():
            exported = getattr(importlib.import_module(module), name)
            summary = (exported.__doc__ or "").strip().splitlines()[0]
            lines.append(f"  rasa_llm.{name:<29} {summary}")
    return lines


if __name__ == "__main__":
    print("\n".join(export_lines()))
