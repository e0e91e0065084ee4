"""The computational graph behind a Variable as Graphviz DOT text, and its rendering with ``dot``.

Variables are orange ellipses (name, shape and dtype when ``verbose``), functions blue boxes.
Rendering needs Graphviz's ``dot`` program; writing ``.dot`` text needs nothing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from dezero_core.graph.variable import Variable

INSTALL_HINT = ("install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
                "conda: conda install graphviz) so that `dot` is on PATH, or save DOT text with to_file='graph.dot'")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_var(v: Variable, verbose: bool) -> str:
    label = "" if v.name is None else v.name
    if verbose and v.data is not None:
        label += (": " if v.name is not None else "") + f"{tuple(v.shape)} {v.dtype}"
    return f"{id(v)} [label={_quote(label)}, color=orange, style=filled]\n"


def _dot_func(f: Any) -> str:
    lines = [f"{id(f)} [label={_quote(f.name)}, color=lightblue, style=filled, shape=box]\n"]
    lines += [f"{id(x)} -> {id(f)}\n" for x in f.inputs]
    lines += [f"{id(f)} -> {id(y)}\n" for y in (ref() for ref in f.outputs) if y is not None]
    return "".join(lines)


def get_dot_graph(output: Variable, verbose: bool = True) -> str:
    """DOT text of the graph that computed ``output`` (every function and variable behind it).

    Call it before a ``backward(retain_graph=False)``, which frees the graph.
    """
    parts = [_dot_var(output, verbose)]
    funcs, seen, drawn = [], set(), {id(output)}

    def add(f: Any) -> None:
        if f is not None and id(f) not in seen:
            seen.add(id(f))
            funcs.append(f)

    add(output.creator)
    while funcs:
        f = funcs.pop()
        if f.inputs is None:
            raise RuntimeError(f"the graph behind {f.name} was freed by backward(retain_graph=False); draw "
                               "it before backward(), or keep the graph (retain_graph=True, the default)")
        parts.append(_dot_func(f))
        for x in f.inputs:
            if id(x) not in drawn:
                drawn.add(id(x))
                parts.append(_dot_var(x, verbose))
            add(x.creator)
    return "digraph g {\n" + "".join(parts) + "}\n"


def plot_dot_graph(output: Variable, verbose: bool = True, to_file: str = "graph.png") -> str:
    """Draw the graph behind ``output`` into ``to_file``; the format is its extension. Returns the path.

    ``.dot`` files get the DOT text; any other format (png, pdf, svg) is rendered by Graphviz's
    ``dot``, and a clear error says how to install it when it is missing.
    """
    return render_dot(get_dot_graph(output, verbose), to_file)


def render_dot(text: str, to_file: str) -> str:
    """Write DOT ``text`` to ``to_file`` (``.dot``/``.gv``) or render it with ``dot`` into that format
    (also used for Define-and-Run graphs). Returns the path."""
    extension = os.path.splitext(to_file)[1][1:].lower()
    if extension in ("dot", "gv"):
        with open(to_file, "w", encoding="utf-8") as f:
            f.write(text)
        return to_file
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(f"drawing {to_file} needs Graphviz's `dot` program, which is not on PATH: {INSTALL_HINT}")
    result = subprocess.run([dot, "-T", extension or "png", "-o", to_file], input=text.encode(),
                            capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"dot failed to draw {to_file}: {result.stderr.decode(errors='replace').strip()}")
    return to_file
