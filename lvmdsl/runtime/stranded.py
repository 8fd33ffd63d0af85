"""A check for stranded chains that does not rely on R-hat.

R-hat compares between-chain and within-chain variance over all chains together, so one chain
out of 128 sitting far from the rest moves it little (a growth-curve chain at sigma = 1600
against the posterior's 6.1 gave R-hat 1.01).  Here each chain is compared with the others
alone: for each scalar element of a continuous unknown, chain c is stranded when

    |mean_c - median of the other chains' means| > LIMIT * sd_others,

where sd_others is the standard deviation of the other chains' draws pooled together (their
within-chain spread plus the spread of their means).  Components of a mixture are left to the
label-switching check, since chains on different labellings differ by design.
"""

from __future__ import annotations

import warnings

import numpy as np

LIMIT = 5.0


class StrandedChainWarning(UserWarning):
    """One chain's mean sits far from every other chain's: it has not found the posterior's bulk."""


def stranded_chains(x: np.ndarray) -> list[tuple[int, int, float]]:
    """``(chain, flat element, distance in sds)`` for draws ``x`` shaped ``(chains, draws, ...)``."""
    C = x.shape[0]
    if C < 3 or x.shape[1] < 2:
        return []
    flat = x.reshape(C, x.shape[1], -1)
    means, var = flat.mean(1), flat.var(1)                   # (C, elements)
    out = []
    for c in range(C):
        others = np.delete(np.arange(C), c)
        centre = np.median(means[others], axis=0)
        spread = np.sqrt(var[others].mean(0) + means[others].var(0))
        with np.errstate(divide="ignore", invalid="ignore"):
            dist = np.abs(means[c] - centre) / spread
        dist = np.where(spread > 0, dist, np.where(means[c] != centre, np.inf, 0.0))
        e = int(np.argmax(dist))
        if dist[e] > LIMIT:
            out.append((c, e, float(dist[e])))
    return out


def warn_stranded(model, draws: dict, skip=()) -> None:
    """One warning per unknown with stranded chains, naming the element and the chains."""
    for name, x in draws.items():
        v = model.variables[name]
        if v.is_discrete or name in skip:
            continue
        found = stranded_chains(np.asarray(x, dtype=float))
        if not found:
            continue
        shape = x.shape[2:]
        parts = []
        for c, e, d in found[:5]:
            where = f"{name}[{', '.join(map(str, np.unravel_index(e, shape)))}]" if shape else name
            parts.append(f"chain {c} ({where}: {d:.0f} sd from the other chains)")
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        warnings.warn(f"stranded chain(s) for {name!r}: {', '.join(parts)}{more}. Their draws are far from "
                      "every other chain's, which R-hat can miss; run longer (more tune=), or give init= "
                      "values near the bulk, and drop those chains before summarising",
                      StrandedChainWarning, stacklevel=3)
