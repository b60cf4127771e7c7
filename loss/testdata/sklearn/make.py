# Makes the fixtures of TestMatchesScikitLearn (loss/sklearn_test.go): fixed-seed inputs as .npy
# files and, in values.json, what scikit-learn's metrics give for them, so that package loss is
# checked against values computed elsewhere. Run from this folder with Debian's python3-sklearn:
#
#   /usr/bin/python3 make.py
#
# Every float input is drawn, rounded to float32 and saved; scikit-learn then sees those float32
# values widened to float64, the same numbers gloss reads. Where gloss's documented semantics
# differ from scikit-learn's defaults, the reference below is adjusted and says how.
import json
import warnings

import numpy as np
import scipy
import sklearn
from scipy.special import expit, softmax
from sklearn import metrics as m

warnings.simplefilter("ignore")  # zero_division and friends warn; the values are what matter
rng = np.random.default_rng(20260518)
f32 = np.float32


def save(name, a):
    np.save(name + ".npy", a)
    return a.astype(np.float64) if a.dtype == np.float32 else a


def weights(n):
    """Sample weights in [0.25, 2] with every fifth one 0."""
    w = rng.uniform(0.25, 2.0, n)
    w[::5] = 0
    return w.astype(f32)


out = {}


def put(name, call, value):
    out[name] = {"call": call, "value": float(value)}


# Regression: 40 rows of 3 outputs, one weight per row and one per element.
x = save("reg_pred", (rng.standard_normal((40, 3)) * 2).astype(f32))
y = save("reg_target", (rng.standard_normal((40, 3)) + 0.5).astype(f32))
wr = save("reg_w_row", weights(40))
we = save("reg_w_elem", weights(120))
xf, yf = x.ravel(), y.ravel()
put("mse", "mean_squared_error(y, x)", m.mean_squared_error(yf, xf))
put("mse_w_elem", "mean_squared_error(y, x, sample_weight=w)", m.mean_squared_error(yf, xf, sample_weight=we))
# 2-D with one weight per row: scikit-learn's multioutput="uniform_average" of the weighted
# column means, which is gloss's Σ s·L / Σ s with the row weight on each of the row's elements.
put("mse_w_row", "mean_squared_error(Y, X, sample_weight=w_row)  # N×3", m.mean_squared_error(y, x, sample_weight=wr))
put("mae", "mean_absolute_error(y, x)", m.mean_absolute_error(yf, xf))
put("mae_w_elem", "mean_absolute_error(y, x, sample_weight=w)", m.mean_absolute_error(yf, xf, sample_weight=we))
put("mae_w_row", "mean_absolute_error(Y, X, sample_weight=w_row)  # N×3", m.mean_absolute_error(y, x, sample_weight=wr))
# gloss Quantile(τ) is max(τe, (τ−1)e) with e = y − x: scikit-learn's alpha = τ.
put("pinball_05", "mean_pinball_loss(y, x)  # alpha=0.5", m.mean_pinball_loss(yf, xf))
put("pinball_03", "mean_pinball_loss(y, x, alpha=0.3)", m.mean_pinball_loss(yf, xf, alpha=0.3))
put("pinball_09_w", "mean_pinball_loss(y, x, alpha=0.9, sample_weight=w)", m.mean_pinball_loss(yf, xf, alpha=0.9, sample_weight=we))

# Binary: 64 scores on a grid of twentieths in [0.05, 0.95] (many ties, some exactly 0.5),
# targets 0/1, an all-negative target, and weights with zeros.
n = 64
s = save("bin_score", (rng.integers(1, 20, n) / 20).astype(f32))
# Targets follow the scores loosely (P(y = 1) = s), so the metrics are not those of chance.
t = save("bin_target", (rng.uniform(size=n) < s).astype(f32))
w = save("bin_w", weights(n))
t0 = np.zeros(n)
# gloss predicts positive where score > Threshold (strictly); scikit-learn takes the labels.
pos = s > 0.5
put("f1", "f1_score(y, s > 0.5)", m.f1_score(t, pos))
put("f1_w", "f1_score(y, s > 0.5, sample_weight=w)", m.f1_score(t, pos, sample_weight=w))
put("f1_thr03", "f1_score(y, s > 0.3)", m.f1_score(t, s > 0.3))
# All-negative targets: F1 is 0 with predicted positives (2·0/(0 + FP + 0)), and with none
# either: gloss documents 0 "when there are no positives at all", which is scikit-learn's
# zero_division default ("warn", giving 0).
put("f1_allneg", "f1_score(zeros, s > 0.5)", m.f1_score(t0, pos))
put("f1_allneg_nopred", "f1_score(zeros, s > 1)  # zero_division default: 0", m.f1_score(t0, s > 1))
put("jaccard", "jaccard_score(y, s > 0.5)", m.jaccard_score(t, pos))
put("jaccard_w", "jaccard_score(y, s > 0.5, sample_weight=w)", m.jaccard_score(t, pos, sample_weight=w))
put("jaccard_thr03", "jaccard_score(y, s > 0.3)", m.jaccard_score(t, s > 0.3))
# Both masks empty: gloss documents 1, which is scikit-learn's zero_division=1 (its default
# gives 0): a deliberate difference, so the reference asks for zero_division=1.
put("jaccard_empty", "jaccard_score(zeros, s > 1, zero_division=1)", m.jaccard_score(t0, s > 1, zero_division=1))
put("auc", "roc_auc_score(y, s)", m.roc_auc_score(t, s))
put("auc_w", "roc_auc_score(y, s, sample_weight=w)", m.roc_auc_score(t, s, sample_weight=w))
put("accuracy_binary", "accuracy_score(y, s > 0.5)", m.accuracy_score(t, pos))
put("accuracy_binary_w", "accuracy_score(y, s > 0.5, sample_weight=w)", m.accuracy_score(t, pos, sample_weight=w))
# Log loss of probabilities s (none near 0 or 1, so its clipping does not act) = gloss bce.
put("log_loss_bin", "log_loss(y, s)", m.log_loss(t, s))
put("log_loss_bin_w", "log_loss(y, s, sample_weight=w)", m.log_loss(t, s, sample_weight=w))

# Logits and ±1 margins: 64 standard-normal scores ×1.5.
z = save("logit", (rng.standard_normal(n) * 1.5).astype(f32))
pm = save("pm_target", np.where(rng.uniform(size=n) < expit(z), 1, -1).astype(f32))
put("log_loss_logits", "log_loss(y, expit(x))", m.log_loss(t, expit(z)))
put("log_loss_logits_w", "log_loss(y, expit(x), sample_weight=w)", m.log_loss(t, expit(z), sample_weight=w))
put("hinge", "hinge_loss(y±1, f)", m.hinge_loss(pm, z))
put("hinge_w", "hinge_loss(y±1, f, sample_weight=w)", m.hinge_loss(pm, z, sample_weight=w))
put("auc_logits", "roc_auc_score(y, x)", m.roc_auc_score(t, z))

# Multi-class: 60 rows of 7 logits. Labels are 0..4 or −100 (ignored: scikit-learn sees the
# other rows only); most rows are labelled with their argmax. Class 4 is a label but never the argmax (its column is −8), class 5 is the
# argmax of some rows but never a label, class 6 neither (so macro F1 leaves it out). Some rows
# tie for the maximum (the first index wins, as in np.argmax).
nc, c = 60, 7
L = rng.standard_normal((nc, c)) * 2
L[:, 4] = -8
L[:, 6] = -9
L[rng.choice(nc, 8, replace=False), 5] += 6
tie = rng.choice(nc, 6, replace=False)
for i in tie:
    a, b = rng.choice([0, 1, 2, 3, 5], 2, replace=False)
    L[i, a] = L[i, b] = L[i].max() + 1
L = L.astype(f32)
lab = rng.integers(0, 5, nc).astype(np.int64)
am = np.argmax(L, axis=1)
right = (rng.uniform(size=nc) < 0.6) & (am < 4)  # most rows labelled with their argmax
lab[right] = am[right]
lab[rng.choice(nc, 5, replace=False)] = -100
L64 = save("mc_logits", L)
save("mc_labels", lab)
wm = save("mc_w", weights(nc))
keep = lab != -100
yk, Lk, wk = lab[keep], L64[keep], wm[keep]
pk = np.argmax(Lk, axis=1)
assert 4 in yk and 4 not in pk and 5 in pk and 5 not in yk and 6 not in pk
# Every class that occurs also occurs in a row of nonzero weight (see macro_f1_w_zero below).
occur = set(yk) | set(pk)
assert occur == set(yk[wk > 0]) | set(pk[wk > 0])
put("accuracy", "accuracy_score(y, argmax(L))", m.accuracy_score(yk, pk))
put("accuracy_w", "accuracy_score(y, argmax(L), sample_weight=w)", m.accuracy_score(yk, pk, sample_weight=wk))
put("macro_f1", "f1_score(y, argmax(L), average='macro')", m.f1_score(yk, pk, average="macro"))
labels = sorted(occur)
put("macro_f1_labels", "f1_score(y, argmax(L), average='macro', labels=%s)" % labels,
    m.f1_score(yk, pk, average="macro", labels=labels))
put("macro_f1_w", "f1_score(y, argmax(L), average='macro', sample_weight=w)", m.f1_score(yk, pk, average="macro", sample_weight=wk))
# A class that occurs only in rows of weight 0 (class 5 here): scikit-learn still averages it
# in (an F1 of 0), while gloss's counts cannot see it and leave it out. The reference is
# therefore scikit-learn's with labels= the classes occurring in rows of nonzero weight.
wz = wm.copy()
wz[lab != -100] = np.where(np.argmax(L64, axis=1)[lab != -100] == 5, 0, wz[lab != -100])
save("mc_w_zero5", wz.astype(f32))
wzk = wz[keep]
nz = sorted(set(yk[wzk > 0]) | set(pk[wzk > 0]))
assert 5 not in nz
put("macro_f1_w_zero", "f1_score(y, argmax(L), average='macro', sample_weight=w, labels=%s)" % nz,
    m.f1_score(yk, pk, average="macro", sample_weight=wzk, labels=nz))
put("macro_f1_w_zero_default", "f1_score(y, argmax(L), average='macro', sample_weight=w)  # not gloss's rule",
    m.f1_score(yk, pk, average="macro", sample_weight=wzk))
P = softmax(Lk, axis=1)
put("log_loss_mc", "log_loss(y, softmax(L), labels=range(7))", m.log_loss(yk, P, labels=range(c)))
put("log_loss_mc_w", "log_loss(y, softmax(L), labels=range(7), sample_weight=w)", m.log_loss(yk, P, labels=range(c), sample_weight=wk))

# Poisson and Tweedie: gloss's losses are the deviances halved, less a term in y alone
# (they have the same gradient in x). With μ = e^x:
#   poisson  e^x − y·x                              = d_Poisson/2 − (y·log y − y)
#   tweedie  −y·μ^{1−ρ}/(1−ρ) + μ^{2−ρ}/(2−ρ)       = d_Tweedie/2 − y^{2−ρ}/((1−ρ)(2−ρ))
# so the reference is scikit-learn's mean deviance /2 less the (weighted) mean of that term.
lx = save("log_mean", (rng.standard_normal(n) * 0.7).astype(f32))
py = save("count", rng.poisson(np.exp(lx)).astype(f32))
ty = np.where(rng.uniform(size=n) < 0.3, 0, rng.gamma(2.0, 0.6, n))
ty = save("tweedie_target", ty.astype(f32))
ylogy = np.where(py > 0, py * np.log(np.where(py > 0, py, 1)), 0) - py
put("poisson", "mean_poisson_deviance(y, exp(x))/2 − mean(y·log y − y)",
    m.mean_poisson_deviance(py, np.exp(lx)) / 2 - np.mean(ylogy))
put("poisson_w", "mean_poisson_deviance(y, exp(x), sample_weight=w)/2 − average(y·log y − y, weights=w)",
    m.mean_poisson_deviance(py, np.exp(lx), sample_weight=w) / 2 - np.average(ylogy, weights=w))
for rho in (1.5, 1.2):
    k = ty ** (2 - rho) / ((1 - rho) * (2 - rho))
    put("tweedie_%g" % rho, "mean_tweedie_deviance(y, exp(x), power=%g)/2 − mean(y^(2−ρ)/((1−ρ)(2−ρ)))" % rho,
        m.mean_tweedie_deviance(ty, np.exp(lx), power=rho) / 2 - np.mean(k))
    put("tweedie_%g_w" % rho, "mean_tweedie_deviance(y, exp(x), power=%g, sample_weight=w)/2 − average(y^(2−ρ)/((1−ρ)(2−ρ)), weights=w)" % rho,
        m.mean_tweedie_deviance(ty, np.exp(lx), power=rho, sample_weight=w) / 2 - np.average(k, weights=w))

doc = {"sklearn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__, "values": out}
with open("values.json", "w") as f:
    json.dump(doc, f, indent=1, ensure_ascii=False)
    f.write("\n")
for k, v in out.items():
    print("%-24s %.15g" % (k, v["value"]))
