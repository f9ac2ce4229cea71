"""The layers keep to their rule: each package imports only what its layer may use.

- ``geo`` imports nothing from ``webmap``;
- ``webmap.api`` (answers), ``webmap.maps`` (Folium) and ``webmap.figures`` (matplotlib)
  import only ``geo``, their own package and the shared ``webmap.errors``, ``webmap.config``,
  ``webmap.i18n`` and ``webmap.vocabulary`` (the language of what is drawn) and
  ``webmap.layer_registry``; ``api`` and ``figures`` never import Flask, Folium or click,
  ``maps`` never Flask;
- ``webmap.layer_registry`` (the layer records maps and figures both read) imports neither
  of them nor any drawing library: it names each layer's builder and drawer by path, and
  each path points into the side that draws it (``webmap.maps``, ``webmap.figures``);
- ``webmap.web`` adapts both and never imports the command line;
- ``webmap.commands`` uses ``api``, ``maps`` and ``geo``, and of ``web`` only the app factory
  and the worker processes ``serve`` starts.

Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = (
    "webmap.errors",
    "webmap.config",
    "webmap.i18n",
    "webmap.vocabulary",
    "webmap.layer_registry",
)
NO_WEB = ("flask", "folium", "werkzeug", "click")
#: the layers the web and the command line adapt: answers, Folium maps, print figures
DRAWN = ("webmap.api", "webmap.maps", "webmap.figures")
#: what ``clustermap serve`` needs of the web layer
SERVE = ("webmap.web.app", "webmap.web.workers", "webmap.create_app")
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # package: (allowed clustermap modules, forbidden third-party packages)
    "geo": (("geo",), ("flask", "folium", "webmap", "click")),
    "webmap.api": (("geo", "webmap.api", *SHARED), NO_WEB),
    "webmap.maps": (("geo", "webmap.maps", *SHARED), ("flask", "werkzeug", "click")),
    "webmap.figures": (
        ("geo", "webmap.figures", *SHARED),
        ("flask", "folium", "werkzeug", "click"),
    ),
    "webmap.web": (("geo", *DRAWN, "webmap.web", *SHARED), ("click",)),
    "webmap.commands": (
        ("geo", *DRAWN, "webmap.commands", *SHARED, *SERVE),
        ("flask",),
    ),
    "webmap.layer_registry": (("webmap.i18n",), (*NO_WEB, "matplotlib", "geo")),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, with its line (``from a import b`` gives ``a.b``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _files(package: str) -> list[Path]:
    """The modules of ``package`` (a package, or a module on its own)."""
    folder = ROOT.joinpath(*package.split("."))
    module = folder.with_suffix(".py")
    return [module] if module.is_file() else sorted(folder.rglob("*.py"))


@pytest.mark.parametrize("package", sorted(RULES))
def test_each_layer_imports_only_what_it_may(package: str) -> None:
    allowed, forbidden = RULES[package]
    broken = []
    for path in _files(package):
        for line, name in _imports(path):
            ours = _within(name, ("geo", "webmap"))
            if (ours and not _within(name, allowed)) or _within(name, forbidden):
                broken.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not broken, "\n".join(broken)


def test_the_rule_sees_every_module() -> None:
    """No module of webmap sits outside a layer, apart from the package's entry points."""
    layered = {p for package in RULES for p in _files(package)}
    top = {p.name for p in (ROOT / "webmap").glob("*.py")}
    assert top <= {
        "__init__.py",
        "__main__.py",
        "errors.py",
        "config.py",
        "i18n.py",
        "vocabulary.py",
        "layer_registry.py",
    }
    assert all(p in layered for p in (ROOT / "webmap").rglob("*.py") if p.parent != ROOT / "webmap")
    assert _files("webmap.layer_registry") == [ROOT / "webmap" / "layer_registry.py"]


def test_each_layer_record_names_a_builder_in_maps_and_a_drawer_in_figures() -> None:
    """The paths of :data:`webmap.layer_registry.LAYERS` keep the one-way rule that the
    walk above cannot see: a builder is a function of ``webmap.maps``, a drawer one of
    ``webmap.figures``, and each loads."""
    from webmap.layer_registry import LAYERS

    builders = [layer.build for layer in LAYERS.values() if layer.build is not None]
    drawers = [layer.draw for layer in LAYERS.values() if layer.draw is not None]
    assert builders and drawers
    assert all(path.startswith("webmap.maps.") for path in builders), builders
    assert all(path.startswith("webmap.figures.") for path in drawers), drawers
    assert all(callable(layer.builder()) for layer in LAYERS.values() if layer.build)
    assert all(callable(layer.drawer()) for layer in LAYERS.values() if layer.draw)


def test_a_builder_is_never_loaded_from_outside_maps() -> None:
    """A record pointing its builder into another package is refused when loaded."""
    from webmap.layer_registry import Layer

    stray = Layer("x", "X", "X", False, build="webmap.figures.layers:draw_nn")
    with pytest.raises(LookupError, match=r"not a function of webmap\.maps"):
        stray.builder()


def test_the_walk_finds_an_import_inside_a_function(tmp_path: Path) -> None:
    """The walk is not fooled by a lazy import (a rule that sees nothing passes vacuously)."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from flask import request\n    import folium\n")
    assert [name for _, name in _imports(module)] == ["flask.request", "folium"]


def test_the_readme_shows_the_tree() -> None:
    """The README's Layout section names every package of webmap and the tests' folders."""
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout") :]
    layout = layout[: layout.index("\n## ")] if "\n## " in layout else layout
    packages = [p.name for p in (ROOT / "webmap").iterdir() if (p / "__init__.py").is_file()]
    assert packages
    for name in [*packages, "config.py", "errors.py"]:
        assert f"  {name}" in layout, name
    for folder in (p.name for p in (ROOT / "tests").iterdir() if (p / "__init__.py").is_file()):
        assert f"{folder}/" in layout, folder
