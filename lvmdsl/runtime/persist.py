"""Pickling results: a compiled program is stored as what rebuilds it, not as its functions.

A Gibbs or EM program holds generated functions (compiled from source at run time) and closures
over them, which pickle cannot store.  What defines the program is plain data: the derivation
(model, graph, conditionals: sympy and numpy objects), the bound data, the number of chains or
restarts and the latent/parameter split.  ``program_record`` keeps that; ``rebuild_program``
generates and compiles the code again on load (the same code, since code generation is a pure
function of the derivation).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field


@dataclass
class ProgramRecord:
    kind: str                       # "gibbs" or "em"
    derivation: object
    data: dict
    size: int                       # chains (Gibbs) or restarts (EM)
    options: dict = field(default_factory=dict)


def program_record(program) -> ProgramRecord:
    from .gibbs import GibbsProgram
    model = program.model
    data = {k: v for k, v in program.env.items() if k in model.consts or k in model.variables}
    if isinstance(program, GibbsProgram):
        return ProgramRecord("gibbs", program.d, data, program.chains)
    return ProgramRecord("em", program.d, data, program.R, {"latent": list(program.latent),
                                                            "params": list(program.params)})


def rebuild_program(record: ProgramRecord):
    if not isinstance(record, ProgramRecord):          # pickled before this module existed
        return record
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                # fallbacks were reported when it first ran
        if record.kind == "gibbs":
            from .gibbs import GibbsProgram
            return GibbsProgram(record.derivation, record.data, record.size)
        from .em import EMProgram
        from .streaming import StreamingEMProgram, has_lazy_data
        kind = StreamingEMProgram if has_lazy_data(record.data) else EMProgram
        return kind(record.derivation, record.data, record.size, **record.options)
