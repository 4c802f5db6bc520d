"""The built-in evidence loaders, one module per file format."""
