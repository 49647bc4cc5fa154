"""Writes large Keras files for the metadata-only read benchmark (bench/large/run.mjs): VGG16 with its
weights (about 528 MB of float32) as .h5 and .keras, written by Keras itself. Weights are random: size,
not values, is what the benchmark needs. Usage: python make_large_files.py OUT_DIR
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
model = keras.applications.VGG16(weights=None)
for ext in ("h5", "keras"):
    path = os.path.join(out, f"vgg16_weights.{ext}")
    if not os.path.exists(path):
        model.save(path)
    print(path, os.path.getsize(path))
