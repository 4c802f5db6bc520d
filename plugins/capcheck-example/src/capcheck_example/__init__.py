"""capcheck-example: the example third-party plugin (namespaced kind, kind extension, rules; see README.md)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
