"""Safe-path start-up: under ``python -m capcheck``, drop the working directory from ``sys.path``.

``python -m`` puts the working directory first on ``sys.path`` (unless ``-P`` or
``PYTHONSAFEPATH``), so a ``yaml.py`` or ``jsonschema_rs.py`` in a checkout would be imported
in place of the library and run. capcheck never imports from the working directory (see
docs/security.md), so the package drops it while ``runpy`` is still locating the module, before
anything the package imports could be shadowed. Imported only modules the interpreter has
already loaded at that point (``os``, ``sys``).
"""

import os
import sys


def drop_working_directory() -> None:
    """Remove the entry ``python -m`` put first on ``sys.path``, if this process is ``python -m capcheck``.

    While ``python -m`` locates the module, ``sys.argv[0]`` is ``"-m"``: that is how this tells
    ``python -m capcheck`` apart from a program that imports capcheck (whose path is its own).
    """
    if sys.flags.safe_path or sys.argv[:1] != ["-m"] or not sys.path:
        return
    first = sys.path[0]
    try:
        here = os.getcwd()
    except OSError:  # the working directory was removed: nothing to protect against
        here = None
    if first == "" or (here is not None and os.path.realpath(first) == os.path.realpath(here)):
        del sys.path[0]
