#!/usr/bin/python3
"""Times gloss's peers on the cases of a gloss bench run and writes the same CSV columns.

Peers:
  torch-cpu  PyTorch on the CPU (Debian's python3-torch): torch.nn.functional where it has
             the loss, otherwise the few tensor operations that define it (the seed
             document's focal_loss_binary and dice_loss_binary among them).
             fwd: the reduced value under torch.no_grad(); fwd_bwd: the value and the
             gradient of every input gloss differentiates (torch.autograd.grad); hess (the
             elementwise losses): value, gradient and the Hessian diagonal by double
             backward, autograd.grad(grad.sum(), x), which is the diagonal there.
  numpy      the seed document's NumPy functions, as written there: bce_with_logits,
             softmax_cross_entropy (its one-hot targets built outside the timing),
             huber_loss and quantile_loss; fwd only (the document has no gradient code).

Every case of the gloss CSV (--like) that a peer can run is run at the same n and c, on
inputs drawn from the same distributions as gloss's generator, in float32, timed like gloss
(a warm-up call, then samples of k calls lasting at least --min-sample seconds, at most
--repeats samples, stopping after --budget seconds once 3 are taken). The bytes column is
copied from gloss's row, so GB/s compares like with like.

usage:
  gloss bench -quick -o out                  # the cases
  /usr/bin/python3 bench/peers/peers.py --like out/bench.csv -o out/peers.csv
  gloss bench -from out/bench.csv -compare out/peers.csv
"""

import argparse
import csv
import datetime
import math
import os
import platform
import sys
import time

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # NumPy peers still run; the report says torch is missing.
    torch = None
    F = None

COLUMNS = ["loss", "device", "mode", "path", "n", "c", "bytes", "median_s", "p20_s", "p80_s",
           "gb_s", "pct_ceiling", "speedup_cpu", "max_err", "status", "note", "device_name",
           "runtime", "commit", "time"]


# ---------------------------------------------------------------- the seed document's NumPy code

def sigmoid(z): return 1.0 / (1.0 + np.exp(-z))


def np_bce_with_logits(z, y, weights=None, reduction="mean"):
    # z: (n,), logits; y: (n,), {0,1}
    # stable: max(z,0) - z*y + log(1+exp(-|z|))
    loss = np.maximum(z, 0) - z*y + np.log1p(np.exp(-np.abs(z)))
    if weights is not None: loss = loss * weights
    if reduction == "mean": return loss.mean()
    if reduction == "sum":  return loss.sum()
    return loss  # none


def np_softmax_cross_entropy(Z, Y_onehot, reduction="mean"):
    # Z: (n,C) logits, Y_onehot: (n,C)
    Zmax = Z.max(axis=1, keepdims=True)
    logsumexp = Zmax + np.log(np.exp(Z - Zmax).sum(axis=1, keepdims=True))
    ce = -(Y_onehot * (Z - logsumexp)).sum(axis=1)
    if reduction == "mean": return ce.mean()
    if reduction == "sum":  return ce.sum()
    return ce


def np_huber_loss(y, yhat, delta=1.0, reduction="mean"):
    e = y - yhat
    mask = np.abs(e) <= delta
    loss = np.where(mask, 0.5*e**2, delta*np.abs(e) - 0.5*delta**2)
    return loss.mean() if reduction=="mean" else (loss.sum() if reduction=="sum" else loss)


def np_quantile_loss(y, yhat, tau=0.5, reduction="mean"):
    e = y - yhat
    loss = np.maximum(tau*e, (tau-1)*e)
    return loss.mean() if reduction=="mean" else (loss.sum() if reduction=="sum" else loss)


# ---------------------------------------------------------------- the seed document's torch code

def focal_loss_binary(z, y, gamma=2.0, alpha=None, reduction="mean"):
    # z: logits, y: {0,1}
    p = torch.sigmoid(z)
    pt = y*p + (1-y)*(1-p)
    w = (1-pt).pow(gamma)
    if alpha is not None:
        w = w * (alpha*y + (1-alpha)*(1-y))
    loss = F.binary_cross_entropy_with_logits(z, y, reduction="none") * w
    if reduction=="mean": return loss.mean()
    if reduction=="sum": return loss.sum()
    return loss


def dice_loss_binary(p, y, eps=1e-7, reduction="mean"):
    # p: probs in [0,1] (apply sigmoid before); y: {0,1}
    # (the document sums over dims (1,2,3) of N×1×H×W masks; gloss's rows are flat masks)
    intersection = (p*y).sum(dim=1)
    union = p.sum(dim=1) + y.sum(dim=1)
    dice = (2*intersection + eps) / (union + eps)
    loss = 1 - dice
    return loss.mean() if reduction=="mean" else (loss.sum() if reduction=="sum" else loss)


# ---------------------------------------------------------------- inputs, as gloss's generator draws them

def draw(rng, dist, n, c):
    shape = (n, c) if c > 1 else (n,)
    if dist == "normal":
        return 2 * rng.standard_normal(shape)
    if dist == "logit":
        return 3 * rng.standard_normal(shape)
    if dist == "unit":
        return 0.02 + 0.96 * rng.random(shape)
    if dist == "soft01":
        v = rng.random(shape)
        k = rng.integers(0, 4, shape)
        return np.where(k == 0, 0.0, np.where(k == 1, 1.0, v))
    if dist == "binary":
        return rng.integers(0, 2, shape).astype(np.float64)
    if dist == "sign":
        return (2 * rng.integers(0, 2, shape) - 1).astype(np.float64)
    if dist == "positive":
        return 0.1 + 2.9 * rng.random(shape)
    if dist == "counts":
        return np.floor(np.exp(1.2 * rng.standard_normal(shape)))
    if dist == "embed":
        return rng.standard_normal(shape)
    if dist in ("probrow", "logprobrow"):
        e = np.exp(2 * rng.standard_normal((n, c)))
        p = e / e.sum(axis=1, keepdims=True)
        p = p if dist == "probrow" else np.log(p)
        return p if c > 1 else p[:, 0]
    raise ValueError(dist)


# Each torch peer: input distributions (Pred, Target, Aux), labels (classes = c, or None),
# which inputs gloss differentiates, the function of the tensors, and a note.
def T():
    sig = torch.sigmoid

    def mean(x): return x.mean()

    def dice_like(kind):
        def f(z, y, eps=1e-7, a=0.5, b=0.5, g=0.75):
            p = sig(z)
            tp = (p*y).sum(dim=1)
            if kind == "iou":
                l = 1 - (tp + eps) / (p.sum(dim=1) + y.sum(dim=1) - tp + eps)
            else:
                fp = (p*(1-y)).sum(dim=1)
                fn = ((1-p)*y).sum(dim=1)
                l = 1 - (tp + eps) / (tp + a*fp + b*fn + eps)
                if kind == "focal_tversky":
                    l = l.pow(g)
            return l.mean()
        return f

    def info_nce(q, k, tau=0.07):
        qn, kn = F.normalize(q, dim=1), F.normalize(k, dim=1)
        logits = qn @ kn.t() / tau
        return F.cross_entropy(logits, torch.arange(q.shape[0]))

    def auc(s, y):
        _, inv, cnt = torch.unique(s, return_inverse=True, return_counts=True)
        cum = torch.cumsum(cnt, 0).double()
        avg = cum - (cnt.double() - 1) / 2  # average 1-based rank of each distinct score
        r = avg[inv]
        pos = y > 0.5
        npos = pos.sum().double()
        nneg = (~pos).sum().double()
        return (r[pos].sum() - npos * (npos + 1) / 2) / (npos * nneg)

    def counts(s, y, thr=0.5):
        pr = s > thr
        t = y > 0.5
        return (pr & t).sum(), (pr & ~t).sum(), (~pr & t).sum()

    def f1(s, y):
        tp, fp, fn = counts(s, y)
        return 2*tp / (2*tp + fp + fn)

    def binary_iou(s, y):
        tp, fp, fn = counts(s, y)
        return tp / (tp + fp + fn)

    def macro_f1(s, lab):
        c = s.shape[1]
        pr = s.argmax(dim=1)
        tp = torch.bincount(lab[pr == lab], minlength=c)
        fp = torch.bincount(pr, minlength=c) - tp
        fn = torch.bincount(lab, minlength=c) - tp
        den = 2*tp + fp + fn
        m = den > 0
        return (2*tp[m] / den[m]).mean()

    def calibration(s, lab, bins=15):
        conf, pr = F.softmax(s, dim=1).max(dim=1)
        b = torch.clamp((conf * bins).long(), max=bins - 1)
        w = torch.bincount(b, minlength=bins).double()
        cs = torch.bincount(b, weights=conf.double(), minlength=bins)
        acc = torch.bincount(b, weights=(pr == lab).double(), minlength=bins)
        m = w > 0
        return ((w[m] / w.sum()) * (cs[m] / w[m] - acc[m] / w[m]).abs()).sum()

    return {
        # regression
        "mse": (("normal", "normal"), None, (0,), lambda x, y: F.mse_loss(x, y), "F.mse_loss"),
        "mae": (("normal", "normal"), None, (0,), lambda x, y: F.l1_loss(x, y), "F.l1_loss"),
        "huber": (("normal", "normal"), None, (0,), lambda x, y: F.huber_loss(x, y, delta=1.0), "F.huber_loss"),
        "smooth_l1": (("normal", "normal"), None, (0,), lambda x, y: F.smooth_l1_loss(x, y, beta=1.0), "F.smooth_l1_loss"),
        "pseudo_huber": (("normal", "normal"), None, (0,), lambda x, y: mean(torch.sqrt(1 + (y - x)**2) - 1), "tensor ops"),
        "log_cosh": (("normal", "normal"), None, (0,), lambda x, y: mean((x - y) + F.softplus(-2*(x - y)) - math.log(2)), "tensor ops (overflow-safe)"),
        "quantile": (("normal", "normal"), None, (0,), lambda x, y: mean(torch.maximum(0.5*(y - x), -0.5*(y - x))), "tensor ops"),
        "poisson": (("normal", "counts"), None, (0,), lambda x, y: F.poisson_nll_loss(x, y, log_input=True), "F.poisson_nll_loss"),
        "tweedie": (("normal", "counts"), None, (0,), lambda x, y: mean(-y*torch.exp(-0.5*x)/(-0.5) + torch.exp(0.5*x)/0.5), "tensor ops"),
        "gaussian_nll": (("normal", "normal", "positive"), None, (0, 2), lambda x, y, v: F.gaussian_nll_loss(x, y, v, eps=1e-6), "F.gaussian_nll_loss"),
        # binary
        "bce": (("unit", "soft01"), None, (0,), lambda p, y: F.binary_cross_entropy(p, y), "F.binary_cross_entropy"),
        "bce_with_logits": (("logit", "soft01"), None, (0,), lambda z, y: F.binary_cross_entropy_with_logits(z, y), "F.binary_cross_entropy_with_logits"),
        "focal": (("logit", "soft01"), None, (0,), lambda z, y: focal_loss_binary(z, y, gamma=2.0, alpha=0.25), "seed: focal_loss_binary"),
        "hinge": (("normal", "sign"), None, (0,), lambda x, y: mean(F.relu(1 - y*x)), "tensor ops"),
        "squared_hinge": (("normal", "sign"), None, (0,), lambda x, y: mean(F.relu(1 - y*x)**2), "tensor ops"),
        "soft_margin": (("normal", "sign"), None, (0,), lambda x, y: F.soft_margin_loss(x, y), "F.soft_margin_loss"),
        "kl_div": (("logprobrow", "probrow"), None, (0,), lambda x, y: F.kl_div(x, y, reduction="mean"), "F.kl_div"),
        # multi-class
        "cross_entropy": (("logit",), "labels", (0,), lambda z, lab: F.cross_entropy(z, lab), "F.cross_entropy"),
        "cross_entropy_probs": (("logit", "probrow"), None, (0,), lambda z, t: F.cross_entropy(z, t), "F.cross_entropy (probability targets)"),
        "nll": (("logprobrow",), "labels", (0,), lambda x, lab: F.nll_loss(x, lab), "F.nll_loss"),
        "multi_margin": (("normal",), "labels", (0,), lambda x, lab: F.multi_margin_loss(x, lab), "F.multi_margin_loss"),
        # ranking and embeddings
        "bpr": (("normal", "normal"), None, (0, 1), lambda a, b: mean(-F.logsigmoid(a - b)), "tensor ops"),
        "pairwise_hinge": (("normal", "normal"), None, (0, 1), lambda a, b: F.margin_ranking_loss(a, b, torch.ones_like(a), margin=0.0), "F.margin_ranking_loss"),
        "pairwise_logistic": (("normal", "normal"), None, (0, 1), lambda a, b: mean(F.softplus(-(a - b))), "tensor ops"),
        "contrastive": (("positive", "binary"), None, (0,), lambda d, y: mean(y*d**2 + (1 - y)*F.relu(1 - d)**2), "tensor ops"),
        "triplet": (("embed", "embed", "embed"), None, (0, 1, 2), lambda a, p, n: F.triplet_margin_loss(a, p, n), "F.triplet_margin_loss"),
        "info_nce": (("embed", "embed"), None, (0, 1), info_nce, "F.normalize, matmul, F.cross_entropy"),
        # segmentation
        "dice": (("logit", "binary"), None, (0,), lambda z, y: dice_loss_binary(sig(z), y), "seed: dice_loss_binary(sigmoid(z))"),
        "iou": (("logit", "binary"), None, (0,), dice_like("iou"), "tensor ops"),
        "tversky": (("logit", "binary"), None, (0,), dice_like("tversky"), "tensor ops"),
        "focal_tversky": (("logit", "binary"), None, (0,), dice_like("focal_tversky"), "tensor ops"),
        "bce_dice": (("logit", "binary"), None, (0,), lambda z, y: F.binary_cross_entropy_with_logits(z, y) + dice_loss_binary(sig(z), y), "F.binary_cross_entropy_with_logits + seed dice"),
        # regularisation (gloss's defaults l1 = l2 = 0)
        "penalty": (("normal",), None, (0,), lambda t: 0.0*t.abs().sum() + 0.0*(t*t).sum(), "tensor ops"),
        # metrics
        "accuracy": (("logit",), "labels", (), lambda s, lab: (s.argmax(dim=1) == lab).float().mean(), "argmax"),
        "f1": (("unit", "binary"), None, (), f1, "tensor ops"),
        "binary_iou": (("unit", "binary"), None, (), binary_iou, "tensor ops"),
        "auc": (("normal", "binary"), None, (), auc, "torch.unique ranks (Mann–Whitney)"),
        "macro_f1": (("logit",), "labels", (), macro_f1, "torch.bincount"),
        "calibration": (("logit",), "labels", (), calibration, "torch.bincount (15 bins)"),
    }


ELEMENTWISE_HESS = {"mse", "mae", "huber", "smooth_l1", "pseudo_huber", "log_cosh", "quantile", "poisson",
                    "tweedie", "gaussian_nll", "bce", "bce_with_logits", "focal", "hinge", "squared_hinge",
                    "soft_margin", "kl_div", "bpr", "pairwise_hinge", "pairwise_logistic", "contrastive", "penalty"}


def measure(fn, repeats, min_sample, budget):
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    k = 1 if first >= min_sample else min(int(min_sample / max(first, 1e-6)) + 1, 1 << 20)
    samples = []
    begin = time.perf_counter()
    while len(samples) < repeats:
        s = time.perf_counter()
        for _ in range(k):
            fn()
        samples.append((time.perf_counter() - s) / k)
        if len(samples) >= min(3, repeats) and time.perf_counter() - begin > budget:
            break
    return samples


def percentile(sorted_s, p):
    n = len(sorted_s)
    pos = p * (n - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, n - 1)
    return sorted_s[lo] + (pos - lo) * (sorted_s[hi] - sorted_s[lo])


def torch_case(name, mode, n, c, rng):
    dists, labels, grads, fn, note = T()[name]
    xs = [torch.from_numpy(draw(rng, d, n, c).astype(np.float32)) for d in dists]
    args = list(xs)
    if labels:
        args.append(torch.from_numpy(rng.integers(0, c, n).astype(np.int64)))
    if mode == "fwd":
        def run():
            with torch.no_grad():
                return fn(*args)
        return run, note
    if not grads:
        return None, "a metric has no gradient"
    if mode == "hess" and name not in ELEMENTWISE_HESS:
        return None, "no Hessian diagonal"
    for i in grads:
        xs[i].requires_grad_(True)
    wrt = [xs[i] for i in grads]

    if mode in ("fwd_bwd", "inplace"):
        # PyTorch has no in-place loss gradient: gloss's inplace mode is timed against its
        # ordinary forward+backward, which writes the gradient to a new tensor.
        if mode == "inplace":
            note = (note + "; " if note else "") + "inplace: PyTorch's forward+backward (it has no in-place gradient)"

        def run():
            out = fn(*args)
            return torch.autograd.grad(out, wrt)
        return run, note

    def run_hess():
        out = fn(*args)
        g = torch.autograd.grad(out, wrt[0], create_graph=True)[0]
        if g.requires_grad:
            h = torch.autograd.grad(g.sum(), wrt[0], allow_unused=True)[0]
        else:  # a piecewise-linear loss: its gradient has no graph, the Hessian is 0
            h = torch.zeros_like(wrt[0])
        return out, g, h
    return run_hess, note + "; Hessian diagonal by double backward"


NUMPY_LOSSES = ("bce_with_logits", "cross_entropy", "huber", "quantile")


def numpy_case(name, mode, n, c, rng):
    if name not in NUMPY_LOSSES or mode != "fwd":
        return None, None
    if name == "bce_with_logits":
        z, y = draw(rng, "logit", n, 1).astype(np.float32), draw(rng, "soft01", n, 1).astype(np.float32)
        return (lambda: np_bce_with_logits(z, y)), "seed: bce_with_logits"
    if name == "cross_entropy":
        z = draw(rng, "logit", n, c).astype(np.float32)
        lab = rng.integers(0, c, n)
        onehot = np.zeros((n, c), np.float32)
        onehot[np.arange(n), lab] = 1
        return (lambda: np_softmax_cross_entropy(z, onehot)), "seed: softmax_cross_entropy (one-hot built outside the timing)"
    if name == "huber":
        yh, y = draw(rng, "normal", n, 1).astype(np.float32), draw(rng, "normal", n, 1).astype(np.float32)
        return (lambda: np_huber_loss(y, yh)), "seed: huber_loss"
    if name == "quantile":
        yh, y = draw(rng, "normal", n, 1).astype(np.float32), draw(rng, "normal", n, 1).astype(np.float32)
        return (lambda: np_quantile_loss(y, yh)), "seed: quantile_loss"
    return None, None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--like", required=True, help="a gloss bench CSV whose cases (loss, mode, n, c) are timed")
    ap.add_argument("-o", "--out", required=True, help="the CSV to write")
    ap.add_argument("--peers", default="torch-cpu,numpy", help="peers to run (torch-cpu, numpy)")
    ap.add_argument("--losses", default="", help="only these losses (comma-separated)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--min-sample", type=float, default=0.002, help="seconds a sample lasts at least")
    ap.add_argument("--budget", type=float, default=0.15, help="seconds per case once 3 samples are taken")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: every core, like GOMAXPROCS)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-q", action="store_true", help="no progress on stderr")
    a = ap.parse_args()

    with open(a.like, newline="") as f:
        rows = [r for r in csv.DictReader(f)]
    cases = []
    seen = set()
    only = set(x for x in a.losses.split(",") if x)
    commit = ""
    for r in rows:
        if r.get("loss") == "device_copy" or r.get("status", "ok") != "ok" or r.get("path", "resident") != "resident":
            continue
        k = (r["loss"], r["mode"], int(r["n"]), int(r["c"]))
        if k in seen or (only and r["loss"] not in only):
            continue
        seen.add(k)
        commit = commit or r.get("commit", "")
        cases.append((k, int(r.get("bytes") or 0)))

    peers = [p for p in a.peers.split(",") if p]
    if "torch-cpu" in peers and torch is None:
        print("peers.py: torch is not installed (apt-get install python3-torch); running numpy only", file=sys.stderr)
        peers.remove("torch-cpu")
    runtime = "python%s numpy%s" % (platform.python_version(), np.__version__)
    if torch is not None:
        torch.set_num_threads(a.threads)
        runtime += " torch%s" % torch.__version__
    names = {"torch-cpu": "PyTorch %s CPU, %d threads" % (torch.__version__, torch.get_num_threads()) if torch is not None else "",
             "numpy": "NumPy %s (one thread)" % np.__version__}
    out = []
    skipped = {}
    total = len(cases) * len(peers)
    done = 0
    for (name, mode, n, c), nbytes in cases:
        for peer in peers:
            done += 1
            rng = np.random.default_rng([a.seed, n, c, len(name)])
            if peer == "torch-cpu":
                if name not in T():
                    skipped.setdefault((peer, name), "no PyTorch counterpart")
                    continue
                fn, note = torch_case(name, mode, n, c, rng)
            else:
                fn, note = numpy_case(name, mode, n, c, rng)
            if fn is None:
                if note:
                    skipped.setdefault((peer, name + " " + mode), note)
                continue
            try:
                s = sorted(measure(fn, a.repeats, a.min_sample, a.budget))
                status, med, p20, p80 = "ok", percentile(s, 0.5), percentile(s, 0.2), percentile(s, 0.8)
            except Exception as e:  # a peer that cannot run a case says why, and the rest go on
                status, med, p20, p80 = "error", float("nan"), float("nan"), float("nan")
                note = "%s: %s" % (note, str(e).splitlines()[0] if str(e) else type(e).__name__)
            gbs = nbytes / med / 1e9 if status == "ok" and nbytes else float("nan")
            fmt = lambda v: "" if v != v else "%.6g" % v
            out.append({"loss": name, "device": peer, "mode": mode, "path": "resident", "n": n, "c": c, "bytes": nbytes,
                        "median_s": fmt(med), "p20_s": fmt(p20), "p80_s": fmt(p80), "gb_s": fmt(gbs), "pct_ceiling": "",
                        "speedup_cpu": "", "max_err": "", "status": status, "note": note, "device_name": names[peer],
                        "runtime": runtime, "commit": commit,
                        "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})
            if not a.q:
                print("[%d/%d] %s %s %s n=%d c=%d: %s" % (done, total, peer, name, mode, n, c,
                      "%.3gms" % (med * 1e3) if status == "ok" else status + " " + note), file=sys.stderr)
    with open(a.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(out)
    if not a.q:
        for (peer, what), why in sorted(skipped.items()):
            print("skipped %s %s: %s" % (peer, what, why), file=sys.stderr)
        if "numpy" in peers:
            print("numpy: the seed document's functions cover %s, forward only" % ", ".join(NUMPY_LOSSES), file=sys.stderr)
        print("wrote %s (%d rows)" % (a.out, len(out)), file=sys.stderr)


if __name__ == "__main__":
    main()
