"""The rewrite pass: a registry of augmentation rules run between the model and its derivation.

A rule is a small object with a name, a literature reference and the integral identity it uses
(text and LaTeX).  ``match(model, variable)`` returns a ``Match`` (what it found) or None;
``apply(builder, match)`` declares the replacement in a ``ModelBuilder`` (new latent variables
first, then the augmented factor) and returns a ``Record`` of what it did.  The pass copies every
other declaration unchanged, so the rest of the pipeline sees an ordinary model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..frontend.expr import ModelError
from ..frontend.model import Model, RandomVariable
from .ir import ModelBuilder


@dataclass
class Match:
    """What a rule found in one declaration: the variable and the parts of its parameters."""

    rule: "Rule"
    variable: RandomVariable
    parts: dict = field(default_factory=dict)


@dataclass
class Record:
    """One rewrite as a derivation step: the original factor as an integral of the new ones."""

    rule: str
    variable: str
    new: list                    # names of the latent variables the rewrite introduced
    before: str                  # the original declaration
    after: list                  # the new declarations
    identity: str                # the integral identity (text)
    latex: str                   # the same in LaTeX
    reference: str
    notes: list = field(default_factory=list)

    def __str__(self):
        lines = [f"rewrite {self.rule!r} of {self.variable!r} ({self.reference})",
                 f"  before: {self.before}"]
        lines += [f"  after:  {a}" if i == 0 else f"          {a}" for i, a in enumerate(self.after)]
        lines.append(f"  because {self.identity}")
        lines += [f"  {n}" for n in self.notes]
        return "\n".join(lines)


class Rule:
    """Base class of augmentation rules; subclasses set the attributes and implement both methods."""

    name: str = ""
    reference: str = ""
    identity: str = ""
    latex: str = ""
    summary: str = ""
    #: run when ``augment=True`` (the default); others only when named in ``augment=[...]``
    default: bool = True

    def match(self, model: Model, v: RandomVariable) -> Match | None:
        raise NotImplementedError

    def apply(self, builder: ModelBuilder, m: Match) -> Record:
        raise NotImplementedError

    def record(self, m: Match, new: list, after: list, notes=()) -> Record:
        return Record(self.name, m.variable.name, list(new), m.variable.describe(), [a.describe() for a in after],
                      self.identity, self.latex, self.reference, list(notes))

    def __repr__(self):
        return f"<rewrite {self.name}: {self.summary}>"


REGISTRY: dict[str, Rule] = {}


def register_rewrite(rule: Rule, replace: bool = False) -> Rule:
    """Add a rule to the registry (after the built-in ones); ``replace=True`` overrides a name."""
    if not isinstance(rule, Rule):
        raise ModelError(f"register_rewrite needs an lvmdsl.rewrites.Rule instance, got {type(rule).__name__}")
    if not rule.name or not str(rule.name).isidentifier():
        raise ModelError(f"a rewrite rule needs a name that is an identifier, got {rule.name!r}")
    if rule.name in REGISTRY and not replace:
        raise ModelError(f"a rewrite named {rule.name!r} is already registered; pass replace=True to override it")
    REGISTRY[rule.name] = rule
    return rule


def rewrites() -> list[Rule]:
    """The registered augmentation rules, in the order the pass tries them."""
    return list(REGISTRY.values())


def selected_rules(augment) -> list[Rule]:
    if augment is False or augment is None:
        return []
    if augment is True:
        return [r for r in REGISTRY.values() if r.default]
    if isinstance(augment, str):
        augment = [augment]
    out = []
    for name in augment:
        if isinstance(name, Rule):
            out.append(name)
        elif name in REGISTRY:
            out.append(REGISTRY[name])
        else:
            raise ModelError(f"augment names {name!r}, which is not a registered rewrite; the rewrites are "
                             + ", ".join(REGISTRY))
    return out


def apply_rewrites(model: Model, augment=True, data: dict | None = None) -> tuple[Model, list[Record]]:
    """The augmented model and the records of the rewrites applied (the model itself when none is).

    Each declaration is offered to the selected rules in order; the first that matches rewrites
    it.  Rules that read the data (missing values) see ``data``; without data they do not match.
    """
    rules = selected_rules(augment)
    matches = {}
    for v in model.variables.values():
        for rule in rules:
            m = rule.match(model, v) if not getattr(rule, "needs_data", False) else rule.match(model, v, data)
            if m is not None:
                matches[v.name] = m
                break
    if not matches:
        return model, []
    b = ModelBuilder(model)
    records = []
    for v in model.variables.values():
        if v.name in matches:
            m = matches[v.name]
            records.append(m.rule.apply(b, m))
        else:
            b.copy(v)
    out = b.model
    out.original, out.rewrite_records = model, records
    return out, records
