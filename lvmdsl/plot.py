"""Plots where a picture beats a table (needs the ``[plot]`` extra: matplotlib).

- ``trace(res)``: per unknown element, the draws of every chain against the iteration (left)
  and each chain's histogram (right): chains that mix overlap, stuck or switched chains do not;
- ``loglik_path(fit)``: EM's log-likelihood per iteration for every restart (the best in
  colour) and, below, its increase per iteration on a log scale, which EM keeps positive and
  which falls towards ``tol`` as it converges;
- ``ppc(res, "x")``: the posterior predictive check: the observed data's histogram over those of
  replicated data sets, one per posterior draw (for discrete data, the frequency of each value).

Each returns the matplotlib ``Figure``; ``path=`` saves it too (the format from the suffix).
"""

from __future__ import annotations

import numpy as np

from .frontend.expr import ModelError


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ModelError("plotting needs matplotlib: pip install 'lvmdsl[plot]'") from None
    return plt


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def _elements(draws: np.ndarray, max_elements: int):
    """(label suffix, (chains, draws) array) for the first ``max_elements`` elements."""
    flat = draws.reshape(draws.shape[:2] + (-1,))
    shape = draws.shape[2:]
    out = []
    for i in range(min(flat.shape[2], max_elements)):
        idx = np.unravel_index(i, shape) if shape else ()
        out.append(("[" + ", ".join(map(str, idx)) + "]" if shape else "", flat[:, :, i]))
    return out


def trace(res, var_names=None, max_elements: int = 4, path=None):
    """Trace and histogram per chain of each continuous unknown's first ``max_elements`` elements."""
    plt = _pyplot()
    names = list(var_names or [n for n in res.draws if not res.model.variables[n].is_discrete])
    missing = [n for n in names if n not in res.draws]
    if missing:
        raise ModelError(f"no draws of {', '.join(missing)}; the stored unknowns are {', '.join(res.draws)}")
    rows = [(n + s, a) for n in names for s, a in _elements(np.asarray(res.draws[n], float), max_elements)]
    if not rows:
        raise ModelError("nothing to plot: give var_names with continuous unknowns")
    fig, axes = plt.subplots(len(rows), 2, figsize=(10, 1.9 * len(rows) + 0.4), squeeze=False,
                             gridspec_kw={"width_ratios": [3, 1]})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (label, a), (left, right) in zip(rows, axes):
        bins = np.histogram_bin_edges(a, bins=40)
        for c in range(a.shape[0]):
            col = colours[c % len(colours)]
            left.plot(a[c], lw=0.6, alpha=0.8, color=col, label=f"chain {c}")
            right.hist(a[c], bins=bins, histtype="step", color=col, orientation="horizontal")
        left.set_ylabel(label)
        right.set_ylim(left.get_ylim())
        right.set_yticklabels([])
    axes[0, 0].set_title(f"{res.model.name}: draws per chain")
    axes[0, 1].set_title("histogram per chain")
    axes[-1, 0].set_xlabel("draw (after warm-up)")
    axes[-1, 1].set_xlabel("count")
    if res.chains > 1:
        axes[0, 0].legend(loc="upper right", fontsize="x-small", ncol=min(res.chains, 4))
    return _finish(fig, path)


def loglik_path(fit, path=None):
    """Log-likelihood per EM iteration for every restart, and the best restart's increase.

    For ``online_em`` each step's value is its minibatch's log-likelihood scaled to the whole
    data (noisy by nature, so no increase panel), and the last point is the exact
    log-likelihood of the whole data at the final estimates."""
    plt = _pyplot()
    all_ll = np.atleast_2d(np.asarray(getattr(fit, "all_loglik", fit.loglik), float))
    best = np.asarray(fit.loglik, float)
    if not np.isfinite(best).any():
        raise ModelError(f"this {fit.method} result has no log-likelihood to plot (Monte Carlo EM does not compute it)")
    online = fit.method == "online_em"
    if online:
        fig, top = plt.subplots(figsize=(7, 4))
    else:
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    others = [ll for r, ll in enumerate(all_ll) if r != getattr(fit, "best", 0)]
    for i, ll in enumerate(others):
        ok = np.isfinite(ll)
        top.plot(np.flatnonzero(ok), ll[ok], color="0.6", lw=1, label="other restarts" if i == 0 else None)
    if online:
        top.plot(np.arange(best.size - 1), best[:-1], color="C0", lw=0.8,
                 label="minibatch log-likelihood x (N / batch size)")
        top.axhline(best[-1], color="k", lw=1.5, ls="--", label="whole data at the final estimates")
    else:
        top.plot(np.arange(best.size), best, color="C0", lw=2, marker="o", ms=3, label="best restart")
    top.set_ylabel("log-likelihood" + (" + log-prior" if _is_map(fit) else ""))
    top.set_title(f"{fit.model.name}: {fit.method}, " + (f"{fit.n_iter} minibatch steps" if online else
                  f"{'converged' if fit.converged else 'not converged'} after {fit.n_iter} iterations"))
    top.legend(loc="lower right", fontsize="small")
    if online:
        top.set_xlabel("minibatch step")
        return _finish(fig, path)
    gain = np.diff(best)
    it = np.arange(1, best.size)
    pos = gain > 0
    bottom.semilogy(it[pos], gain[pos], color="C0", marker="o", ms=3, lw=1)
    if (~pos).any():
        bottom.scatter(it[~pos], np.full((~pos).sum(), gain[pos].min() if pos.any() else 1.0), marker="x",
                       color="C3", label="no increase", zorder=3)
        bottom.legend(loc="upper right", fontsize="small")
    bottom.set_ylabel("increase per iteration")
    bottom.set_xlabel("iteration")
    return _finish(fig, path)


def _is_map(fit) -> bool:
    d = getattr(getattr(fit, "program", None), "d", None)
    return d is not None and any(not d[p].flat for p in fit.params if p in d)


def ppc(res, name: str | None = None, n_replicates: int = 50, seed: int = 0, path=None):
    """Observed data against ``n_replicates`` replicated data sets from the posterior predictive."""
    plt = _pyplot()
    observed = [v.name for v in res.model.observed]
    name = name or observed[0]
    if name not in observed:
        raise ModelError(f"{name!r} is not an observed variable; choose one of {', '.join(observed)}")
    y = np.asarray(res.program.env[name], float).ravel()
    rep = np.asarray(res.posterior_predictive([name], seed=seed)[name], float)
    rep = rep.reshape((-1, y.size))
    pick = np.random.default_rng(seed).choice(len(rep), size=min(n_replicates, len(rep)), replace=False)
    rep = rep[pick]
    fig, ax = plt.subplots(figsize=(7, 4))
    if res.model.variables[name].is_discrete:
        values = np.arange(int(min(y.min(), rep.min())), int(max(y.max(), rep.max())) + 1)
        freq = np.stack([(r[:, None] == values).mean(0) for r in rep])
        lo, hi = np.quantile(freq, [0.05, 0.95], axis=0)
        ax.bar(values, hi - lo, bottom=lo, width=0.6, color="C1", alpha=0.5, label="replicated, 90% band")
        ax.plot(values, (y[:, None] == values).mean(0), "ko", label="observed")
        if values.size <= 20:
            ax.set_xticks(values)
        else:
            from matplotlib.ticker import MaxNLocator
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("frequency")
    else:
        lo, hi = np.quantile(np.concatenate([y, rep.ravel()]), [0.001, 0.999])
        bins = np.linspace(lo, hi, 50)
        for i, r in enumerate(rep):
            ax.hist(r, bins=bins, density=True, histtype="step", color="C1", alpha=0.25, lw=0.8,
                    label="replicated data sets" if i == 0 else None)
        ax.hist(y, bins=bins, density=True, histtype="step", color="k", lw=2, label="observed")
        ax.set_ylabel("density")
    ax.set_xlabel(name)
    ax.set_title(f"{res.model.name}: posterior predictive check of {name} ({len(rep)} replicates)")
    ax.legend(fontsize="small")
    return _finish(fig, path)
