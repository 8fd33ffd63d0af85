"""lvmdsl: declare a probabilistic model; the library derives its inference algorithm."""

from .frontend.expr import Const, ModelError, Phi, diag, dot, exp, log, sigmoid, sqrt
from .frontend.model import Model, Param, Plate, RandomVariable, distribution_constructors, plate

from .derive.derivation import Derivation, derive
from .derive.verify import VerifyReport, verify
from .infer import infer
from .runtime.em import ConvergenceWarning, EMWarning
from .runtime.gibbs import FallbackWarning, InterruptedRunWarning
from .runtime.prior import prior_predictive
from .runtime.results import LabelSwitchingWarning
from .runtime.stranded import StrandedChainWarning
from .rewrites import interval, register_rewrite, rewrites
from .text.load import load, parse, read_bugs

globals().update(distribution_constructors())

from .explain.table import conjugacy_table  # noqa: E402  (needs the constructors above)
from .graph.diagram import graph  # noqa: E402  (lv.graph(m): the plate diagram; the subpackage stays lvmdsl.graph.*)

__version__ = "0.1.0"

__all__ = ["Model", "Param", "Plate", "RandomVariable", "plate", "Const", "ModelError", "diag", "dot", "exp", "log",
           "sigmoid", "sqrt", "Phi", "rewrites", "register_rewrite", "interval", "Derivation", "derive", "VerifyReport",
           "verify", "infer", "conjugacy_table", "graph", "parse", "load", "read_bugs",
           "prior_predictive", "ConvergenceWarning", "EMWarning", "FallbackWarning", "InterruptedRunWarning",
           "LabelSwitchingWarning", "StrandedChainWarning",
           *distribution_constructors()]
