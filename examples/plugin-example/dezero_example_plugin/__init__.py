"""An example third-party dezero plugin: ``softsign`` (a function), ``Scale`` (a layer) and two
behaviour hooks, all declared as entry points in ``pyproject.toml``.

Nothing is imported here: dezero imports each module the first time its name is asked for.
"""
