"""The pytest plugin of the conformance suite (entry point ``pytest11: dezero_conformance``).

It adds ``--dezero-backend=NAME[,NAME...]|all`` and the ``dezero_backend`` fixture: every test that
asks for the fixture runs once per selected backend, inside ``using_backend(name)``, with the
backend's name in its id (``test_forward[numpy-float32-sin-(2, 3)]``). ``all`` means every installed
backend; an unusable one (cupy without a GPU) is reported as skipped with the reason, and a named one
whose distribution fails to load is an error that shows the load error. Without the option the
fixture is the current backend (``DEZERO_BACKEND`` or auto; a ``DEZERO_BACKEND`` that names an
unknown or unusable backend is an error). Sessions that never ask for
the fixture are untouched: the plugin imports no array library and resolves nothing until then.

The terminal summary lists, per backend, what ran and what was skipped or unsupported, and why.
"""
from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest

OPTION = "--dezero-backend"
FIXTURE = "dezero_backend"
#: tests marked with this run on unusable backends too, as one skip each that says why
REPORTS_UNUSABLE = "dezero_reports_unusable"


@dataclass
class BackendSelection:
    """The backends a session runs on: usable ones by name, unusable ones with the reason."""

    requested: str | None
    usable: list[str] = field(default_factory=list)
    unusable: dict[str, str] = field(default_factory=dict)


_SELECTION = pytest.StashKey[BackendSelection]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dezero", "dezero conformance suite")
    group.addoption(
        OPTION, action="store", default=None, metavar="NAME[,NAME...]|all",
        help="array backends the dezero_backend fixture (and the conformance suite "
             "`--pyargs dezero_core.testing`) runs on: names from `dezero plugins`, or 'all' for "
             "every installed backend. Default: the current backend (DEZERO_BACKEND, else auto).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{REPORTS_UNUSABLE}: also run on unusable backends, as a skip giving the reason")
    config.pluginmanager.register(_BackendReport(config), "dezero_backend_report")
    if config.getoption(OPTION) is not None:
        selection(config)  # asked for explicitly: a wrong name is a usage error before collection


def selection(config: pytest.Config) -> BackendSelection:
    """The backends of this session, resolved (and their libraries imported) on first call."""
    if _SELECTION not in config.stash:
        config.stash[_SELECTION] = _resolve(config.getoption(OPTION))
    return config.stash[_SELECTION]


def _resolve(requested: str | None) -> BackendSelection:
    from dezero_core.backend.selection import ENV, BackendError, backend_names, get_backend

    chosen = BackendSelection(requested)
    if requested is None:
        try:
            chosen.usable.append(get_backend().name)
        except BackendError as exc:
            if os.environ.get(ENV, "auto").strip() not in ("", "auto"):
                raise pytest.UsageError(str(exc)) from None  # a wrong DEZERO_BACKEND is no skip
            chosen.unusable["auto"] = str(exc)
        return chosen
    installed = backend_names()
    explicit = requested.strip() != "all"
    names = [n.strip() for n in requested.split(",") if n.strip()] if explicit else installed
    if not names:
        raise pytest.UsageError(f"{OPTION}={requested!r} selects no backend; installed: "
                                f"{', '.join(installed) or 'none (pip install dezero-numpy)'}")
    for name in names:
        reason = _unusable_reason(name, installed, explicit)
        if reason is None:
            chosen.usable.append(name)
        else:
            chosen.unusable[name] = reason
    return chosen


def _unusable_reason(name: str, installed: list[str], explicit: bool) -> str | None:
    """None when backend ``name`` works, else why not (no device, a missing library: a skip).

    An unknown name is a usage error, and so is a backend whose distribution fails to load when it
    was named (under ``all``, when ``DEZERO_PLUGIN_ERRORS=raise``): a broken install never passes
    as "everything skipped".
    """
    from dezero_core.backend.selection import _instance
    from dezero_core.discovery.registry import error_policy

    if name.split(":")[-1] not in installed:
        raise pytest.UsageError(f"{OPTION}: no backend named {name!r} is installed; installed: "
                                f"{', '.join(installed) or 'none (pip install dezero-numpy)'}")
    try:
        backend = _instance(name)
    except Exception as exc:  # the distribution fails to import, or its entry point is no backend
        if explicit or error_policy() == "raise":
            raise pytest.UsageError(f"{OPTION}: backend {name!r} is installed but fails to load: {exc}") from None
        return f"fails to load: {exc}"
    return None if backend.is_available() else backend.unavailable_reason


@pytest.hookimpl(tryfirst=True)  # first, so that the backend leads every test id
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if FIXTURE not in metafunc.fixturenames:
        return
    chosen = selection(metafunc.config)
    params = [pytest.param(n, id=n) for n in chosen.usable]
    if not chosen.usable or metafunc.definition.get_closest_marker(REPORTS_UNUSABLE):
        params += [pytest.param(n, id=n, marks=pytest.mark.skip(reason=f"{n}: {why}"))
                   for n, why in chosen.unusable.items()]
    metafunc.parametrize(FIXTURE, params, indirect=True)


@pytest.fixture
def dezero_backend(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The backend under test (one per ``--dezero-backend`` name), made current for the test."""
    from dezero_core.backend.selection import get_backend, using_backend

    name = getattr(request, "param", None)
    if name is None:  # asked for dynamically (getfixturevalue), so not parametrized: the first usable
        chosen = selection(request.config)
        if not chosen.usable:
            pytest.skip("no usable backend: " + "; ".join(f"{n}: {why}" for n, why in chosen.unusable.items()))
        name = chosen.usable[0]
    backend = get_backend(name)
    with using_backend(name):
        yield backend


class _BackendReport:
    """Counts outcomes and skip reasons per backend, and prints them at the end of the session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.outcomes: dict[str, Counter] = defaultdict(Counter)
        self.skip_reasons: dict[str, Counter] = defaultdict(Counter)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any) -> Iterator[Any]:
        report = yield
        callspec = getattr(item, "callspec", None)
        if callspec is not None and FIXTURE in callspec.params:
            # on the report itself, so that it travels with it (pytest-xdist workers included)
            report.user_properties.append((FIXTURE, callspec.params[FIXTURE]))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = dict(report.user_properties).get(FIXTURE)
        if name is None:
            return
        if report.skipped:
            self.outcomes[name]["skipped"] += 1
            self.skip_reasons[name][_skip_reason(report)] += 1
        elif report.failed:
            self.outcomes[name]["failed" if report.when == "call" else "error"] += 1
        elif report.when == "call":
            self.outcomes[name]["passed"] += 1

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        chosen = self.config.stash.get(_SELECTION, None)
        if chosen is None:
            return  # no test asked for a backend: nothing to report
        terminalreporter.section("dezero backends")
        for name in chosen.usable:
            counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.outcomes[name].items()))
            terminalreporter.write_line(f"{name}: {counts or 'no tests'}")
            for reason, n in sorted(self.skip_reasons[name].items(), key=lambda kv: (-kv[1], kv[0])):
                terminalreporter.write_line(f"    {n} skipped: {reason}")
        for name, why in chosen.unusable.items():
            terminalreporter.write_line(f"{name}: not run, unusable: {why}")


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")
