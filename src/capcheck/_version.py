"""The capcheck version: kept apart so that `capcheck --version` imports nothing else."""

__version__ = "0.1.0"
