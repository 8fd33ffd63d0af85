"""Label switching: the default mixture start puts every chain in one labelling, and
``res.relabel()`` repairs draws that are in different labellings.  The check is independent of
the sampler: each chain's late posterior mean of every component must be near the component
that generated the data in the same position (the data's components, sorted by location)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import lvmdsl as lv
from lvmdsl.demo import gmm_model, synthetic_gmm

TRUE_MU = np.array([-5.0, 0.0, 5.0])
TRUE_SD = np.array([1.0, 0.5, 1.5])


def chains_on_true_labelling(res, tail: int) -> np.ndarray:
    """Per chain: whether every component's mean over the last ``tail`` draws is within 0.5 of
    the true mean in its position (the truth is 10+ posterior sd apart, far beyond 0.5)."""
    mu = res.draws["mu"][:, -tail:].mean(1)
    sd = 1 / np.sqrt(res.draws["tau"][:, -tail:].mean(1))
    return np.all(np.abs(mu - TRUE_MU) < 0.5, 1) & np.all(np.abs(sd - TRUE_SD) < 0.4, 1)


@pytest.mark.parametrize("seed", [0, 7, 13])
def test_default_start_keeps_every_chain_on_one_labelling(seed):
    x = synthetic_gmm(300, seed)[0]
    res = lv.infer(gmm_model(), data={"x": x}, draws=300, tune=100, seed=seed, progress=False)
    assert chains_on_true_labelling(res, 150).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", lv.LabelSwitchingWarning)
        res.summary()


@pytest.mark.slow
def test_default_arguments_keep_one_labelling_over_20_seeds():
    for seed in range(20):
        x = synthetic_gmm(300, seed)[0]
        res = lv.infer(gmm_model(), data={"x": x}, seed=seed, progress=False)
        ok = chains_on_true_labelling(res, 1000)
        assert ok.all(), f"seed {seed}: chains {np.nonzero(~ok)[0].tolist()} on another labelling"
        fixed = res.relabel()
        assert chains_on_true_labelling(fixed, 1000).all(), f"seed {seed}: relabelled"


def test_relabel_brings_chains_in_different_labellings_together():
    """Chains started from opposite orderings stay in them (the check fails: it can fail);
    after relabel() every chain is on the true labelling, components, weights and allocations
    permuted consistently (the allocations agree across chains again)."""
    x, z_true = synthetic_gmm(300, 0)
    swapped = {"mu": np.array([[-5.0, 0.0, 5.0], [5.0, 0.0, -5.0], [0.0, 5.0, -5.0]])}
    res = lv.infer(gmm_model(), data={"x": x}, draws=200, tune=50, chains=3, init=swapped, seed=0, progress=False)
    assert chains_on_true_labelling(res, 100).tolist() == [True, False, False]
    with pytest.warns(lv.LabelSwitchingWarning, match=r"res\.relabel\(\) puts every draw in one labelling"):
        res.summary()
    fixed = res.relabel()
    assert chains_on_true_labelling(fixed, 100).all()
    for c in range(3):
        assert np.mean(fixed.draws["z"][c, -1] == z_true) > 0.9
    np.testing.assert_allclose(fixed.draws["pi"][:, -100:].mean((0, 1)), np.bincount(z_true) / len(z_true), atol=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("error", lv.LabelSwitchingWarning)
        fixed.summary()
    # the draws are only permuted: each draw's set of component values is unchanged
    np.testing.assert_array_equal(np.sort(fixed.draws["mu"], -1), np.sort(res.draws["mu"], -1))
    # an ordering constraint after sampling: every draw's means sorted
    ordered = res.relabel(order="mu")
    assert np.all(np.diff(ordered.draws["mu"], axis=-1) >= 0) and chains_on_true_labelling(ordered, 100).all()
    c, s = 1, 17                                              # the draw's other components moved with mu
    k = np.argsort(res.draws["mu"][c, s])
    np.testing.assert_array_equal(ordered.draws["tau"][c, s], res.draws["tau"][c, s][k])
    np.testing.assert_array_equal(ordered.draws["pi"][c, s], res.draws["pi"][c, s][k])
    np.testing.assert_array_equal(ordered.draws["z"][c, s], np.argsort(k)[res.draws["z"][c, s]])
    with pytest.raises(lv.ModelError, match="order='x' must name a component"):
        res.relabel(order="x")
    # a given pivot sets the labelling: the reverse order
    rev = res.relabel(pivot={"mu": TRUE_MU[::-1], "tau": 1 / TRUE_SD[::-1] ** 2, "pi": np.array([0.2, 0.5, 0.3])})
    assert np.all(np.abs(rev.draws["mu"][:, -100:].mean(1) - TRUE_MU[::-1]) < 0.5)


def test_relabelling_agrees_with_brute_force_over_permutations():
    """best_permutations (all K! at once, and the Hungarian algorithm for K > 6) against a loop
    over every permutation of each draw."""
    import itertools
    from lvmdsl.runtime.relabel import best_permutations
    rng = np.random.default_rng(0)
    for K in (3, 7):
        F = rng.normal(size=(12, K, 2))
        P = rng.normal(size=(K, 2))
        perm = best_permutations(F, P)
        for s in range(len(F)):
            costs = {p: sum(((F[s, j] - P[p[j]]) ** 2).sum() for j in range(K))
                     for p in itertools.permutations(range(K))} if K <= 3 else None
            got = sum(((F[s, j] - P[perm[s, j]]) ** 2).sum() for j in range(K))
            if costs is not None:
                assert np.isclose(got, min(costs.values()))
            else:                                   # no single swap of two labels improves it
                for a, b in itertools.combinations(range(K), 2):
                    q = perm[s].copy()
                    q[a], q[b] = q[b], q[a]
                    assert got <= sum(((F[s, j] - P[q[j]]) ** 2).sum() for j in range(K)) + 1e-12
            assert sorted(perm[s]) == list(range(K))


def test_a_user_start_is_left_alone():
    """init= for a component switches the k-means++ start off: the chains start where told."""
    from lvmdsl.runtime.gibbs import GibbsProgram
    from lvmdsl.runtime.initial import initial_state, mixture_start
    x = synthetic_gmm(100, 0)[0]
    prog = GibbsProgram(lv.derive(gmm_model()), {"x": x}, 2)
    rng = np.random.default_rng(0)
    S = initial_state(prog.model, prog.env, prog.sizes, 2, rng, {"mu": TRUE_MU[::-1]})
    assert mixture_start(prog, S, rng, {"mu": TRUE_MU[::-1]}) == []
    np.testing.assert_array_equal(S["mu"], np.broadcast_to(TRUE_MU[::-1], (2, 3)))
    S = initial_state(prog.model, prog.env, prog.sizes, 2, rng, None)
    assert mixture_start(prog, S, rng, None) == ["z"]
    assert np.all(np.diff(S["mu"], axis=1) > 0)               # components numbered by location
