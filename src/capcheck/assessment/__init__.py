"""Verdicts over findings: the scorecard and its criteria roll-up, evidence sufficiency, waivers, baselines."""
