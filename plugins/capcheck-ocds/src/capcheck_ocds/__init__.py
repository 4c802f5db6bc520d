"""capcheck-ocds: two commercial rules for contract registers, such as those read from OCDS packages.

The example third-party plugin for capcheck (and the model to copy). capcheck itself reads OCDS
release and record packages as ``supplier-contracts`` (the built-in ``ocds`` loader, which began in
this plugin). The plugin adds:

* a Python rule, ``ocds.COMM-910`` (:mod:`capcheck_ocds.rules`): a fair share of contract value goes to SMEs;
* a declarative TOML rule, ``ocds.COMM-911`` (``toml_rules/``): contracts shown as active have not passed
  their end date.

capcheck finds it through the entry point ``ocds = "capcheck_ocds.plugin"`` in the ``capcheck`` group.
"""

__all__ = ["__version__"]

__version__ = "0.2.0"
