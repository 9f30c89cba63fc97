"""What docs/architecture.rst promises about the code's shape, checked: shallow inheritance, one name per
constant, every type a user meets exported, and the layering contracts run by ``make lint``."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import typing
from collections import defaultdict
from pathlib import Path

import flask_line

PACKAGE = Path(flask_line.__file__).parent


def product_modules() -> list[str]:
    return [info.name for info in pkgutil.walk_packages(flask_line.__path__, "flask_line.")]


def own_ancestors(cls: type) -> list[type]:
    return [base for base in cls.__mro__[1:] if base.__module__.startswith("flask_line")]


def test_no_class_inherits_more_than_two_levels_of_flask_line():
    deep = []
    for name in product_modules():
        for cls in vars(importlib.import_module(name)).values():
            if inspect.isclass(cls) and cls.__module__ == name and len(own_ancestors(cls)) > 2:
                deep.append(f"{name}.{cls.__name__}")
    assert deep == []


def test_login_versions_are_data_not_subclasses():
    from flask_line._login.flow import LoginFlow
    from flask_line._login.versions import VERSIONS

    assert LoginFlow.__subclasses__() == []
    assert {version.number for version in VERSIONS.values()} == {"2.1", "2.0"}


def test_no_two_constants_of_the_product_share_a_name():
    # The emulator (flask_line.testing) restates LINE's tables on purpose: it shares no rule with the product.
    defined: dict[str, list[str]] = defaultdict(list)
    for path in PACKAGE.rglob("*.py"):
        if "testing" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.upper() == target.id and target.id.strip("_"):
                    defined[target.id].append(str(path.relative_to(PACKAGE)))
    assert {name: places for name, places in defined.items() if len(places) > 1} == {}


def _public_api_types() -> set[type]:
    """Classes named in the signatures of the public API's methods and properties."""
    found: set[type] = set()
    owners = [getattr(flask_line, name) for name in flask_line.__all__]
    for owner in [owner for owner in owners if inspect.isclass(owner)]:
        for name, member in vars(owner).items():
            # Users build LineOAuth (and plain records); the services are built for them, so only what their
            # methods take and give counts.
            if name.startswith("_") and not (name == "__init__" and owner is flask_line.LineOAuth):
                continue
            function = member.fget if isinstance(member, property) else member
            if not callable(function):
                continue
            try:
                hints = typing.get_type_hints(function)
            except Exception:  # a hint that names a type only under TYPE_CHECKING
                continue
            for hint in hints.values():
                stack = [hint]
                while stack:
                    current = stack.pop()
                    stack.extend(typing.get_args(current))
                    if inspect.isclass(current) and current.__module__.startswith("flask_line."):
                        found.add(current)
    return found


def test_every_type_a_user_receives_or_passes_is_exported():
    exported = {getattr(flask_line, name) for name in flask_line.__all__ if inspect.isclass(getattr(flask_line, name))}
    missing = {f"{cls.__module__}.{cls.__qualname__}" for cls in _public_api_types() - exported}
    internal_helpers = {"flask_line._login.flow.LoginFlow", "flask_line._works.flow.WorksSignInFlow"}
    assert missing - internal_helpers == set()
    for alias in ("AccessRule", "LinkUserHook", "Storage", "IdentityStorage", "ModuleApiClient", "Settings"):
        assert alias in flask_line.__all__


def _module_imports() -> dict[str, set[str]]:
    """Every module of the package and the package modules it imports: at the top, under ``TYPE_CHECKING`` and
    inside functions alike (an import hidden in a function is still a circle)."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("flask_line", *path.relative_to(PACKAGE).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = (path, path.name == "__init__.py")
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                source = f"{base}.{node.module}" if node.level and node.module else base if node.level else node.module
                for alias in node.names:
                    found.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else str(source))
        graph[name] = {target for target in found if target in modules and target != name}
    return graph


def test_the_package_has_no_import_circles():
    graph = _module_imports()
    # The package's __init__ re-exports the public names: modules below it never import it, so it is no circle.
    circles = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            current, path = stack.pop()
            for target in graph[current]:
                if target == start:
                    circles.append(" -> ".join([*path, start]))
                elif target not in seen:
                    seen.add(target)
                    stack.append((target, [*path, target]))
    assert circles == []


def test_no_wrapper_passes_unknown_attributes_through():
    """A wrapper implements what it offers: a ``__getattr__`` pass-through turns a typo into a failure deep in a
    request (STYLE.md). The product has none; the emulator is a separate program."""
    passing_through = [
        f"{name}.{cls.__name__}"
        for name in product_modules()
        if not name.startswith("flask_line.testing")
        for cls in vars(importlib.import_module(name)).values()
        if inspect.isclass(cls) and cls.__module__ == name and "__getattr__" in vars(cls)
    ]
    assert passing_through == []


def test_the_store_wrappers_implement_the_storage_interfaces():
    from flask_line import AccountLinkStore, AttachmentStore, SQLiteAccountLinks, SQLiteAttachmentStore
    from flask_line._store.abilities import ClaimingStore, SiteUserLinks
    from flask_line._store.checked import CheckedAttachments, checked_links
    from flask_line._store.lazy import LazyAttachments, LazyLinks

    never_built = LazyAttachments(lambda: SQLiteAttachmentStore("/nonexistent/never-built"))
    assert isinstance(never_built, AttachmentStore) and isinstance(never_built, ClaimingStore)
    assert isinstance(CheckedAttachments(never_built), ClaimingStore)
    links = checked_links(LazyLinks(lambda: SQLiteAccountLinks("/nonexistent/never-built")))
    assert isinstance(links, AccountLinkStore) and not isinstance(links, SiteUserLinks)
    assert links.records_origin, "flask-line's own stores record each link's channel and scope"
