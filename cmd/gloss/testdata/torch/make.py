# Makes the fixtures of TestEvalMatchesPyTorch: inputs as .npy and the values PyTorch computes
# for them, so that `gloss eval` is checked against a loss computed elsewhere.
# Run from this folder with Debian's python3-torch: /usr/bin/python3 make.py
import json
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(20261129)
logits = (rng.standard_normal((64, 7)) * 3).astype(np.float32)
labels = rng.integers(0, 7, 64).astype(np.int64)
labels[[3, 17, 40]] = -100
weights = rng.uniform(0.2, 2.0, 7).astype(np.float32)
x = (rng.standard_normal(200) * 2).astype(np.float32)
y = rng.uniform(0, 1, 200).astype(np.float32)
np.save("logits.npy", logits)
np.save("labels.npy", labels)
np.save("class_weights.npy", weights)
np.save("x.npy", x)
np.save("y.npy", y)

t = torch.from_numpy
out = {
    "cross_entropy": F.cross_entropy(t(logits).double(), t(labels), weight=t(weights).double(), label_smoothing=0.1).item(),
    "bce_with_logits": F.binary_cross_entropy_with_logits(t(x).double(), t(y).double()).item(),
    "huber": F.huber_loss(t(x).double(), t(y).double(), delta=0.5).item(),
    "torch": torch.__version__,
}
with open("values.json", "w") as f:
    json.dump(out, f, indent=1)
print(out)
