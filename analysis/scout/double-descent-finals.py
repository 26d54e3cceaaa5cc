"""Per-run finals and per-width mean ± 95 % Student-t interval of finished double-descent study folders (issue 29).

usage: python3 analysis/scout/double-descent-finals.py FOLDER [FOLDER ...]
Prints, per folder: rows for docs/results/double-descent-issue29-runs.csv (the final logged step of each run), the
per-width table (mean ± t_{0.975, s−1}·sd/√s over seeds) and the worst gate value over every logged step of every run
(max of test mean|f − f̃| and mean|f̂ − f̃|). Reads FOLDER/runs/h*_s*.csv (the study's tidy per-run tables).
"""
import csv, glob, math, os, statistics, sys

T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def finals(path):
    last, worst, step = {}, 0.0, -1
    meta = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            meta = r
            if r["step"] == "":
                continue
            q, split, v = r["quantity"], r["split"], float(r["value"])
            s = int(float(r["step"]))
            if split == "test" and q in ("telescoping_error", "smoother_gap"):
                worst = max(worst, v)
            if s >= step:
                step = s
            last[(q, split)] = (s, v)
    fin = {k: v for k, (s, v) in last.items()}
    return meta, fin, worst


def ci(xs):
    m = statistics.mean(xs)
    if len(xs) < 2:
        return m, float("nan")
    return m, T975[len(xs) - 1] * statistics.stdev(xs) / math.sqrt(len(xs))


for folder in sys.argv[1:]:
    name = os.path.basename(os.path.normpath(folder))
    by_width = {}
    print(f"# {folder}")
    print("folder,label_noise,width,parameters,seed,steps,train_accuracy,train_loss,test_loss,test_accuracy,p_train,p_test,test_telescoping_error,test_smoother_gap,gate_passed")
    for p in sorted(glob.glob(os.path.join(folder, "runs", "h*_s*.csv"))):
        meta, f, worst = finals(p)
        w = int(meta["width"])
        row = [name, meta["label_noise"], w, meta["parameters"], meta["seed"], int(f[("steps_run", "")]),
               f[("accuracy", "train")], f[("loss", "train")], f[("loss", "test")], f[("accuracy", "test")],
               f[("effective_parameters", "train")], f[("effective_parameters", "test")],
               f[("telescoping_error", "test")], f[("smoother_gap", "test")], int(f[("gate_passed", "")])]
        print(",".join(str(x) for x in row))
        by_width.setdefault(w, []).append((f, worst))
    print()
    print("| h | seeds | train acc | test loss | test acc | p_train | p_test | worst gate value |")
    print("|---|---|---|---|---|---|---|---|")
    for w in sorted(by_width):
        rs = by_width[w]
        def c(q, s, fmt):
            m, h = ci([f[(q, s)] for f, _ in rs])
            return f"{m:{fmt}} ± {h:{fmt}}"
        print(f"| {w} | {len(rs)} | {c('accuracy','train','.3f')} | {c('loss','test','.4f')} | {c('accuracy','test','.3f')} | "
              f"{c('effective_parameters','train','.1f')} | {c('effective_parameters','test','.1f')} | {max(x for _, x in rs):.4f} |")
    print()
