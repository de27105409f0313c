"""`python -m rasa_llm`: the components and the names to write in config.yml / endpoints.yml."""
from __future__ import annotations

import importlib

from rasa_llm import _COMPONENTS


def component_lines() -> list[str]:
    lines = []
    for name, module in _COMPONENTS.items():
        component = getattr(importlib.import_module(module), name)
        summary = (component.__doc__ or "").strip().splitlines()[0]
        lines.append(f"rasa_llm.{name:<29} {summary}\n    ({module})")
    return lines


if __name__ == "__main__":
    print("\n".join(component_lines()))
