"""The built-in augmentation rules: probit, logistic (Polya-gamma), Student-t and Laplace.

Each turns one non-conjugate declaration into a conditionally conjugate pair: a new latent
variable and a factor that, integrated over it, gives back the original density exactly.  The
pass then derives every conditional of the augmented model with the one generic conjugate rule.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..frontend.expr import Func, Literal, ModelError
from .base import Match, Rule


def _literal(e):
    return e.value if isinstance(e, Literal) else None


def _link_argument(v, fn: str):
    """``eta`` when ``v``'s success probability is ``fn(eta)`` (``sigmoid`` or ``Phi``)."""
    p = v.params.get("p")
    return p.arg if isinstance(p, Func) and p.fn == fn else None


class Probit(Rule):
    name = "probit"
    reference = "Albert and Chib (1993)"
    summary = "y ~ Bernoulli(Phi(eta)) -> z ~ Normal(eta, 1) restricted to z > 0 when y = 1, z <= 0 when y = 0"
    identity = ("Phi(eta)^y (1 - Phi(eta))^(1-y) = int N(z | eta, 1) 1[z > 0 if y = 1, z <= 0 if y = 0] dz, "
                "so z | w is a truncated normal and w | z a Gaussian regression")
    latex = (r"\Phi(\eta)^{y}\,(1-\Phi(\eta))^{1-y} = \int \mathcal{N}(z \mid \eta, 1)\,"
             r"\mathbb{1}[z > 0 \text{ if } y = 1,\; z \le 0 \text{ if } y = 0]\,dz")

    def match(self, model, v):
        if v.family.name == "Bernoulli" and v.observed and _link_argument(v, "Phi") is not None:
            return Match(self, v, {"eta": _link_argument(v, "Phi")})
        return None

    def apply(self, b, m):
        v = m.variable
        y = v.name
        z = b.fresh(f"z_{y}")
        given = v.value

        def side(data, upper: bool):
            val = data.get(y, given)
            if val is None:
                raise ModelError(f"{y!r} is observed but no data was given: pass data={{'{y}': array}}")
            arr = np.asarray(val, float)
            if not np.all((arr == 0) | (arr == 1)):
                raise ModelError(f"data for {y!r} must be 0 or 1 (probit regression), got other values")
            if upper:
                return np.where(arr == 1, np.inf, 0.0)
            return np.where(arr == 1, 0.0, -np.inf)

        b.add_const(y, v.plates, value=v.value, shape=() if v.value is None else None, observation=True)
        lo = b.add_const(f"{z}_lower", v.plates, compute=lambda d: side(d, False),
                         describe=f"0 where {y} = 1, -inf where {y} = 0", observation=True)
        hi = b.add_const(f"{z}_upper", v.plates, compute=lambda d: side(d, True),
                         describe=f"+inf where {y} = 1, 0 where {y} = 0", observation=True)
        latent = b.declare("IntervalNormal", z, {"mean": b.expr(m.parts["eta"]), "var": 1.0, "lower": lo, "upper": hi},
                           v.plates)
        return self.record(m, [z], [latent], notes=[f"{y} is now data: it sets the interval of {z} "
                                                    f"({lo.name}: {lo.describe}; {hi.name}: {hi.describe})"])


    def redraw(self, record, S: dict, rng, params=None) -> dict:
        """y given the augmented state, for simulators: y = 1[z > 0] (the interval z lies in)."""
        return {record.variable: (S[record.new[0]] > 0).astype(float)}


class Logistic(Rule):
    name = "logistic"
    reference = "Polson, Scott and Windle (2013)"
    summary = "y ~ Bernoulli | Binomial(sigmoid(eta)) -> omega ~ PolyaGamma(n, 0) and a factor quadratic in eta"
    identity = ("e^(y eta) / (1 + e^eta)^n = 2^-n e^((y - n/2) eta) int e^(-omega eta^2 / 2) PG(omega | n, 0) d omega, "
                "so omega | eta ~ PolyaGamma(n, eta) and the factor is Gaussian in eta")
    latex = (r"\frac{e^{y\eta}}{(1+e^{\eta})^{n}} = 2^{-n} e^{(y - n/2)\eta}"
             r"\int_0^\infty e^{-\omega\eta^2/2}\,\mathrm{PG}(\omega \mid n, 0)\,d\omega")

    def match(self, model, v):
        if v.family.name in ("Bernoulli", "Binomial") and v.observed and _link_argument(v, "sigmoid") is not None:
            return Match(self, v, {"eta": _link_argument(v, "sigmoid")})
        return None

    def apply(self, b, m):
        v = m.variable
        w = b.fresh(f"omega_{v.name}")
        eta = b.expr(m.parts["eta"])
        if v.family.name == "Bernoulli":
            omega = b.declare("PolyaGamma", w, {"b": 1.0, "c": 0.0}, v.plates)
            obs = b.declare("PolyaGammaBernoulli", v.name, {"eta": eta, "omega": omega}, v.plates, observed=True,
                            value=v.value)
        else:
            n = b.expr(v.params["n"])
            omega = b.declare("PolyaGamma", w, {"b": n, "c": 0.0}, v.plates)
            obs = b.declare("PolyaGammaBinomial", v.name, {"n": n, "eta": eta, "omega": omega}, v.plates,
                            observed=True, value=v.value)
        b.refs[v.name] = obs
        return self.record(m, [w], [omega, obs], notes=[f"E[{w}] = n tanh(|eta|/2) / (2|eta|) is what EM uses"])


class StudentTScale(Rule):
    name = "student_t"
    reference = "Andrews and Mallows (1974); West (1987)"
    summary = "x ~ StudentT(df, loc, scale) -> lambda ~ Gamma(df/2, df/2), x ~ Normal(loc, scale^2 / lambda)"
    identity = "t_df(x | loc, scale) = int N(x | loc, scale^2 / lambda) Gamma(lambda | df/2, df/2) d lambda"
    latex = (r"t_\nu(x \mid \mu, s) = \int_0^\infty \mathcal{N}(x \mid \mu, s^2/\lambda)\,"
             r"\mathrm{Gamma}(\lambda \mid \tfrac{\nu}{2}, \tfrac{\nu}{2})\,d\lambda")

    def match(self, model, v):
        if v.family.name == "StudentT" and _literal(v.params["df"]) is not None:
            return Match(self, v)
        return None

    def apply(self, b, m):
        v = m.variable
        lam = b.fresh(f"lambda_{v.name}")
        df = b.expr(v.params["df"])
        latent = b.declare("Gamma", lam, {"shape": df / 2, "rate": df / 2}, v.plates)
        scale = b.expr(v.params["scale"])
        new = b.declare("Normal", v.name, {"mean": b.expr(v.params["loc"]), "var": scale**2 / latent}, v.plates,
                        observed=v.observed, value=v.value)
        b.refs[v.name] = new
        return self.record(m, [lam], [latent, new],
                           notes=["the degrees of freedom must be a number (a rewrite cannot integrate over them)"])


class LaplaceScale(Rule):
    name = "laplace"
    reference = "Park and Casella (2008); Andrews and Mallows (1974)"
    summary = "x ~ Laplace(loc, s) (prior or likelihood) -> tau ~ Exponential(rate 1/(2 s^2)) as a GIG, x ~ Normal(loc, tau)"
    identity = ("Laplace(x | loc, s) = int N(x | loc, tau) Exp(tau | 1/(2 s^2)) d tau; the exponential is "
                "GeneralizedInverseGaussian(1, 1/s^2, 0), so tau | x ~ GIG(1/2, 1/s^2, (x - loc)^2)")
    latex = (r"\frac{1}{2s}e^{-|x-\mu|/s} = \int_0^\infty \mathcal{N}(x \mid \mu, \tau)\,"
             r"\frac{1}{2s^2}e^{-\tau/(2s^2)}\,d\tau")

    def match(self, model, v):
        if v.family.name == "Laplace":
            return Match(self, v)
        return None

    def apply(self, b, m):
        v = m.variable
        tau = b.fresh(f"tau_{v.name}")
        s = b.expr(v.params["scale"])
        latent = b.declare("GeneralizedInverseGaussian", tau, {"p": 1.0, "a": 1 / s**2, "b": 0.0}, v.plates)
        new = b.declare("Normal", v.name, {"mean": b.expr(v.params["loc"]), "var": latent}, v.plates,
                        observed=v.observed, value=v.value)
        b.refs[v.name] = new
        return self.record(m, [tau], [latent, new], notes=[f"E[1/{tau}] = 1 / (s |{v.name} - loc|) is what EM uses"])


class NegativeBinomialLogit(Rule):
    name = "negative_binomial"
    reference = "Polson, Scott and Windle (2013); Zhou et al. (2012)"
    summary = ("y ~ NegativeBinomial(r, sigmoid(eta)) -> omega ~ PolyaGammaJoint(y + r, eta): the count and a "
               "PG(y + r, 0) latent in one factor, quadratic in eta")
    identity = ("p^r (1-p)^y = e^(r eta) / (1 + e^eta)^(y + r) = 2^-(y+r) e^((r - y) eta / 2) int e^(-omega eta^2 / 2) "
                "PG(omega | y + r, 0) d omega with p = sigmoid(eta), so omega | eta ~ PolyaGamma(y + r, eta)")
    latex = (r"\frac{e^{r\eta}}{(1+e^{\eta})^{y+r}} = 2^{-(y+r)} e^{(r-y)\eta/2}"
             r"\int_0^\infty e^{-\omega\eta^2/2}\,\mathrm{PG}(\omega \mid y + r, 0)\,d\omega")

    def match(self, model, v):
        if v.family.name == "NegativeBinomial" and v.observed and _link_argument(v, "sigmoid") is not None \
                and _literal(v.params["r"]) is not None:
            return Match(self, v, {"eta": _link_argument(v, "sigmoid")})
        return None

    def apply(self, b, m):
        v = m.variable
        y, r = v.name, float(_literal(v.params["r"]))
        w = b.fresh(f"omega_{y}")

        def counts(data):
            val = data.get(y, v.value)
            if val is None:
                raise ModelError(f"{y!r} is observed but no data was given: pass data={{'{y}': array}}")
            arr = np.asarray(val, float)
            if not np.all((arr >= 0) & (np.mod(arr, 1) == 0)):
                raise ModelError(f"data for {y!r} must be non-negative integers (negative binomial counts)")
            return arr

        yc = b.add_const(y, v.plates, value=v.value, shape=() if v.value is None else None, observation=True)
        logc = b.add_const(f"{w}_logc", v.plates, observation=True, describe=f"log Gamma({y} + r) - log Gamma(r) - log {y}!",
                           compute=lambda d: special.gammaln(counts(d) + r) - special.gammaln(r) - special.gammaln(counts(d) + 1))
        latent = b.declare("PolyaGammaJoint", w, {"b": yc + r, "eta": b.expr(m.parts["eta"]), "kappa": (r - yc) / 2,
                                                  "logc": logc}, v.plates)
        return self.record(m, [w], [latent], notes=[f"{y} is now data inside the factor of {w} (b = {y} + r)"])

    def redraw(self, record, S: dict, rng, params) -> dict:
        """The counts and their latents given eta, for simulators: y ~ NegativeBinomial(r, sigmoid(eta)),
        then omega ~ PolyaGamma(y + r, eta), a draw from p(y, omega | eta) (``params(name)``: the
        augmented model's parameters at the state)."""
        from ..families import FAMILIES
        p = params(record.new[0])
        eta, b = np.asarray(p["eta"], float), np.asarray(p["b"], float)
        r = b - np.asarray(S[record.variable], float)                 # b = y + r
        y = rng.negative_binomial(r, special.expit(eta)).astype(float)
        omega = FAMILIES["PolyaGamma"].sample(rng, {"b": y + r, "c": eta})
        return {record.variable: y, record.new[0]: omega}


BUILTIN = (Probit(), Logistic(), StudentTScale(), LaplaceScale(), NegativeBinomialLogit())
