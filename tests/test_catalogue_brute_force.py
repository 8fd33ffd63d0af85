"""Every catalogue pair whose families exist: derived posterior against brute-force normalisation.

Data and hyperparameters are drawn by hypothesis-chosen seeds from the model itself; the
reference moments come from quadrature of the model's numeric log-joint (``brute.py``), which
shares no code with the derivation.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lvmdsl as lv
from brute import quadrature_moments
from lvmdsl.explain.table import CATALOGUE
from lvmdsl.families import FAMILIES
from lvmdsl.runtime.forward import sample_prior

SCALAR_PRIORS = {"Beta": (0.0, 1.0), "Gamma": (0.0, None), "InverseGamma": (0.0, None), "Normal": (None, None)}  # support
PAIRS = [p for p in CATALOGUE if p.prior in SCALAR_PRIORS and p.likelihood in FAMILIES and p.prior in FAMILIES]


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{p.prior}-{p.likelihood}" for p in PAIRS])
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 6))
def test_scalar_pair_matches_quadrature(pair, seed, n):
    m = pair.build()
    c = lv.derive(m)["theta"]
    assert c.conjugate, c.reason
    rng = np.random.default_rng(seed)
    env = sample_prior(m, rng, {"n": n, "N": n})
    post = c.evaluate(env)
    mean, sd = float(post.mean()), float(np.sqrt(post.var()))
    lo, hi = SCALAR_PRIORS[pair.prior]
    lo = -np.inf if lo is None else lo
    hi = np.inf if hi is None else hi
    ref_mean, ref_var = quadrature_moments(m, env, "theta", (), lo, hi, points=[mean])
    assert mean == pytest.approx(ref_mean, rel=1e-6, abs=1e-9 * sd)
    assert post.var() == pytest.approx(ref_var, rel=1e-6)


def test_catalogue_pairs_pass_verify():
    for pair in CATALOGUE:
        if pair.prior in FAMILIES and pair.likelihood in FAMILIES:
            report = lv.verify(pair.build(), seed=11)
            assert report.ok and "theta" in report.errors, (pair, report.summary())
