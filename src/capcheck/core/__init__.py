"""The engine: value types, evidence, rules and their evaluation, the plugin contract. Knows no built-in."""
