#!/usr/bin/python3
"""The PyTorch side of `telescope bench peer --ops job`: one run of the approximation study, written the way a
competent PyTorch user would write it.

Reads what the .NET side wrote (--data: job.json; x_train, y_train, x_probe, y_probe, batches, log_steps and
theta_<i>.npy): the same data split, the same initial weights θ_0, the same batch order and log grid. Then, in
float64 at --threads intra-op threads (OpenBLAS's own pool too, on the CPU's fastest kernels: bench-peer.py's set-up): T steps of torch.optim.SGD (lr, momentum, weight decay of job.json) on the
squared loss (1/b) Σ ½‖f(x_i) − y_i‖² over each batch; after every step the telescoped model
f̃_t = f̃_{t−1} + ∇f_{θ_{t−1}}(X)ᵀ(θ_t − θ_{t−1}) on all probe rows at once (functorch.jvp); at the logged steps
f_t, the linearised model f_lin,t = f_0 + ∇f_{θ_0}(X)ᵀ(θ_t − θ_0) (functorch.jvp) and the study's rows (per split:
telescoping_error, linearised_error, loss and accuracy of f, f̃, f_lin; batch_loss, grad_norm, update_norm,
learning_rate), written as CSV at the end (--out/rows.csv) with result.json (wall seconds of the loop and of the
process, final values, versions).
`bench-peer-job.py --probe` exits 0 when torch, functorch and numpy import (3 when not).
Exit codes: 0 done, 2 bad arguments, 3 torch/numpy missing.
"""

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402


def ops_script():
    """bench-peer.py, written beside this script by the .NET side: its OpenBLAS set-up (the fastest kernels the CPU
    runs, the pool kept at torch's thread count) is shared, not repeated."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-peer.py")
    spec = importlib.util.spec_from_file_location("bench_peer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv):
    if argv == ["--probe"]:
        try:
            import numpy  # noqa: F401
            import torch  # noqa: F401
            import functorch  # noqa: F401
        except ImportError as e:
            print(f"bench-peer-job.py: {e}", file=sys.stderr)
            return 3
        return 0
    p = argparse.ArgumentParser(prog="bench-peer-job.py", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    if a.threads < 1:
        p.error("--threads must be ≥ 1")
    ops = ops_script()
    coretype = ops.openblas_fix()  # before torch loads libblas
    try:
        import numpy as np
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        print(f"bench-peer-job.py: {e}; install with scripts/install-peer.sh", file=sys.stderr)
        return 3
    try:
        from torch.func import jvp
        func_name = "torch.func"
    except ImportError:
        from functorch import jvp
        func_name = "functorch"
    torch.set_num_threads(a.threads)
    blas_lib = ops.openblas_handle()
    if blas_lib is not None:  # OpenBLAS's own pool, else it takes every core at any torch thread count
        blas_lib.openblas_set_num_threads(a.threads)
    t_import = time.perf_counter() - T_START

    with open(os.path.join(a.data, "job.json")) as fh:
        job = json.load(fh)
    load = lambda name: torch.from_numpy(np.load(os.path.join(a.data, name)))
    x_train, y_train = load("x_train.npy"), load("y_train.npy")
    x_probe, y_probe = load("x_probe.npy"), load("y_probe.npy")
    batches = load("batches.npy").long()
    log_steps = set(int(s) for s in load("log_steps.npy").tolist())
    theta0 = tuple(load(f"theta_{i}.npy") for i in range(job["parameters"]))
    layers = job["layers"]
    n_train = job["probe_train"]
    steps = job["steps"]
    threshold = job["threshold"]

    def f(params, xx):
        h = xx
        for layer in layers:
            if layer[0] == "dense":
                h = F.linear(h, params[layer[1]], params[layer[2]] if layer[2] >= 0 else None)
            elif layer[0] == "relu":
                h = torch.relu(h)
            elif layer[0] == "sigmoid":
                h = torch.sigmoid(h)
            elif layer[0] == "tanh":
                h = torch.tanh(h)
            else:
                raise ValueError(f"unknown layer {layer}")
        return h

    t0 = time.perf_counter()
    params = [t.clone().requires_grad_(True) for t in theta0]
    opt = torch.optim.SGD(params, lr=job["lr"], momentum=job["momentum"], weight_decay=job["weight_decay"])
    with torch.no_grad():
        f0 = f(params, x_probe)
    f_tel = f0.clone()
    rows = []
    splits = [("train", 0, n_train), ("test", n_train, x_probe.shape[0] - n_train)]

    def loss_of(out, y):
        return 0.5 * ((out - y) ** 2).sum(1).mean().item()

    def acc_of(out, y):
        return ((out[:, 0] > threshold).double() == y[:, 0]).double().mean().item()

    def record(t, f_t, f_lin, batch_loss, grad_norm, update_norm):
        for split, s, n in splits:
            fs, ts, ls, ys = f_t[s : s + n], f_tel[s : s + n], f_lin[s : s + n], y_probe[s : s + n]
            rows.append((t, split, "telescoping_error", (fs - ts).abs().mean().item()))
            rows.append((t, split, "linearised_error", (fs - ls).abs().mean().item()))
            for name, g in (("", fs), ("telescoped_", ts), ("linearised_", ls)):
                rows.append((t, split, name + "loss", loss_of(g, ys)))
                rows.append((t, split, name + "accuracy", acc_of(g, ys)))
        if t > 0:
            for q, v in (("batch_loss", batch_loss), ("grad_norm", grad_norm), ("update_norm", update_norm), ("learning_rate", job["lr"])):
                rows.append((t, "", q, v))

    record(0, f0, f0, math.nan, math.nan, math.nan)
    for t in range(1, steps + 1):
        idx = batches[t - 1]
        prev = tuple(q.detach().clone() for q in params)
        opt.zero_grad()
        out = f(params, x_train[idx])
        loss = 0.5 * ((out - y_train[idx]) ** 2).sum(1).mean()
        loss.backward()
        batch_loss = loss.item()
        grad_norm = math.sqrt(sum((q.grad ** 2).sum().item() for q in params))
        opt.step()
        with torch.no_grad():
            delta = tuple(q.detach() - r for q, r in zip(params, prev))
            update_norm = math.sqrt(sum((d ** 2).sum().item() for d in delta))
            _, inc = jvp(lambda th: f(th, x_probe), (prev,), (delta,))
            f_tel += inc
            if t in log_steps:
                now = tuple(q.detach() for q in params)
                f_t = f(now, x_probe)
                _, lin = jvp(lambda th: f(th, x_probe), (theta0,), (tuple(q - r for q, r in zip(now, theta0)),))
                record(t, f_t, f0 + lin, batch_loss, grad_norm, update_norm)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "rows.csv"), "w") as fh:
        fh.write("step,split,quantity,value\n")
        for t, split, q, v in rows:
            fh.write(f"{t},{split},{q},{v!r}\n")
    loop = time.perf_counter() - t0
    final = {f"{s}/{q}": v for t, s, q, v in rows if t == steps}
    result = {
        "threads": a.threads,
        "import_seconds": t_import,
        "loop_seconds": loop,
        "process_seconds": time.perf_counter() - T_START,
        "final": final,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "func": func_name,
            "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "(default)"),
            "OPENBLAS_CORETYPE": coretype,
            "openblas_corename": blas_lib.openblas_get_corename().decode() if blas_lib else "(not OpenBLAS)",
            "openblas_threads": blas_lib.openblas_get_num_threads() if blas_lib else None,
            "parallel_info": torch.__config__.parallel_info(),
        },
    }
    with open(os.path.join(a.out, "result.json"), "w") as fh:
        json.dump(result, fh, indent=1)
    print(f"peer job {a.threads} thr: loop {loop:.3f} s, process {result['process_seconds']:.3f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
