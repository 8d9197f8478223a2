"""Accord's shell: settings, app factory, CLI, auth & CSRF, i18n, errors, clock."""

import importlib.util
import os
import sys
from pathlib import Path

# Piccolo finds its engine through this module; console scripts do not have the repo on sys.path.
os.environ.setdefault("PICCOLO_CONF", "accord.piccolo_conf")


def _own_trace_package() -> None:
    """The traceability domain is the package `trace/` (DESIGN §8), a name the standard library's `trace`
    module also has. An installed project comes after the standard library on sys.path, so `import trace`
    would find that module: load ours under the name first (every import of the domains goes through
    this package, which is imported before them)."""
    loaded = sys.modules.get("trace")
    if loaded is not None and hasattr(loaded, "__path__"):
        return
    package = Path(__file__).resolve().parent.parent / "trace"
    spec = importlib.util.spec_from_file_location(
        "trace", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["trace"] = module
    spec.loader.exec_module(module)


_own_trace_package()
