"""The application: one check end to end, configuration, plugin loading and the other commands."""
