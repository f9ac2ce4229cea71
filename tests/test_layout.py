"""The layers keep to their rule: each package imports only what its layer may use.

- ``geo`` imports nothing from ``webmap``;
- ``webmap.api`` (answers), ``webmap.maps`` (Folium) and ``webmap.figures`` (matplotlib)
  import only ``geo``, their own package and the shared ``webmap.error_table``, ``webmap.config``,
  ``webmap.i18n`` and ``webmap.vocabulary`` (the language of what is drawn) and
  ``webmap.layer_registry``; ``api`` and ``figures`` never import Flask, Folium or click,
  ``maps`` never Flask;
- ``webmap.layer_registry`` (the layer records maps and figures both read) imports neither
  of them nor any drawing library: it names each layer's builder and drawer by path, and
  each path points into the side that draws it (``webmap.maps``, ``webmap.figures``);
- ``webmap.web`` adapts both and never imports the command line;
- ``webmap.commands`` uses ``api``, ``maps`` and ``geo``, and of ``web`` only the app factory
  and the worker processes ``serve`` starts;
- ``geo``'s ``_private`` modules are used only inside ``geo``: ``webmap`` and ``scripts``
  import its public modules;
- no module of ``geo``, ``webmap`` or ``scripts`` imports a ``_private`` name from another
  of our modules (tests may reach into the module they test).

Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: our top-level packages: the private-name rule is about their boundaries, not a library's
OURS = ("geo", "webmap", "scripts", "tests")
SHARED = (
    "webmap.error_table",
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


def _names(path: Path) -> list[tuple[int, str, str]]:
    """Each ``from module import name`` of ``path``: its line, the module and the name."""
    return [
        (node.lineno, node.module, alias.name)
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.ImportFrom) and node.module and not node.level
        for alias in node.names
    ]


def _where(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def _is_module(name: str) -> bool:
    """``name`` (dotted) is one of our modules or packages, not a name inside one."""
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _private_geo_modules(path: Path) -> list[str]:
    """The imports of ``path`` that reach a ``_private`` module of ``geo``."""
    return [
        f"{_where(path)}:{line} imports {name}"
        for line, name in _imports(path)
        if _within(name, ("geo",)) and any(_private(part) for part in name.split(".")[1:])
    ]


def _private_names(path: Path) -> list[str]:
    """The ``_private`` names (not submodules) ``path`` imports from our other modules."""
    return [
        f"{_where(path)}:{line} imports {name} from {module}"
        for line, module, name in _names(path)
        if _within(module, OURS) and _private(name) and not _is_module(f"{module}.{name}")
    ]


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


@pytest.mark.parametrize("folder", ["webmap", "scripts"])
def test_geo_private_modules_stay_inside_geo(folder: str) -> None:
    broken = [
        line
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line in _private_geo_modules(path)
    ]
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("folder", ["geo", "webmap", "scripts"])
def test_no_module_imports_a_private_name_of_another(folder: str) -> None:
    broken = [
        line for path in sorted((ROOT / folder).rglob("*.py")) for line in _private_names(path)
    ]
    assert not broken, "\n".join(broken)


def test_the_rule_sees_every_module() -> None:
    """No module of webmap sits outside a layer, apart from the package's entry points."""
    layered = {p for package in RULES for p in _files(package)}
    top = {p.name for p in (ROOT / "webmap").glob("*.py")}
    assert top <= {
        "__init__.py",
        "__main__.py",
        "error_table.py",
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

    stray = Layer("x", "X", "X", False, build="webmap.figures.layer_drawers:draw_nn")
    with pytest.raises(LookupError, match=r"not a function of webmap\.maps"):
        stray.builder()


def test_the_walk_finds_an_import_inside_a_function(tmp_path: Path) -> None:
    """The walk is not fooled by a lazy import (a rule that sees nothing passes vacuously)."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from flask import request\n    import folium\n")
    assert [name for _, name in _imports(module)] == ["flask.request", "folium"]


def test_the_walk_finds_a_private_geo_module(tmp_path: Path) -> None:
    """Both spellings of a private module are seen, lazy or not; public ones are not."""
    module = tmp_path / "m.py"
    module.write_text(
        "import geo._geodesy\n"
        "def f():\n    from geo import _validate\n    from geo.network._cache import graph_path\n"
        "from geo.errors import ParameterError\nfrom geo import schema\n"
    )
    found = [line.split(" imports ")[1] for line in _private_geo_modules(module)]
    assert found == ["geo._geodesy", "geo._validate", "geo.network._cache.graph_path"]


def test_the_walk_finds_a_private_name(tmp_path: Path) -> None:
    """A private name is seen in a function too; a private module, a dunder name and a
    library's private name are not this rule's business."""
    module = tmp_path / "m.py"
    module.write_text(
        "from __future__ import annotations\nfrom geo import _validate\n"
        "from pyogrio._ogr import _register_drivers\nfrom geo import __version__\n"
        "def f():\n    from geo.points import _hidden, read_points\n"
        "    from tests.web.test_workbench import _ACCENT\n"
    )
    found = [line.split(" imports ")[1] for line in _private_names(module)]
    assert found == ["_hidden from geo.points", "_ACCENT from tests.web.test_workbench"]


def test_the_readme_shows_the_tree() -> None:
    """The README's Layout section names every package of webmap and the tests' folders."""
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout") :]
    layout = layout[: layout.index("\n## ")] if "\n## " in layout else layout
    packages = [p.name for p in (ROOT / "webmap").iterdir() if (p / "__init__.py").is_file()]
    assert packages
    for name in [*packages, "config.py", "error_table.py"]:
        assert f"  {name}" in layout, name
    for folder in (p.name for p in (ROOT / "tests").iterdir() if (p / "__init__.py").is_file()):
        assert f"{folder}/" in layout, folder


def test_no_two_modules_share_a_file_name() -> None:
    """An editor's "go to file" finds one module per name: no basename repeats across
    ``geo`` and ``webmap`` (blueprints are ``routes_<name>``, commands ``cmd_<name>``,
    answers ``<name>_api`` where ``geo`` has the name)."""
    names = [
        p.name
        for package in ("geo", "webmap")
        for p in (ROOT / package).rglob("*.py")
        if p.name != "__init__.py"
    ]
    assert names
    assert sorted({n for n in names if names.count(n) > 1}) == []
