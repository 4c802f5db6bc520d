"""capcheck-ocds: read OCDS release packages as supplier contracts, and two commercial rules.

The example third-party plugin for capcheck (and the model to copy). It adds:

* a loader for ``*.ocds.json`` files (:mod:`capcheck_ocds.loader`): the awards of an OCDS 1.1
  release or record package become records of capcheck's core ``supplier-contracts`` kind;
* a Python rule, ``COMM-910`` (:mod:`capcheck_ocds.rules`): a fair share of contract value goes to SMEs;
* a declarative TOML rule, ``COMM-911`` (``toml_rules/``): contracts shown as active have not passed
  their end date.

capcheck finds it through the entry point ``ocds = "capcheck_ocds.plugin"`` in the ``capcheck`` group.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
