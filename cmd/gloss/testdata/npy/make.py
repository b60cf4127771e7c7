# Makes the fixtures of TestNpyFromNumPy: .npy files written by NumPy itself in the layouts
# the reader must convert (big-endian, Fortran order, format versions 2.0 and 3.0, every
# integer width, bool, 0-d and empty arrays) and in dtypes it must refuse by name, with
# values.json giving each file's shape and its values in row-major order.
# Run from this folder with Debian's python3-numpy: /usr/bin/python3 make.py
import json
import numpy as np

base = np.arange(24, dtype=np.float64).reshape(2, 3, 4) * 0.5 - 3.25  # exact in float32 too
ok = {
    "f8_be_2d": base[0].astype(">f8"),
    "f4_be_1d": base.ravel().astype(">f4"),
    "f4_fortran_2d": np.asfortranarray(base[1].astype("<f4")),
    "f8_fortran_3d": np.asfortranarray(base),
    "f4_fortran_be_2d": np.asfortranarray(base[0, :, :3].astype(">f4")),
    "i1": np.array([-128, -1, 0, 1, 127], dtype="i1"),
    "u1": np.array([0, 1, 200, 255], dtype="u1"),
    "i2_be": np.array([-32768, -2, 7, 32767], dtype=">i2"),
    "u2": np.array([0, 65535, 3], dtype="<u2"),
    "i4_be_fortran": np.asfortranarray(np.arange(-6, 6, dtype=">i4").reshape(3, 4)),
    "u4": np.array([0, 4294967295, 5], dtype="<u4"),
    "i8": np.array([-(2**62), -1, 2**62], dtype="<i8"),
    "u8": np.array([0, 2**63 - 1], dtype="<u8"),
    "bool": np.array([[True, False, True], [False, False, True]]),
    "scalar_f8": np.array(2.5),
    "empty_f4": np.zeros((0,), dtype="<f4"),
    "empty_2d_f8": np.zeros((0, 5), dtype="<f8"),
}
for name, a in ok.items():
    np.save(name + ".npy", a)
# Header format versions 2.0 and 3.0 (NumPy writes them for long or non-Latin-1 headers).
with open("v2_f4.npy", "wb") as f:
    np.lib.format.write_array(f, base[0].astype("<f4"), version=(2, 0))
with open("v3_f8.npy", "wb") as f:
    np.lib.format.write_array(f, base[1], version=(3, 0))
ok["v2_f4"] = base[0].astype("<f4")
ok["v3_f8"] = base[1]

refused = {
    "f2": (np.array([1, 2], dtype="<f2"), "float16"),
    "c8": (np.array([1 + 2j], dtype="<c8"), "'<c8'"),
    "u3str": (np.array(["abc"]), "'<U3'"),
    "structured": (np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]), "structured"),
    "datetime": (np.array(["2024-01-01"], dtype="datetime64[D]"), "'<M8[D]'"),
}
for name, (a, _) in refused.items():
    np.save(name + ".npy", a)

out = {
    "ok": {n: {"shape": list(a.shape), "values": [int(v) if a.dtype == bool else v.item() for v in np.ascontiguousarray(a).ravel()]} for n, a in ok.items()},
    "refused": {n: want for n, (_, want) in refused.items()},
    "numpy": np.__version__,
}
with open("values.json", "w") as f:
    json.dump(out, f, indent=1)
