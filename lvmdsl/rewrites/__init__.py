"""Data augmentation as visible model rewrites (IR -> IR), run before derivation.

``lv.rewrites()`` lists the rules; ``lv.register_rewrite(rule)`` adds one; ``lv.derive(m,
augment=False | True | ["probit", ...])`` and ``lv.infer(..., augment=...)`` choose which run.
"""

from .base import REGISTRY, Match, Record, Rule, apply_rewrites, register_rewrite, rewrites
from .ir import ModelBuilder
from .missing import Interval, IntervalData, interval
from .rules import BUILTIN

for _rule in (*BUILTIN, IntervalData()):
    register_rewrite(_rule)

__all__ = ["Interval", "interval", "Match", "Record", "Rule", "ModelBuilder", "apply_rewrites", "register_rewrite", "rewrites", "REGISTRY"]
