"""EM over data that stay on disk or are built lazily: Dask arrays streamed chunk by chunk.

``StreamingEMProgram`` is the EM program for data given as Dask arrays along the data plate
(axis 0 of each lazy array is the plate the latents live in).  Nothing data-sized is ever held
whole:

* validation (NaN, support) and the integer test are reductions that Dask computes chunk by
  chunk;
* the data-only sums that the M-steps read are the sums of each chunk's; whether a sum adds over
  data points is checked on a sample (the sums of two halves must add to the sum of the whole),
  and a model whose precomputed quantities do not add is refused;
* every E-step runs on chunks (``estep_stats`` with the chunk length of the Dask array), each
  chunk computed from the array when it is needed;
* online EM draws each minibatch inside one chunk: a chunk chosen with probability proportional
  to its length, then rows uniformly within it, which gives every row the same probability
  (rows of one minibatch share a chunk, so data stored sorted by cluster should be shuffled);
* starting values come from the first minibatch, the final pass gives the log-likelihood only
  (the latents' posteriors of 10^7 points would be data-sized; predict them for the points you
  need with ``res.predict``).
"""

from __future__ import annotations

import numpy as np

from ..frontend.data import is_lazy
from ..frontend.expr import ModelError
from ..graph.validate import bind_data
from .em import Batch, EMProgram, add_stats, initial_parameters_on

START_SAMPLE = 5000


def has_lazy_data(data) -> bool:
    return isinstance(data, dict) and any(is_lazy(v) for v in data.values())


class StreamingEMProgram(EMProgram):
    """An ``EMProgram`` whose lazy (Dask) data are only ever read a chunk at a time."""

    centre_data = False       # no pass over the whole data before the chunks: expanded sums, as before

    keeps_posteriors = False

    def set_data(self, data):
        env, sizes = bind_data(self.model, data, lazy=True)
        given = sorted(n for n in data if n in {v.name for v in self.model.unknowns})
        if given:
            raise ModelError(f"data gives values for {', '.join(map(repr, given))}, which the model declares unknown; "
                             "declare them observed=True to condition on them")
        self.env, self.sizes = env, sizes
        self._full = None
        self._chunk_ws: dict = {}
        self.lazy = sorted(k for k, v in env.items() if is_lazy(v))
        self.data_plate = self._data_plate()
        self._check_streamable()
        self.integral = {k for k, v in env.items() if _integral(v)} | set(sizes)
        self.light = self._light()

    def _check_streamable(self):
        if not self.can_split:
            raise ModelError("streaming Dask data needs latents in one data plate and M-step statistics that add "
                             "over it (as online EM does); this model's do not: pass numpy arrays")
        plate = self.data_plate
        for name in self.lazy:
            obj = self.model.variables.get(name) or self.model.consts.get(name)
            if obj is None or not obj.plates or obj.plates[0] is not plate:
                raise ModelError(f"{name!r} is a Dask array but its first axis is not the data plate "
                                 f"{plate.name!r}; only data-plate arrays are streamed (pass it as numpy)")
            if name in self.model.variables and name not in self.touching:
                raise ModelError(f"{name!r} is a Dask array but no latent reads it; pass it as numpy")
        self.block = int(min(max(c) for c in (self.env[n].chunks[0] for n in self.lazy)))

    @property
    def full(self) -> "Batch":
        if self._full is not None:               # a sample standing in for the data (starting values)
            return self._full
        raise ModelError("this step needs the whole data set at once, which streamed (Dask) data never are")

    def auto_chunk(self, budget: int = 6 * 2**20) -> int:
        return self.block

    # ------------------------------------------------------------ reading chunks
    def _load(self, name, index):
        val = self.env[name]
        if not is_lazy(val):
            return val[index]
        if isinstance(index, slice):
            return np.asarray(val[index].compute())
        lo, hi = int(index.min()), int(index.max()) + 1
        return np.asarray(val[lo:hi].compute())[index - lo]

    def _chunk(self, index):
        """The data points ``index`` (a slice or sorted indices) in memory, with their sizes."""
        plate = self.data_plate
        env = {}
        for name, val in self.env.items():
            obj = self.model.variables.get(name) or self.model.consts.get(name)
            env[name] = self._load(name, index) if obj is not None and obj.plates[:1] == (plate,) else val
        n = len(range(self.sizes[plate.name])[index]) if isinstance(index, slice) else len(index)
        sizes = dict(self.sizes)
        sizes[plate.name] = n
        if isinstance(plate.size, str):
            sizes[plate.size] = n
        return env, sizes

    def subset(self, index, ws: dict | None = None) -> "Batch":
        return self.bind(*self._chunk(index), ws)

    def _slices(self):
        n = self.sizes[self.data_plate.name]
        return [slice(lo, min(lo + self.block, n)) for lo in range(0, n, self.block)]

    def _light(self) -> "Batch":
        """The M-steps' whole-data sums, as sums of the chunks' (checked to add on a sample)."""
        n = self.sizes[self.data_plate.name]
        if n >= 4:
            half = min(n, self.block) // 2                # within the first chunk
            top = 2 * half
            parts = [self._sums(slice(0, half)), self._sums(slice(half, top))]
            whole = self._sums(slice(0, top))
            for k, v in whole.items():
                if not np.allclose(parts[0][k] + parts[1][k], v, rtol=1e-9, atol=1e-12):
                    raise ModelError(f"the precomputed quantity {k!r} of this model is not a sum over data points, "
                                     "so Dask data cannot be streamed; pass numpy arrays")
        total = None
        for sl in self._slices():
            total = add_stats(total, self._sums(sl))
        D, DI, Z = self._arrays({k: v for k, v in self.env.items() if k not in self.lazy}, self.sizes)
        return Batch(self.env, self.sizes, D, DI, Z, total or {})

    def _sums(self, sl) -> dict:
        D, DI, Z = self._arrays(*self._chunk(sl))
        return self.namespace["precompute_sums"](D, DI, Z)

    # ------------------------------------------------------------ hooks of the EM loop
    def estep_stats(self, S: dict, beta: float = 1.0, chunk: int | None = None):
        """E-step and statistics chunk by chunk, always (the chunks of the Dask array); returns
        (T, log-likelihood per restart, None, None)."""
        T, ll = None, self._other_terms(S)
        weights: dict = {}
        for sl in self._slices():
            b = self.subset(sl, self._chunk_ws)
            E, _, part = self.estep(S, beta, b, others=False, weights=weights)
            ll = ll + part
            T = add_stats(T, self.stats(S, E, b))
        return T, ll, None, None

    def start(self, init, rng) -> dict:
        """Starting values from a sample of the data (at most ``START_SAMPLE`` points of one chunk)."""
        return initial_parameters_on(self, self.subset(self.minibatch(rng, min(START_SAMPLE, self.block))), init, rng)

    def minibatch(self, rng, size: int) -> np.ndarray:
        """Rows of one chunk (chosen with probability proportional to its length), uniformly."""
        slices = self._slices()
        lengths = np.array([s.stop - s.start for s in slices], float)
        sl = slices[int(rng.choice(len(slices), p=lengths / lengths.sum()))]
        return np.sort(rng.integers(sl.start, sl.stop, size))


def _integral(v) -> bool:
    if not is_lazy(v):
        from .em import _is_integral
        return _is_integral(v)
    if np.dtype(v.dtype).kind in "iub":
        return True
    return bool((v % 1 == 0).all().compute())
