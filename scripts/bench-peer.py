#!/usr/bin/python3
"""The PyTorch side of `telescope bench peer`.

Reads the inputs the .NET side wrote (--data: meta.json, theta_<i>.npy, tangent_<i>.npy, x.npy, y.npy),
times what PyTorch's tutorials show on the same MLP and points, and writes (--out) every result as
.npy (the .NET side compares them with its own) and timings.json (median times, repeats, versions).

Operations and methods (each at every --threads count, torch.set_num_threads):
  forward  [N, k]      plain         f(theta, X) under torch.no_grad
  jvp      [N, k]      func_jvp      torch.func.jvp (functorch.jvp on torch 1.13) in direction v
                       forward_ad    torch.autograd.forward_ad dual numbers
                       autograd_functional_jvp  torch.autograd.functional.jvp (double-backward trick)
  ntk      [M, M]      jacobian_contraction  vmap(jacrev(f_single)) + einsum 'Naf,Maf->NM'
                                             (the torch.func NTK tutorial; J computed once for X1 = X2)
                       ntk_vps       the tutorial's NTK-vector products: vjp of f at a chunk of rows of X1,
                                     vmap over the k·chunk basis vectors of jvp of f at all rows of X2
  grad     [G, P]      vmap_grad     vmap(grad(loss_single)) with loss ½‖f(x_i) − y_i‖² (per-example
                                     gradients tutorial); written as [G, 2]: (g_i·v, ‖g_i‖)
Timing: one warm-up (two when fast), then max(min_repeats, budget / t) repeats up to max_repeats,
median; the same rule as the .NET side.
Both sides run under the same OpenMP wait policy (the .NET side passes its OMP_WAIT_POLICY); OpenBLAS's
own thread pool is kept at torch's thread count, and OPENBLAS_CORETYPE is set to the fastest kernels the
CPU runs (SkylakeX with AVX-512, Haswell with AVX2), over the environment's: Debian's OpenBLAS would fall
back to its SSE3 "Prescott" kernels on a CPU it does not recognise.
`bench-peer.py --probe` exits 0 when torch and numpy import (3 when not).
Exit codes: 0 done, 2 bad arguments (checked before torch is imported), 3 torch/numpy missing.
"""

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench-peer.py", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="folder with meta.json and the .npy inputs")
    p.add_argument("--out", required=True, help="folder for results (.npy) and timings.json")
    p.add_argument("--threads", default="1,2", help="comma-separated intra-op thread counts, each ≥ 1")
    p.add_argument("--ops", default="forward,jvp,ntk,grad", help="subset of forward,jvp,ntk,grad")
    p.add_argument("--budget", type=float, default=2.0, help="seconds of timed runs per (method, threads)")
    p.add_argument("--min-repeats", type=int, default=5)
    p.add_argument("--max-repeats", type=int, default=50)
    p.add_argument("--no-results", action="store_true", help="time only: keep the .npy results of an earlier round")
    p.add_argument("--ntk-chunk", type=int, default=16, help="rows of X1 per vjp in ntk_vps")
    a = p.parse_args(argv)
    try:
        a.threads = [int(t) for t in a.threads.split(",") if t.strip()]
    except ValueError:
        p.error(f"--threads: not a list of integers: {a.threads!r}")
    if not a.threads or any(t < 1 for t in a.threads):
        p.error(f"--threads: every count must be ≥ 1, got {a.threads}")
    a.ops = [o.strip() for o in a.ops.split(",") if o.strip()]
    bad = [o for o in a.ops if o not in ("forward", "jvp", "ntk", "grad")]
    if bad or not a.ops:
        p.error(f"--ops: unknown operation(s) {bad or a.ops}; expected forward,jvp,ntk,grad")
    if not (a.budget > 0):
        p.error("--budget must be > 0")
    if a.min_repeats < 1 or a.max_repeats < a.min_repeats:
        p.error("--min-repeats must be ≥ 1 and --max-repeats ≥ --min-repeats")
    if a.ntk_chunk < 1:
        p.error("--ntk-chunk must be ≥ 1")
    return a


def timed(fn, budget, min_rep, max_rep):
    """Median seconds: one warm-up (a second one when the first took < budget/4), then repeats."""
    t0 = time.perf_counter()
    fn()
    t = time.perf_counter() - t0
    if t < budget / 4:
        t0 = time.perf_counter()
        fn()
        t = time.perf_counter() - t0
    floor = 3 if t > 0.5 else min_rep
    reps = max(floor, min(max_rep, math.ceil(budget / max(t, 1e-9))))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), reps


def openblas_fix():
    """Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) names CPUs it does not know "Prescott" and runs SSE3
    kernels (12 GFLOP/s here instead of ~60): ask for the fastest kernels the CPU runs, SkylakeX on an
    AVX-512 CPU (AVX2 without AVX-512: Haswell), even over an OPENBLAS_CORETYPE in the environment, so the
    peer is never hobbled (an AMD EPYC image that sets Haswell: 93 GFLOP/s at 1000×784×256 on one thread,
    186 with SkylakeX). Must happen before torch loads libblas."""
    before = os.environ.get("OPENBLAS_CORETYPE")
    try:
        with open("/proc/cpuinfo") as fh:
            flags = next((l.split(":", 1)[1].split() for l in fh if l.startswith("flags")), [])
    except OSError:
        flags = []
    core = "SkylakeX" if "avx512f" in flags else "Haswell" if "avx2" in flags else None
    if core is None:
        return (before + " (from the environment)") if before else "(not set)"
    os.environ["OPENBLAS_CORETYPE"] = core
    said = f"; the environment said {before}" if before and before != core else ""
    return f"{core} (set by bench-peer.py from /proc/cpuinfo{said})"


def openblas_handle():
    """The loaded OpenBLAS, to keep its own thread pool at torch's thread count; None if not OpenBLAS."""
    import ctypes

    try:
        with open("/proc/self/maps") as fh:
            paths = sorted({l.split()[-1] for l in fh if "openblas" in l and l.split()[-1].startswith("/")})
    except OSError:
        return None
    for p in paths:
        try:
            lib = ctypes.CDLL(p)
            lib.openblas_set_num_threads
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return lib
        except (OSError, AttributeError):
            continue
    return None


def main(argv):
    if argv == ["--probe"]:
        try:
            import numpy  # noqa: F401
            import torch  # noqa: F401
        except ImportError as e:
            print(f"bench-peer.py: {e}", file=sys.stderr)
            return 3
        return 0
    a = parse_args(argv)
    coretype = openblas_fix()
    try:
        import numpy as np
        import torch
        import torch.nn.functional as F
        import torch.autograd.forward_ad as fwAD
    except ImportError as e:
        print(f"bench-peer.py: {e}; install with scripts/install-peer.sh (Debian: python3-torch)", file=sys.stderr)
        return 3
    try:
        from torch.func import jvp, vjp, vmap, jacrev, grad
        func_name = "torch.func"
    except ImportError:
        from functorch import jvp, vjp, vmap, jacrev, grad
        func_name = "functorch"

    blas_lib = openblas_handle()

    def set_threads(t):
        torch.set_num_threads(t)
        if blas_lib is not None:
            blas_lib.openblas_set_num_threads(t)

    with open(os.path.join(a.data, "meta.json")) as fh:
        meta = json.load(fh)
    load = lambda name: torch.from_numpy(np.load(os.path.join(a.data, name)))
    nparams = meta["parameters"]
    theta = tuple(load(f"theta_{i}.npy") for i in range(nparams))
    tangent = tuple(load(f"tangent_{i}.npy") for i in range(nparams))
    x = load("x.npy")
    y = load("y.npy")
    x_ntk = x[: meta["ntk_points"]].contiguous()
    x_grad = x[: meta["grad_points"]].contiguous()
    layers = meta["layers"]  # ["dense", w_index, b_index or -1] | ["relu"] | ["tanh"] | ["sigmoid"]

    def f(params, xx):
        h = xx
        for layer in layers:
            kind = layer[0]
            if kind == "dense":
                h = F.linear(h, params[layer[1]], params[layer[2]] if layer[2] >= 0 else None)
            elif kind == "relu":
                h = torch.relu(h)
            elif kind == "tanh":
                h = torch.tanh(h)
            elif kind == "sigmoid":
                h = torch.sigmoid(h)
            else:
                raise ValueError(f"unknown layer {layer}")
        return h

    def f_single(params, xi):
        return f(params, xi.unsqueeze(0)).squeeze(0)

    def loss_single(params, xi, yi):
        return 0.5 * ((f_single(params, xi) - yi) ** 2).sum()

    k = meta["outputs"]

    def ntk_jacobian_contraction(x1):
        jac = vmap(jacrev(f_single), (None, 0))(theta, x1)
        jac = [j.flatten(2) for j in jac]  # [N, k, P_j]
        return torch.stack([torch.einsum("Naf,Maf->NM", j, j) for j in jac]).sum(0)

    def ntk_vps(x1, x2, chunk):
        rows = []
        basis = torch.eye(k, dtype=x1.dtype)
        for s in range(0, x1.shape[0], chunk):
            xc = x1[s : s + chunk]
            c = xc.shape[0]
            _, vjp_fn = vjp(lambda p: f(p, xc), theta)
            # basis vectors e_{i,o} of the chunk's outputs [c, k]
            eye = torch.eye(c * k, dtype=x1.dtype).reshape(c * k, c, k)

            def slice_(vec):
                g = vjp_fn(vec)[0]
                return jvp(lambda p: f(p, x2), (theta,), (g,))[1]  # [M, k]

            block = vmap(slice_)(eye).reshape(c, k, -1, k)  # [c, o, M, o']
            rows.append(torch.einsum("iojo->ij", block))
        return torch.cat(rows, 0)

    def grad_proj(g):
        proj = sum(gj.flatten(1) @ vj.flatten() for gj, vj in zip(g, tangent))
        norm = torch.sqrt(sum((gj.flatten(1) ** 2).sum(1) for gj in g))
        return torch.stack([proj, norm], 1)

    def forward_ad_jvp():
        with fwAD.dual_level():
            duals = tuple(fwAD.make_dual(p, t) for p, t in zip(theta, tangent))
            return fwAD.unpack_dual(f(duals, x)).tangent

    def no_grad_forward():
        with torch.no_grad():
            return f(theta, x)

    methods = {
        "forward": [("plain", no_grad_forward, lambda r: r)],
        "jvp": [
            ("func_jvp", lambda: jvp(lambda p: f(p, x), (theta,), (tangent,))[1], lambda r: r),
            ("forward_ad", forward_ad_jvp, lambda r: r),
            (
                "autograd_functional_jvp",
                lambda: torch.autograd.functional.jvp(lambda *p: f(p, x), theta, tangent)[1],
                lambda r: r,
            ),
        ],
        "ntk": [
            ("jacobian_contraction", lambda: ntk_jacobian_contraction(x_ntk), lambda r: r),
            ("ntk_vps", lambda: ntk_vps(x_ntk, x_ntk, a.ntk_chunk), lambda r: r),
        ],
        "grad": [
            (
                "vmap_grad",
                lambda: vmap(grad(loss_single), (None, 0, 0))(theta, x_grad, y),
                grad_proj,
            )
        ],
    }
    os.makedirs(a.out, exist_ok=True)
    rows = []
    for op in a.ops:
        for name, fn, reduce in methods[op]:
            if not a.no_results:
                set_threads(max(a.threads))
                out = reduce(fn()).detach().contiguous()
                np.save(os.path.join(a.out, f"{op}_{name}.npy"), out.numpy())
                del out
            for t in a.threads:
                set_threads(t)
                med, reps = timed(fn, a.budget, a.min_repeats, a.max_repeats)
                rows.append({"operation": op, "method": name, "threads": t, "median_ms": med * 1e3, "repeats": reps})
                print(f"peer {op:8} {name:26} {t} thr  {med * 1e3:12.3f} ms  ({reps} repeats)", flush=True)
    blas = "?"
    for cand in ("/etc/alternatives/libblas.so.3-x86_64-linux-gnu", "/etc/alternatives/libblas.so.3"):
        if os.path.exists(cand):
            blas = os.path.realpath(cand)
            break
    versions = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "func": func_name,
        "blas_alternative": blas,
        "torch_config": torch.__config__.show(),
        "parallel_info": torch.__config__.parallel_info(),
        "cpu": platform.processor() or platform.machine(),
        "OPENBLAS_CORETYPE": coretype,
        "openblas_corename": blas_lib.openblas_get_corename().decode() if blas_lib else "(not OpenBLAS)",
        "openblas_config": blas_lib.openblas_get_config().decode() if blas_lib else "(not OpenBLAS)",
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "(default)"),
    }
    with open(os.path.join(a.out, "timings.json"), "w") as fh:
        json.dump({"rows": rows, "versions": versions}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
