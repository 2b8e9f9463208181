"""A Python judge of causal_attention with the checks of exercises/causal_attention/.meta/checks.cpp.

The yardstick for torchkata's speed (bench/python_side_by_side.sh): what a learner practising in Python
would wait for, as a fresh process, on the same PyTorch 1.13 (Debian's python3-torch). It compares
outputs and gradients with a reference as the C++ checks do; it has no sandbox, names no mistakes and
prints one line per check.

    python3 bench/python/judge_causal_attention.py SOLUTION.py [SEED]
"""
import importlib.util
import math
import sys

import torch

SHAPES = [(2, 3, 5, 8), (1, 1, 1, 4), (1, 2, 7, 3), (3, 1, 16, 32), (2, 4, 9, 6)]


def reference(q, k, v):
    T, hs = q.size(-2), q.size(-1)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))  # (B, nh, T, T)
    mask = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    att = att.masked_fill(~mask, float("-inf"))
    return torch.softmax(att, dim=-1) @ v  # (B, nh, T, hs)


def close(got, want, rtol=1e-5, atol=1e-6):
    if want.dtype == torch.float32:
        rtol, atol = 1e-4, 1e-5
    return got.shape == want.shape and got.dtype == want.dtype and torch.allclose(got, want, rtol, atol)


def qkv(shape, dtype, scale=1.0):
    return [torch.randn(shape, dtype=dtype) * scale for _ in range(3)]


def output_float64(f):
    return all(close(f(*x), reference(*x)) for x in (qkv(s, torch.float64) for s in SHAPES))


def output_float32(f):
    return all(close(f(*x), reference(*x)) for x in (qkv(s, torch.float32) for s in SHAPES))


def gradients_qkv(f):
    for dtype in (torch.float64, torch.float32):
        for s in SHAPES:
            x = qkv(s, dtype)
            w = torch.randn(s, dtype=dtype)
            grads = []
            for fn in (f, reference):
                leaves = [t.clone().requires_grad_() for t in x]
                (fn(*leaves) * w).sum().backward()
                grads.append([t.grad for t in leaves])
            if any(g is None or not close(g, r) for g, r in zip(*grads)):
                return False
    return True


def edge_shapes(f):
    shapes = [(1, 1, 1, 1), (1, 1, 1, 8), (4, 1, 1, 2), (1, 1, 6, 1)]
    return all(close(f(*x), reference(*x)) for x in (qkv(s, torch.float64) for s in shapes))


def non_contiguous_inputs(f):
    for s in SHAPES:
        x = qkv(s, torch.float64)
        views = [t.transpose(-2, -1).contiguous().transpose(-2, -1) for t in x]
        if not close(f(*views), reference(*x)):
            return False
    return True


def no_future_leakage(f):
    for s in SHAPES:
        T = s[2]
        if T < 2:
            continue
        x = qkv(s, torch.float64)
        for t in (0, T // 2, T - 2):
            perturbed = [a.clone() for a in x]
            for a in perturbed:
                a[..., t + 1:, :] = torch.randn_like(a[..., t + 1:, :]) * 3
            if not close(f(*perturbed)[..., : t + 1, :], f(*x)[..., : t + 1, :]):
                return False
    return True


def large_scores_stay_finite(f):
    for dtype, scale, tol in ((torch.float64, 1e3, 1e-7), (torch.float32, 12.0, 1e-3)):
        x = qkv((2, 2, 8, 4), dtype, scale)
        got, want = f(*x), reference(*x)
        if not (torch.isfinite(got).all() and torch.allclose(got, want, tol, tol)):
            return False
    return True


def inputs_unchanged(f):
    x = qkv((2, 3, 5, 8), torch.float64)
    copies = [t.clone() for t in x]
    f(*x)
    return all(torch.equal(a, b) for a, b in zip(x, copies))


CHECKS = [output_float64, output_float32, gradients_qkv, edge_shapes, non_contiguous_inputs,
          no_future_leakage, large_scores_stay_finite, inputs_unchanged]


def main():
    spec = importlib.util.spec_from_file_location("solution", sys.argv[1])
    solution = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(solution)
    torch.manual_seed(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    torch.set_num_threads(1)
    passed = 0
    for check in CHECKS:
        ok = check(solution.causal_attention)
        passed += ok
        print(("ok   " if ok else "FAIL ") + check.__name__)
    print(f"{passed}/{len(CHECKS)} checks passed")
    return 0 if passed == len(CHECKS) else 1


if __name__ == "__main__":
    sys.exit(main())
