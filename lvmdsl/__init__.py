"""lvmdsl: declare a probabilistic model; the library derives its inference algorithm."""

from .frontend.expr import Const, ModelError, dot, exp, log, sigmoid, sqrt
from .frontend.model import Model, Param, Plate, RandomVariable, distribution_constructors, plate

from .derive.derivation import Derivation, derive
from .derive.verify import VerifyReport, verify
from .infer import infer
from .text.load import load, parse, read_bugs

globals().update(distribution_constructors())

from .explain.table import conjugacy_table  # noqa: E402  (needs the constructors above)

__version__ = "0.1.0"

__all__ = ["Model", "Param", "Plate", "RandomVariable", "plate", "Const", "ModelError", "dot", "exp", "log",
           "sigmoid", "sqrt", "Derivation", "derive", "VerifyReport", "verify", "infer", "conjugacy_table", "parse", "load", "read_bugs",
           *distribution_constructors()]
