"""PyTorch peer for `netcensus bench`: the same model from torchvision, same input, batch and threads.

Prints one JSON line on stdout; progress and errors on stderr; exit 2 on an unknown model.
Usage: torch_bench.py --model vgg16 --batch 8 --input 224 --threads 2 --warmup 2 --runs 5
"""
import argparse
import json
import statistics
import sys
import time

# netcensus zoo name -> torchvision constructor name (only models torchvision defines the same way).
MODELS = {
    "alexnet-torchvision": "alexnet",
    **{f"vgg{d}": f"vgg{d}" for d in (11, 13, 16, 19)},
    **{f"vgg{d}-bn": f"vgg{d}_bn" for d in (11, 13, 16, 19)},
    **{f"resnet{d}": f"resnet{d}" for d in (18, 34, 50, 101, 152)},
}


def import_torchvision():
    """Imports torchvision even where its compiled ops do not match the installed torch build (pip's
    default torchvision wheel next to a CPU-only torch): the model definitions do not need those ops."""
    import torch

    try:
        import torchvision
        return torch, torchvision
    except RuntimeError:
        for name in [m for m in sys.modules if m.startswith("torchvision")]:
            del sys.modules[name]
        original = torch.library.register_fake

        def lenient(op, *args, **kwargs):
            decorator = original(op, *args, **kwargs)

            def apply(fn):
                try:
                    return decorator(fn)
                except RuntimeError:
                    return fn

            return apply

        torch.library.register_fake = lenient
        import torchvision
        return torch, torchvision


def percentile(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="only check that torch and torchvision import")
    ap.add_argument("--model")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--input", type=int, default=224)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    if a.check:
        torch, torchvision = import_torchvision()
        print(f"torch {torch.__version__}, torchvision {torchvision.__version__}")
        return
    if a.model not in MODELS:
        print(f"torch_bench: no torchvision equivalent of {a.model}", file=sys.stderr)
        sys.exit(2)
    torch, torchvision = import_torchvision()
    torch.set_num_threads(a.threads)
    model = getattr(torchvision.models, MODELS[a.model])(weights=None).eval()
    x = torch.randn(a.batch, 3, a.input, a.input)
    times = []
    with torch.inference_mode():
        for i in range(a.warmup + a.runs):
            t0 = time.perf_counter()
            # CPU execution is synchronous; .sum().item() reads the result back, as netcensus' timing does.
            model(x).sum().item()
            dt = (time.perf_counter() - t0) * 1000
            if i >= a.warmup:
                times.append(dt)
            print(f"torch_bench: {a.model} batch {a.batch} run {i + 1}: {dt:.1f} ms", file=sys.stderr)
    print(json.dumps({
        "peer": "pytorch", "torch": torch.__version__, "torchvision": torchvision.__version__,
        "model": a.model, "torchvisionModel": MODELS[a.model], "batch": a.batch, "input": a.input, "threads": a.threads,
        "timesMs": times, "medianMs": statistics.median(times), "p10Ms": percentile(times, 0.1), "p90Ms": percentile(times, 0.9),
    }))


if __name__ == "__main__":
    main()
