#!/usr/bin/env python3
"""Python's LiteRT on our two full models, one and two threads: the engine's own speed on this
machine, to set beside `signbridge bench`. Medians of 100 invocations (after 10 warm-up), ROUNDS
rounds (default 3) alternating the threads and models.

    python3 -m venv /tmp/lrt && /tmp/lrt/bin/pip install ai-edge-litert==2.1.4 numpy
    /tmp/lrt/bin/python scripts/litert-python.py

Models: $SIGNBRIDGE_MODELS, else the cache `signbridge` fills ($XDG_CACHE_HOME/signbridge/models
or ~/.cache/signbridge/models); run the app or the tests once first.
"""
import os
import sys
import time

import numpy as np
from ai_edge_litert.interpreter import Interpreter

MODELS = ("palm_detection_full.tflite", "hand_landmark_full.tflite")


def model_dir():
    if os.environ.get("SIGNBRIDGE_MODELS"):
        return os.environ["SIGNBRIDGE_MODELS"]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "signbridge", "models")


def median_ms(path, threads):
    interpreter = Interpreter(model_path=path, num_threads=threads)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    x = np.random.RandomState(0).rand(*inp["shape"]).astype(np.float32)
    interpreter.set_tensor(inp["index"], x)
    for _ in range(10):
        interpreter.invoke()
    times = []
    for _ in range(100):
        t = time.perf_counter()
        interpreter.invoke()
        times.append((time.perf_counter() - t) * 1e3)
    return float(np.median(times))


def main():
    rounds = int(os.environ.get("ROUNDS", "3"))
    folder = model_dir()
    missing = [m for m in MODELS if not os.path.isfile(os.path.join(folder, m))]
    if missing:
        sys.exit(f"litert-python.py: {', '.join(missing)} not in {folder} (run signbridge once)")
    results = {}
    for _ in range(rounds):
        for name in MODELS:
            for threads in (1, 2):
                ms = median_ms(os.path.join(folder, name), threads)
                results.setdefault((name, threads), []).append(ms)
    for (name, threads), values in results.items():
        print(f"{name:28} {threads} thread{'s' if threads > 1 else ' '}  "
              + "  ".join(f"{v:6.2f}" for v in values) + " ms")


if __name__ == "__main__":
    main()
