"""A catalogue of bad programs: each must fail with its expected message at its line and column.

Every message has the form ``file:line:column: what``, then the offending line, a caret under the
column, and ``expected: ...``.  The caret is checked to sit under the reported column of the
source line, so positions are verified against the text itself, not just echoed.
"""

from __future__ import annotations

import pytest

import lvmdsl as lv
from lvmdsl.text.errors import TextError
from lvmdsl.text.rdump import parse_rdump

M = "model m {{\n{}\n}}\n"          # a body on line 2 onwards

#: (language, text, expected message fragment, line, column)
CATALOGUE = [
    # ---- syntax (lvmdsl's language)
    ("lvm", "model m {\n  x ~ Normal(mean = 0, var = )\n}", "unexpected ')'", 2, 30),
    ("lvm", "model m {\n  x ~ Normal(mean = 0, var = 1\n}", "unexpected '}'", 3, 1),
    ("lvm", "model m {\n  x ~ Normal(mean = 0, var = 1)\n", "the text ends too early", 2, 32),
    ("lvm", "model m {\n  x ~ Normal(mean = 0, var = $1)\n}", "unexpected character '$'", 2, 30),
    ("lvm", "model {\n}", "unexpected '{'", 1, 7),
    ("lvm", "model m {\n  plate n N { }\n}", "unexpected name 'N'", 2, 11),
    ("lvm", "model m {\n  x = Normal(mean = 0, var = 1)\n}", "unexpected '='", 2, 5),
    ("lvm", "model m {\n  const X: real[2.5]\n}", "unexpected number '.5'", 2, 18),
    # ---- meaning (lvmdsl's language)
    ("lvm", M.format("  x ~ Normall(mean = 0, var = 1)"), "unknown distribution 'Normall'", 2, 7),
    ("lvm", M.format("  x ~ Normal(mean = 0, variance = 1)"), "Normal has no parameter 'variance'", 2, 24),
    ("lvm", M.format("  x ~ Normal(0, 1)"), "Normal parameters are given by keyword", 2, 14),
    ("lvm", M.format("  x ~ Normal(mean = 0, var = 1, sd = 2)"), "give only one of var | sd | precision", 2, 24),
    ("lvm", M.format("  x ~ Normal(mean = 0)"), "needs var | sd | precision", 2, 3),
    ("lvm", M.format("  x ~ Normal(mean = 0, sd = -1)"), "sd must be positive", 2, 24),
    ("lvm", M.format("  x ~ Normal(mean = mu, var = 1)"), "unknown name 'mu'", 2, 21),
    ("lvm", M.format("  x ~ Normal(mean = mu, var = 1)\n  mu ~ Normal(mean = 0, var = 1)"),
     "'mu' is used before its declaration on line 3", 2, 21),
    ("lvm", M.format("  x ~ Normal(mean = 0, var = 1)\n  x ~ Gamma(shape = 1, rate = 1)"), "'x' is declared twice", 3, 3),
    ("lvm", M.format("  x ~ Normal(mean = foo(2), var = 1)"), "unknown function 'foo'", 2, 21),
    ("lvm", M.format("  x ~ Normal(mean = exp(1, 2), var = 1)"), "exp() takes 1 argument(s), got 2", 2, 21),
    ("lvm", M.format("  mu ~ Normal(mean = 0, var = 1)\n  w ~ Dirichlet(alpha = [1.0, mu])"),
     "array literals hold numbers only", 3, 31),
    ("lvm", M.format("  a ~ Dirichlet(alpha = [[1.0, 2.0], [3.0]])"), "rows of this array literal have different lengths", 2, 25),
    ("lvm", M.format("  param s: postive"), "unknown constraint 'postive'", 2, 12),
    ("lvm", M.format("  const X: matrix[2]"), "unknown type 'matrix'", 2, 12),
    ("lvm", M.format("  mu ~ Normal(mean = 0, var = 1)\n  let K = mu"), "let K: the value must be numbers only", 3, 11),
    ("lvm", M.format("  let K = 2.5\n  plate k in K { x ~ Normal(mean = 0, var = 1) }"), "size K is not an integer", 3, 14),
    ("lvm", M.format("  x ~ Normal(mean = 0, var = 1)\n  y ~ Normal(mean = x[1.5], var = 1)"),
     "an index must be an integer, a plate", 3, 23),
    ("lvm", M.format("  x ~ Normal(mean = zeros(0), var = 1)"), "zeros() takes positive integer sizes", 2, 27),
    ("lvm", M.format("  w ~ MultivariateNormal(mean = zeros(2), cov = eye(3))"), "mean must be a vector of length D", 2, 26),
    ("lvm", M.format("  s ~ Normal(mean = 0, var = 1)\n  y ~ Poisson(rate = s)"), "parameter rate needs positive values", 3, 3),
    ("lvm", M.format("  plate exp in 3 { x ~ Normal(mean = 0, var = 1) }\n  plate exp in 4 { }"), "plate 'exp' was declared with size 3, now 4", 3, 3),
    ("lvm", M.format("  const t\n  plate t in 3 { x ~ Normal(mean = 0, var = 1) }"), "plate name 't' is already used", 3, 3),
    # ---- BUGS
    ("bugs", "model {\n  for (i in 1:N) {\n    y[i] ~ dweib(1, 2)\n  }\n}", "distribution 'dweib' is not in lvmdsl's BUGS subset", 3, 12),
    ("bugs", "model {\n  x ~ dnorm(0, 1) T(0, )\n}", "truncation T(,) / censoring I(,) is not supported", 2, 19),
    ("bugs", "model {\n  x ~ dnorm(mean(y[]), 1)\n}", "function 'mean' is not in lvmdsl's BUGS subset", 2, 13),
    ("bugs", "model {\n  for (i in 2:N) {\n    y[i] ~ dnorm(0, 1)\n  }\n}", "starts at 2", 2, 13),
    ("bugs", "model {\n  x[1] ~ dnorm(0, 1)\n  x[2] ~ dnorm(0, 1)\n}", "node 'x' is defined again (first on line 2)", 3, 3),
    ("bugs+data", "model {\n  for (i in 1:N) {\n    y[i] ~ dnorm(mu, 1)\n  }\n}", "'mu' is neither a node of the model nor in the data", 3, 18),
    ("bugs", "model {\n  for (i in 1:N) {\n    y ~ dnorm(0, 1)\n  }\n}", "indexed []", 3, 5),
    ("bugs", "model {\n  for (i in 1:N) {\n    y[i] ~ dnorm(0, 1, 2)\n  }\n}", "dnorm takes 2 argument(s), got 3", 3, 12),
    ("bugs", "model {\n  a ~ dnorm(b, 1)\n  b ~ dnorm(a, 1)\n}", "depend on each other in a cycle", 2, 3),
    ("bugs", "model {\n  x ~ dnorm(0, 1\n}", "unexpected '}'", 3, 1),
    ("bugs", "model {\n  for (i in 1:N) {\n    y[i] ~ dnorm(i, 1)\n  }\n}", "loop index 'i' used as a number", 3, 18),
    ("bugs", "model {\n  x ~ dnorm(0, 1)\n}\ndata {\n  y <- 1\n}", "data { } blocks are not supported", 4, 1),
    ("bugs", "model {\n  s ~ dnorm(0, 1)\n  y ~ dpois(s)\n}", "parameter rate needs positive values", 3, 3),
    # ---- data (R dump)
    ("rdump", "list(N = 3, x = c(1, NA))", "missing value NA", 1, 22),
    ("rdump", "list(N = 3, x = c(1, 2)", "the text ends too early", 1, 24),
    ("rdump", "list(Y = structure(.Data = c(1, 2, 3), .Dim = c(2, 2)))", "needs 4 values, got 3", 1, 10),
]


def read(kind, text):
    if kind == "lvm":
        return lv.parse(text, "bad.lvm")
    if kind == "bugs":
        return lv.read_bugs(text, None, "bad.bug")
    if kind == "bugs+data":
        return lv.read_bugs(text, {"N": 3, "y": [1.0, 2.0, 3.0]}, "bad.bug")
    return parse_rdump(text, "bad.R")


def test_the_catalogue_is_large_enough():
    assert len(CATALOGUE) >= 30


@pytest.mark.parametrize("kind, text, message, line, column", CATALOGUE,
                         ids=[f"{k}-{i}" for i, (k, *_) in enumerate(CATALOGUE)])
def test_bad_program(kind, text, message, line, column):
    with pytest.raises(TextError) as info:
        read(kind, text)
    err = info.value
    rendered = str(err)
    assert message in err.message, rendered
    assert (err.line, err.column) == (line, column), rendered
    head, src_line, caret, *rest = rendered.split("\n")
    assert head.startswith(f"bad.{ {'lvm': 'lvm', 'bugs': 'bug', 'bugs+data': 'bug', 'rdump': 'R'}[kind] }:{line}:{column}: ")
    assert src_line == "    " + text.splitlines()[line - 1] if line <= len(text.splitlines()) else True
    assert caret == " " * (4 + column - 1) + "^"
    assert rest and rest[-1].startswith("expected: ") and len(rest[-1]) > len("expected: ")


def test_errors_are_model_errors_and_never_execute_the_text():
    with pytest.raises(lv.ModelError):
        lv.parse("model m {\n  x ~ Normal(mean = __import__('os'), var = 1)\n}")
