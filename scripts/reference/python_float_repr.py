"""Expected Python float repr / json.dumps text for test/train/pythonFloat.test.ts.

Each case is [IEEE-754 double as 16 hex digits, repr(value), json.dumps(value)].
Run:  python3 scripts/reference/python_float_repr.py > test/train/data/pythonFloatRepr.json
"""
import json
import random
import struct

random.seed(5)
values = [1e-05, 0.005, 0.0001, 3e-4, 1.0, 100.0, 1e16, 1.5e16, 123456789012345.6, 1e15, 0.1, -0.0, 0.0, 2.5e-7, -3.75e-5,
          1e22, 5e-324, 1.7976931348623157e308, 12345.678, 0.00012, float("nan"), float("inf"), -float("inf"),
          9999999999999998.0, 0.30000000000000004]
for _ in range(40):
    # float32 values as numpy's tolist() hands them to json: doubles holding a float32
    values.append(struct.unpack("f", struct.pack("f", random.uniform(-2, 2) * 10 ** random.randint(-9, 3)))[0])
print(json.dumps([[struct.pack(">d", v).hex(), repr(v), json.dumps(v)] for v in values]))
