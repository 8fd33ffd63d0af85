"""``lv.verify(model)``: the density-ratio identity for every derived conditional.

For a conditional q of theta and two values theta, theta' with everything else fixed,
log q(theta') - log q(theta) must equal log p(theta', rest) - log p(theta, rest).  The right side
is computed by the numpy lowering and the families' numeric densities, which share nothing with
the symbolic derivation, so agreement is an independent check of every derived formula.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..frontend.model import Model
from ..frontend.expr import ModelError
from ..graph.validate import bind_data, log_joint
from ..runtime.forward import sample_prior
from .derivation import derive


@dataclass
class VerifyReport:
    """Largest discrepancy per unknown (conjugate ones), and the unknowns skipped with why."""

    errors: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    tol: float = 1e-8

    @property
    def ok(self) -> bool:
        return all(e <= self.tol for e in self.errors.values())

    def summary(self) -> str:
        worst = max(self.errors.values(), default=0.0)
        s = f"{'ok' if self.ok else 'FAILED'}: {len(self.errors)} conditional(s), largest error {worst:.1e}"
        return s + (f"; not conjugate: {', '.join(self.skipped)}" if self.skipped else "")


def _default_sizes(model: Model, data: dict | None) -> dict:
    try:        # sizes only (from the data, or from constants with values); the real check happens below
        _, sizes = bind_data(model, data, require_observed=False)
    except ModelError:
        sizes = {}
    for p in model.plates.values():
        if isinstance(p.size, str) and p.name not in sizes:
            sizes[p.name] = sizes[p.size] = 4
    return sizes


def _param_states(model: Model, rng, sizes: dict) -> dict:
    """Values for the Params (no prior to draw from): any state in their domains will do for the
    identity, so each is drawn from its domain's reference distribution (``Flat.reference_draw``)."""
    from ..families.flat import Flat
    out = {}
    for v in model.unknowns:
        if isinstance(v.family, Flat):
            shape = tuple(sizes.get(p.name, p.size) if isinstance(p.size, str) else p.size for p in v.plates)
            out[v.name] = v.family.reference_draw(rng, shape)
    return out


def verify(model: Model, data: dict | None = None, seed: int = 0, states: int = 3,
           sizes: dict | None = None, tol: float = 1e-8, engine: str | None = None) -> VerifyReport:
    """Check every conjugate conditional at ``states`` random states (from the prior, or the data).

    ``engine`` chooses the derivation checked (the array-level ``"index"``, the default, or ``"element"``)."""
    rng = np.random.default_rng(seed)
    d = derive(model, engine=engine)
    sizes = {**_default_sizes(model, data), **(sizes or {})}
    report = VerifyReport(tol=tol)
    aug = d.model                      # the augmented model when a rewrite ran: its conditionals are checked
    for _ in range(states):
        env = sample_prior(model, rng, sizes, fixed={**_param_states(model, rng, sizes), **(data or {})})
        if aug is not model:           # the declared model's data, then the augmented model's other variables
            given = {k: env[k] for k in [*model.consts, *(v.name for v in model.observed)] if k in env}
            for c in aug.consts.values():
                if getattr(c, "compute", None) is not None:
                    given[c.name] = c.compute(given)
            env = sample_prior(aug, rng, sizes, fixed=given)
        _, full_sizes = bind_data(aug, env)
        for name, c in d.items():
            if not c.conjugate:
                report.skipped[name] = str(c.reason)
                continue
            q = c.evaluate(env)
            a, b = q.sample(rng), q.sample(rng)
            ea, eb = dict(env), dict(env)
            ea[name], eb[name] = a, b
            lhs = np.sum(q.logpdf(b)) - np.sum(q.logpdf(a))
            rhs = log_joint(aug, eb, full_sizes) - log_joint(aug, ea, full_sizes)
            err = abs(lhs - rhs) / max(1.0, abs(rhs))
            report.errors[name] = max(report.errors.get(name, 0.0), float(err))
    return report
