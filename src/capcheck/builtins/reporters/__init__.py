"""The built-in reporters, one module per output format."""
