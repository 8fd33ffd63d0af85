"""A minimal JAGS driver: run a BUGS model through the ``jags`` command line and read its draws back.

The benchmark needs JAGS's draws as numpy arrays and its wall time per phase, without R or rjags.
Phases are timed from JAGS's own progress lines, which it flushes as each command starts: compile
and initialisation end when the first ``Adapting``/``Updating`` line appears, warm-up ends at the
``Updating <n_iter>`` line of the sampling run, and a trailing ``update 0`` marks the end of
sampling before the CODA files are written (their writing is not counted as sampling).  One
process does it all, so nothing is compiled twice.
"""

from __future__ import annotations

import os
import pty
import queue
import re
import subprocess
import tempfile
import termios
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


class JagsError(RuntimeError):
    """JAGS stopped with an error (syntax, compilation, initialisation); the message ends with its output."""


@dataclass
class JagsRun:
    """Draws ``(chains, draws, *shape)`` per monitored node, phase wall times in seconds, and status."""

    draws: dict = field(default_factory=dict)
    times: dict = field(default_factory=dict)  # compile_init, burnin, sampling, total
    status: str = "ok"                         # "ok" or "timeout"
    last_line: str = ""                        # the last progress line JAGS printed (where a timeout hit)
    log: str = ""


def _r_value(value) -> str:
    """One value in R dump format: a scalar, ``c(...)``, or ``structure(c(...), .Dim=...)`` (column-major)."""
    if isinstance(value, str):
        return '"' + value + '"'
    arr = np.asarray(value)
    ints = arr.dtype.kind in "iub"
    flat = arr.ravel(order="F")
    body = ", ".join(str(int(v)) for v in flat) if ints else ", ".join(repr(float(v)) for v in flat)
    if arr.ndim == 0:
        return body
    if arr.ndim == 1:
        return f"c({body})"
    return f"structure(c({body}), .Dim = c({', '.join(str(d) for d in arr.shape)}))"


def write_rdump(path: Path, values: dict) -> None:
    """Write ``{name: value}`` as an R dump file, the format JAGS reads data and initial values from."""
    with open(path, "w") as f:
        for name, value in values.items():
            f.write(f"`{name}` <- {_r_value(value)}\n")


def read_coda(folder: Path, chains: int, stem: str = "CODA") -> dict:
    """Read ``CODAindex.txt``/``CODAchain<c>.txt`` into ``{node: array (chains, draws, *shape)}``."""
    index = []
    for line in (folder / f"{stem}index.txt").read_text().split("\n"):
        if line.strip():
            name, start, end = line.rsplit(None, 2)
            index.append((name, int(start) - 1, int(end)))
    values = [np.loadtxt(folder / f"{stem}chain{c + 1}.txt", usecols=1, ndmin=1) for c in range(chains)]
    by_node: dict = {}
    for name, start, end in index:
        m = re.fullmatch(r"([^\[]+)(?:\[([\d,]+)\])?", name)
        idx = tuple(int(i) - 1 for i in m.group(2).split(",")) if m.group(2) else ()
        by_node.setdefault(m.group(1), []).append((idx, start, end))
    out = {}
    for node, entries in by_node.items():
        shape = tuple(max(e[0][d] for e in entries) + 1 for d in range(len(entries[0][0])))
        n = entries[0][2] - entries[0][1]
        arr = np.empty((chains, n) + shape)
        for idx, start, end in entries:
            for c in range(chains):
                arr[(c, slice(None)) + idx] = values[c][start:end]
        out[node] = arr
    return out


ERROR = re.compile(r"error|failed|can't|cannot|not found|unable|invalid", re.I)
PROMPT = re.compile(r"^(\. )+")


def run_jags(model: str, data: dict, inits: list, monitor: list, n_iter: int, n_adapt: int = 0,
             n_burnin: int = 0, seeds=None, thin: int = 1, modules=(), timeout: float | None = None,
             workdir: str | None = None, jags: str = "jags") -> JagsRun:
    """Run ``model`` (BUGS text) with ``len(inits)`` chains, one initial-value dict per chain.

    Warm-up is ``n_adapt`` iterations in adaptive mode then ``n_burnin`` more; JAGS skips ``adapt``
    for a model with no adaptive sampler, and its iterations are then added to the burn-in, so the
    warm-up length never depends on the samplers JAGS picked (that is why the commands are fed on
    a terminal one phase at a time rather than from a script file).  Chain ``c`` uses JAGS's
    Mersenne-Twister seeded with ``seeds[c]`` (default ``c + 1``).  With ``timeout`` seconds the run is
    killed when it overruns, ``status`` is ``"timeout"`` and ``last_line`` says which phase it was in.
    """
    chains = len(inits)
    seeds = list(range(1, chains + 1)) if seeds is None else list(seeds)
    with tempfile.TemporaryDirectory(prefix="jags_", dir=workdir) as tmp:
        d = Path(tmp)
        (d / "model.bug").write_text(model)
        write_rdump(d / "data.R", data)
        head = [f"load {m}" for m in modules]
        head += ['model in "model.bug"', 'data in "data.R"', f"compile, nchains({chains})"]
        for c, init in enumerate(inits):
            write_rdump(d / f"init{c + 1}.R", {**init, ".RNG.name": "base::Mersenne-Twister",
                                               ".RNG.seed": np.int64(seeds[c])})
            head.append(f'parameters in "init{c + 1}.R", chain({c + 1})')
        head.append("initialize")

        lines: list = []                            # (time, stream, line) in arrival order
        events: queue.Queue = queue.Queue()
        t0 = time.perf_counter()
        deadline = None if timeout is None else t0 + timeout
        master, slave = pty.openpty()               # a terminal: JAGS's lexer waits for whole blocks on a pipe
        attrs = termios.tcgetattr(slave)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        proc = subprocess.Popen([jags], cwd=d, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, bufsize=1)
        os.close(slave)

        def read(stream, tag):
            for ln in stream:
                item = (time.perf_counter(), tag, PROMPT.sub("", ln.rstrip("\n")))
                lines.append(item)
                events.put(item)
            events.put((time.perf_counter(), tag, None))

        readers = [threading.Thread(target=read, args=(proc.stdout, "out"), daemon=True),
                   threading.Thread(target=read, args=(proc.stderr, "err"), daemon=True)]
        for r in readers:
            r.start()

        def left():
            return None if deadline is None else max(deadline - time.perf_counter(), 0.0)

        def send(cmds):
            os.write(master, ("\n".join(cmds) + "\n").encode())

        def failed():
            return any(tag == "err" and ERROR.search(ln) for _, tag, ln in lines)

        def log():
            return "\n".join(ln for _, _, ln in lines)

        try:
            send(head + ([f"adapt {n_adapt}"] if n_adapt else []))
            skipped = False
            if n_adapt:                             # wait for JAGS to say how adaptation went
                while True:
                    _, tag, ln = events.get(timeout=left())
                    if ln is None or (tag == "err" and ERROR.search(ln)):
                        break
                    if ln.startswith("Adaptation"):
                        skipped = ln.startswith("Adaptation skipped")
                        break
            burn = n_burnin + (n_adapt if skipped else 0)
            tail = ([f"update {burn}"] if burn else [])
            tail += [f"monitor {name}" + (f", thin({thin})" if thin > 1 else "") for name in monitor]
            if not failed():
                send(tail + [f"update {n_iter}", "update 0", "coda *"])
            send(["exit"])
            proc.wait(timeout=left())
        except (queue.Empty, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
            os.close(master)
            progress = [ln for _, tag, ln in lines if tag == "out" and ln.strip() and ln[0] not in "-+*"]
            return JagsRun(status="timeout", times={"total": time.perf_counter() - t0},
                           last_line=progress[-1].strip() if progress else "", log=log())
        os.close(master)
        for r in readers:
            r.join()
        t_end = time.perf_counter()
        if proc.returncode != 0 or failed() or not (d / "CODAindex.txt").exists():
            raise JagsError(f"jags exited with status {proc.returncode}; its output:\n{log()[-3000:]}")
        steps = [(t, ln) for t, tag, ln in lines if tag == "out" and ln.startswith(("Adapting ", "Updating "))]
        t_warm = steps[0][0]                       # first adapt/update line: compile + init done
        t_sample = steps[-2][0]                    # the "Updating <n_iter>" line before the marker
        t_done = steps[-1][0]                      # "Updating 0": sampling done
        times = {"compile_init": t_warm - t0, "burnin": t_sample - t_warm, "sampling": t_done - t_sample,
                 "total": t_end - t0}
        return JagsRun(draws=read_coda(d, chains), times=times, last_line=steps[-1][1], log=log())
