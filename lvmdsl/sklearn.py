"""A model plus its inference as a scikit-learn estimator: ``fit``, ``predict``, ``predict_proba``,
``score``, ``score_samples``, ``bic``, ``aic``, ``get_params``/``set_params``.

``LatentVariableEstimator(model)`` binds the rows of ``X`` to the model's observed variable (one
row per element of its first plate; the columns are a second plate or its event), fits by EM
(``method="em"``, or ``"ecm"``, ``"annealed_em"``, ``"online_em"``) or by Gibbs sampling
(``method="gibbs"``), and predicts the discrete latent that selects the data's component (a
mixture's allocation z):

* ``predict_proba(X)[n, k] = p(z_n = k | x_n)``: at the EM estimates, or averaged over the
  posterior draws (``runtime/pointwise.py``);
* ``score_samples(X)[n] = log p(x_n)`` with z summed out: at the estimates, or the posterior
  predictive density log mean_s p(x_n | theta^(s)) for Gibbs; ``score`` is its mean;
* ``bic(X) = -2 sum_n log p(x_n) + p log N``, ``aic(X) = -2 sum_n log p(x_n) + 2p``, with p the
  number of free parameters (a simplex of K weights counts K - 1, a D x D covariance D(D+1)/2).

Without a model, the estimator fits a Gaussian mixture with diagonal covariances and
``n_components`` components (conjugate priors, MAP by EM), so it can be built from its
defaults as scikit-learn's tools require.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .frontend.expr import ModelError


def diagonal_gaussian_mixture(n_components: int = 3):
    """x[n, d] ~ Normal(mu[z_n, d], precision tau[z_n, d]), z_n ~ Categorical(pi), with
    pi ~ Dirichlet(1), mu ~ Normal(0, 100), tau ~ Gamma(1, 1): the default model."""
    import lvmdsl as lv

    K = int(n_components)
    with lv.Model("diagonal_gaussian_mixture") as m:
        pi = lv.Dirichlet("pi", alpha=np.ones(K))
        with lv.plate("k", K):
            with lv.plate("d", "D") as d:
                mu = lv.Normal("mu", mean=0.0, var=100.0)
                tau = lv.Gamma("tau", shape=1.0, rate=1.0)
        with lv.plate("n", "N"):
            z = lv.Categorical("z", p=pi)
            with lv.plate("d", "D") as d:
                lv.Normal("x", mean=mu[z, d], precision=tau[z, d], observed=True)
    return m


class LatentVariableEstimator(DensityMixin, BaseEstimator):
    """A model and its inference, in scikit-learn's habits (see the module docstring).

    Parameters: ``model`` (an ``lv.Model``; None for the diagonal Gaussian mixture with
    ``n_components``), ``method`` (``"em"`` and its variants, or ``"gibbs"``), ``observed`` (the
    variable ``X`` fills; default: the model's only observed variable), ``constants`` (other
    data by name), ``max_iter``, ``tol``, ``restarts`` (EM), ``draws``, ``tune``, ``chains``
    (Gibbs), ``random_state`` (the seed).  Fitted attributes: ``result_`` (the ``EMResult`` or
    ``GibbsResult``), ``model_``, ``n_features_in_``.
    """

    def __init__(self, model=None, n_components: int = 3, method: str = "em", observed=None, constants=None,
                 max_iter: int = 500, tol: float = 1e-8, restarts: int = 1, draws: int = 500, tune: int = 200,
                 chains: int = 2, random_state=None):
        self.model = model
        self.n_components = n_components
        self.method = method
        self.observed = observed
        self.constants = constants
        self.max_iter = max_iter
        self.tol = tol
        self.restarts = restarts
        self.draws = draws
        self.tune = tune
        self.chains = chains
        self.random_state = random_state

    # ------------------------------------------------------------------ binding
    def _observed_variable(self, model):
        from .graph.validate import prepare
        prepare(model)
        names = [v.name for v in model.observed]
        name = self.observed
        if name is None:
            if len(names) != 1:
                raise ModelError(f"model {model.name!r} has observed variables {', '.join(names)}; "
                                 "say which one X fills with observed=...")
            name = names[0]
        if name not in names:
            raise ModelError(f"observed={name!r} is not an observed variable of model {model.name!r} "
                             f"(those are {', '.join(names)})")
        return model.variables[name]

    def _data(self, X) -> dict:
        v = self.observed_var_
        axes = len(v.plates) + len(v.event_shape)
        if axes == 1:
            if X.shape[1] != 1:
                raise ValueError(f"{v.name!r} is one number per row, so X needs 1 column, got {X.shape[1]}")
            value = X[:, 0]
        elif axes == 2:
            value = X
        else:
            raise ModelError(f"{v.name!r} has {axes} axes; an estimator binds X (rows x columns) to a variable "
                             "with two (a plate and a column plate or vector event) or one")
        return {**(self.constants or {}), v.name: value}

    def _seed(self):
        rs = self.random_state
        if rs is None or isinstance(rs, (int, np.integer)):
            return rs
        return int(check_random_state(rs).randint(2**31 - 1))

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y=None):
        """Fit the model to the rows of ``X`` (``y`` is ignored: the model is unsupervised)."""
        import lvmdsl as lv

        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        import copy
        self.model_ = copy.deepcopy(self.model) if self.model is not None else \
            diagonal_gaussian_mixture(self.n_components)
        self.observed_var_ = self._observed_variable(self.model_)
        data = self._data(X)
        if self.method == "gibbs":
            self.result_ = lv.infer(self.model_, data=data, method="gibbs", draws=self.draws, tune=self.tune,
                                    chains=self.chains, seed=self._seed(), progress=False)
        else:
            self.result_ = lv.infer(self.model_, data=data, method=self.method, max_iter=self.max_iter, tol=self.tol,
                                    restarts=self.restarts, seed=self._seed(), progress=False)
        from .runtime.pointwise import marginalised_latent
        self.latent_ = marginalised_latent(self.model_, self.observed_var_.name)
        return self

    def _flat(self):
        res = self.result_
        if self.method == "gibbs":
            return res._flat_draws()
        return {k: np.asarray(v)[None] for k, v in res.params.items()}

    def _bound(self, X):
        from .graph.validate import bind_data
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return bind_data(self.model_, self._data(X), require_observed=False)

    def predict_proba(self, X) -> np.ndarray:
        """p(z_n = k | x_n) for the discrete latent that selects each row's component."""
        from .runtime.pointwise import latent_probabilities
        check_is_fitted(self)
        if self.latent_ is None:
            raise ModelError(f"model {self.model_.name!r} has no discrete latent that selects the rows' component, "
                             "so there is nothing to predict; score() still applies")
        env, sizes = self._bound(X)
        return latent_probabilities(self.model_, self.latent_, env, sizes, self._flat())

    def predict(self, X) -> np.ndarray:
        """The most probable component of each row."""
        return self.predict_proba(X).argmax(-1)

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X).predict(X)

    def score_samples(self, X) -> np.ndarray:
        """log p(x_n) per row, the component summed out (for Gibbs: the posterior predictive density)."""
        from scipy.special import logsumexp

        from .runtime.pointwise import pointwise_loglik
        check_is_fitted(self)
        env, sizes = self._bound(X)
        flat = self._flat()
        ll = pointwise_loglik(self.model_, env, sizes, flat, [self.observed_var_.name])[self.observed_var_.name]
        ll = ll.reshape(ll.shape[:2] + (-1,)).sum(-1) if ll.ndim > 2 else ll
        return logsumexp(ll, axis=0) - np.log(ll.shape[0])

    def score(self, X, y=None) -> float:
        """Mean log-likelihood per row."""
        return float(np.mean(self.score_samples(X)))

    def n_parameters(self) -> int:
        """Free parameters of the fitted model's global unknowns (EM: its parameters)."""
        check_is_fitted(self)
        res, model = self.result_, self.model_
        names = res.param_names if self.method != "gibbs" else [
            v.name for v in model.unknowns if not res.program.d.graph.is_local(v.name)]
        sizes = res.program.sizes
        total = 0
        for name in names:
            v = model.variables[name]
            count = int(np.prod([sizes[p.name] for p in v.plates]))
            kind, ev = v.family.support.kind, tuple(v.event_shape)
            if kind == "simplex":
                free = ev[-1] - 1
            elif kind == "positive_definite":
                free = ev[-1] * (ev[-1] + 1) // 2
            else:
                free = int(np.prod(ev))
            total += count * free
        return total

    def bic(self, X) -> float:
        """Bayesian information criterion, -2 log-likelihood + p log N (lower is better)."""
        ll = self.score_samples(X)
        return float(-2 * ll.sum() + self.n_parameters() * np.log(len(ll)))

    def aic(self, X) -> float:
        """Akaike information criterion, -2 log-likelihood + 2p (lower is better)."""
        ll = self.score_samples(X)
        return float(-2 * ll.sum() + 2 * self.n_parameters())
