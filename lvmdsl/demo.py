"""The demo: the Gaussian mixture of the README, derived and checked on synthetic data."""

from __future__ import annotations

import numpy as np


def gmm_model(K: int = 3):
    """The 1-D Gaussian mixture with conjugate priors used throughout the docs."""
    import lvmdsl as lv

    with lv.Model("gmm") as m:
        pi = lv.Dirichlet("pi", alpha=np.ones(K))
        with lv.plate("k", K):
            mu = lv.Normal("mu", mean=0.0, var=100.0)
            tau = lv.Gamma("tau", shape=1.0, rate=1.0)
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            lv.Normal("x", mean=mu[z], precision=tau[z], observed=True)
    return m


def synthetic_gmm(n: int, seed: int = 0):
    """Data from three well separated components (means -5, 0, 5)."""
    rng = np.random.default_rng(seed)
    z = rng.choice(3, size=n, p=[0.3, 0.5, 0.2])
    x = np.array([-5.0, 0.0, 5.0])[z] + rng.normal(size=n) * np.array([1.0, 0.5, 1.5])[z]
    return x, z


def run_demo(explain: str = "mu", seed: int = 0) -> None:
    import lvmdsl as lv

    m = gmm_model()
    print(m, end="\n\n")
    d = lv.derive(m)
    print(d, end="\n\n")
    print(d.explain(explain), end="\n\n")
    x, z = synthetic_gmm(1000, seed)
    state = {"x": x, "z": z, "tau": np.ones(3), "mu": np.array([-5.0, 0.0, 5.0]), "pi": np.ones(3) / 3}
    post = d["mu"].evaluate(state)
    print("mu | rest at the true allocations: mean", np.round(post.mean(), 3), "sd", np.round(np.sqrt(post.var()), 4))
    print("verify (density-ratio identity at random states):", lv.verify(m, data={"x": x}, seed=seed).summary())
    print()
    src = d.source("gibbs")
    start = src.index("def natural_mu")
    print("Generated numpy update for mu (all of lv.derive(m).source('gibbs') is shown the same way):")
    print(src[start:src.index("\n\n\n", src.index("def update_mu"))], end="\n\n")
    # the mixture posterior is symmetric under relabelling; by default every chain starts from
    # k-means++ allocations numbered by location, so the components keep one labelling
    res = lv.infer(m, data={"x": x}, draws=1000, tune=300, chains=4, seed=seed, progress=True)
    print(res.schedule, end="\n\n")
    print(res.summary(var_names=["pi", "mu", "tau"]).to_string())
    print("\ntrue values: pi = (0.3, 0.5, 0.2), mu = (-5, 0, 5), tau = (1, 4, 0.44)")
