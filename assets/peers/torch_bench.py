"""PyTorch peer for `netcensus bench`: torchvision's definition of the same model, same input, batch and
threads, run as a long-lived process so that netcensus can interleave it with its own runs (A B C A B C ...).

Protocol: one JSON object per line on stdin, one JSON reply per line on stdout; progress and errors go to
stderr. Requests:
    {"cmd": "load", "model": "vgg16", "batch": 8, "input": [224, 224]}
        -> {"ok": true, "torchvisionModel": "vgg16", "params": N, "torch": "...", "torchvision": "..."}
    {"cmd": "run"}     -> {"ms": T, "cpuMs": C}   one forward pass, timed until the result is read back
    {"cmd": "export", "path": "/tmp/m.onnx"}  -> {"ok": true, "opset": 17}   the loaded model, its weights and
        input shape, written as ONNX (TorchScript exporter, constants folded) for the ONNX Runtime peer
    {"cmd": "unload"}  -> {"ok": true}
A failed request answers {"error": "..."}; end of input ends the process.
Usage: torch_bench.py --serve --threads 2      or      torch_bench.py --check
"""
import argparse
import glob
import json
import os
import re
import sys
import time

# netcensus zoo name -> torchvision constructor name, for the models torchvision defines the same way.
MODELS = {
    "alexnet-torchvision": "alexnet",
    **{f"vgg{d}": f"vgg{d}" for d in (11, 13, 16, 19)},
    **{f"vgg{d}-bn": f"vgg{d}_bn" for d in (11, 13, 16, 19)},
    **{f"resnet{d}": f"resnet{d}" for d in (18, 34, 50, 101, 152)},
}


# The ONNX opset of the exports for the ONNX Runtime peer: one every ONNX Runtime of the last years runs.
OPSET = 17


def import_torchvision():
    """torchvision's model definitions are plain Python, but importing torchvision registers fake kernels for
    its C++ detection ops (nms, roi_align, ...), which fails where its C extension cannot load: pip's index
    here has only the CUDA build of torchvision 0.28 (linked against libtorch_cuda) next to a CPU-only torch,
    and `import torchvision` says "operator torchvision::nms does not exist". Then declare placeholder
    schemas for exactly the ops its import registers, so that the import, and the classification models,
    which use none of those ops, work (scripts/fixtures/make_onnx_fixtures.py imports this too)."""
    import importlib.util

    import torch

    spec = importlib.util.find_spec("torchvision")
    if spec is None:
        raise ImportError("torchvision is not installed")
    where = spec.submodule_search_locations[0]
    try:
        torch.ops.load_library(glob.glob(os.path.join(where, "_C*.so"))[0])
    except (OSError, IndexError, RuntimeError):
        names = set()
        for f in ("_meta_registrations.py", "_autograd_registrations.py"):
            p = os.path.join(where, f)
            if os.path.exists(p):
                with open(p) as fh:
                    names |= set(re.findall(r"torchvision::(\w+)", fh.read()))
        lib = torch.library.Library("torchvision", "DEF")
        for n in sorted(names):
            lib.define(f"{n}(Tensor x) -> Tensor")
        import_torchvision.placeholder_library = lib  # keep the registrations alive
    import torchvision

    return torch, torchvision


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(threads):
    torch, torchvision = import_torchvision()
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:
        pass  # only settable before any parallel work; nothing has run yet, so this is a safeguard
    model = x = None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            cmd = req.get("cmd")
            if cmd == "load":
                name = req["model"]
                if name not in MODELS:
                    reply({"error": f"no torchvision definition of {name}"})
                    continue
                model = getattr(torchvision.models, MODELS[name])(weights=None).eval()
                h, w = req["input"]
                x = torch.randn(req["batch"], 3, h, w)
                reply({
                    "ok": True,
                    "torchvisionModel": MODELS[name],
                    "params": sum(p.numel() for p in model.parameters()),
                    "torch": torch.__version__,
                    "torchvision": torchvision.__version__,
                    "threads": torch.get_num_threads(),
                })
            elif cmd == "run":
                if model is None:
                    reply({"error": "no model loaded"})
                    continue
                with torch.inference_mode():
                    c0 = time.process_time()
                    t0 = time.perf_counter()
                    # CPU execution is synchronous; .sum().item() reads the result back, as netcensus' timing does.
                    model(x).sum().item()
                    ms = (time.perf_counter() - t0) * 1000
                    cpu = (time.process_time() - c0) * 1000
                reply({"ms": ms, "cpuMs": cpu})
            elif cmd == "export":
                if model is None:
                    reply({"error": "no model loaded"})
                    continue
                # The module just loaded, so ONNX Runtime runs the very weights PyTorch runs; the batch stays
                # fixed, as in every other competitor.
                torch.onnx.export(model, (x,), req["path"], opset_version=OPSET, dynamo=False,
                                  input_names=["input"], output_names=["output"], do_constant_folding=True)
                reply({"ok": True, "opset": OPSET})
            elif cmd == "unload":
                model = x = None
                reply({"ok": True})
            else:
                reply({"error": f"unknown command {cmd!r}"})
        except Exception as e:  # one bad request must not end the peer
            reply({"error": f"{type(e).__name__}: {e}".splitlines()[0]})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="only check that torch and torchvision import")
    ap.add_argument("--serve", action="store_true", help="answer load/run requests on stdin")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    if a.check:
        torch, torchvision = import_torchvision()
        # The classification models must build and run, not only import.
        with torch.inference_mode():
            torchvision.models.resnet18(weights=None).eval()(torch.zeros(1, 3, 32, 32))
        print(f"torch {torch.__version__}, torchvision {torchvision.__version__}")
        return
    if a.serve:
        serve(max(1, a.threads))
        return
    ap.error("use --serve or --check")


if __name__ == "__main__":
    main()
