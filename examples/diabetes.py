"""Polynomial activations for a trained ReLU network on real data (scikit-learn's diabetes set), three ways.

The data ship inside scikit-learn (442 patients, 10 features, a disease-progression target); nothing is
downloaded. A ReLU network Linear(10, H) → ReLU → Linear(H, H) → ReLU → Linear(H, 1), biases in every layer, is
trained with Adam; then its ReLUs are replaced by polynomials of degree 2 with every weight and bias kept:

  (a) "ls-relu": each ReLU's least-squares polynomial approximation on the range of its pre-activations
      (the usual HE-friendly replacement);
  (b) "adam":    the coefficients of (a) refined by Adam on the training loss (weights frozen, inner c_0 = 1);
  (c) "polyact": the globally optimal coefficients for the training loss (lsq), by the Moment-SOS hierarchy,
      with its certificate.

polyact's model fixes c_0 = 1 in every activation but the last; a constant of an inner activation is the same
network as a shift of the next layer's bias, so (a)'s constant is moved there first: (a)'s network is then a point
of (c)'s problem, and all three share the same weights and biases. Each is evaluated on a held-out test set.

Run: python examples/diabetes.py [--hidden 16] [--seed 0] [--out docs/figures/applications]
(needs numpy, torch, scikit-learn, matplotlib and the polyact package: pip install ./python)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from torch import nn

import polyact
from polyact.torch import PolyActivation, fit_activations


def relu_net(d_in: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1)).double()


def train(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, params, steps: int, lr: float) -> float:
    opt = torch.optim.Adam(params, lr=lr)
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.mean((model(X) - Y) ** 2)
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def mse(model: nn.Module, X: torch.Tensor, Y: torch.Tensor) -> float:
    with torch.no_grad():
        return float(torch.mean((model(X) - Y) ** 2))


def preactivations(model: nn.Sequential, X: torch.Tensor):
    """The inputs of every activation of `model` on X (one array per activation layer)."""
    out, h = [], X
    with torch.no_grad():
        for layer in model:
            if not isinstance(layer, nn.Linear):
                out.append(h.numpy().ravel())
            h = layer(h)
    return out


def ls_relu(lo: float, hi: float, degree: int) -> np.ndarray:
    """Least-squares polynomial approximation of ReLU on [lo, hi] (uniform weight), c_0 first."""
    t = np.linspace(lo, hi, 2001)
    return np.polynomial.polynomial.polyfit(t, np.maximum(t, 0.0), degree)


def poly_net(relu: nn.Sequential, coefficients) -> nn.Sequential:
    """The ReLU network with its activations replaced by polynomials, inner constants moved into the next bias."""
    layers, k = [], 0
    shift = None
    for layer in relu:
        if isinstance(layer, nn.Linear):
            lin = nn.Linear(layer.in_features, layer.out_features).double()
            with torch.no_grad():
                lin.weight.copy_(layer.weight)
                lin.bias.copy_(layer.bias)
                if shift is not None:
                    lin.bias.add_(shift * layer.weight.sum(dim=1))
            layers.append(lin)
            shift = None
        else:
            c = np.array(coefficients[k], dtype=np.float64)
            last = k == len(coefficients) - 1
            if not last:
                shift, c[0] = c[0] - 1.0, 1.0
            layers.append(PolyActivation(len(c) - 1, c))
            k += 1
    return nn.Sequential(*layers).double()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hidden", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--degree", type=int, default=2)
    ap.add_argument("--relu-steps", type=int, default=500)
    ap.add_argument("--out", type=Path, default=Path("docs/figures/applications"))
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    data = load_diabetes()
    X_train, X_test, y_train, y_test = train_test_split(data.data, data.target, test_size=100, random_state=args.seed)
    mu, sd = X_train.mean(0), X_train.std(0)
    ym, ys = y_train.mean(), y_train.std()
    Xtr = torch.tensor((X_train - mu) / sd)
    Xte = torch.tensor((X_test - mu) / sd)
    Ytr = torch.tensor((y_train - ym) / ys)[:, None]
    Yte = torch.tensor((y_test - ym) / ys)[:, None]

    relu = relu_net(Xtr.shape[1], args.hidden)
    t_relu = train(relu, Xtr, Ytr, relu.parameters(), steps=args.relu_steps, lr=1e-3)
    rows = {"relu": {"train_mse": mse(relu, Xtr, Ytr), "test_mse": mse(relu, Xte, Yte), "seconds": t_relu}}

    pre = preactivations(relu, Xtr)
    ranges = [(float(p.min()), float(p.max())) for p in pre]
    ls = [ls_relu(lo, hi, args.degree) for lo, hi in ranges]

    start = time.perf_counter()
    net_a = poly_net(relu, ls)
    rows["ls-relu"] = {"train_mse": mse(net_a, Xtr, Ytr), "test_mse": mse(net_a, Xte, Yte), "seconds": time.perf_counter() - start}

    net_b = poly_net(relu, ls)
    coefs = [m.coefficients for m in net_b if isinstance(m, PolyActivation)]
    for c in coefs[:-1]:  # c_0 = 1 in inner activations, as in polyact's model (the same family of networks)
        mask = torch.ones_like(c)
        mask[0] = 0.0
        c.register_hook(lambda g, mask=mask: g * mask)
    t_b = train(net_b, Xtr, Ytr, coefs, steps=3000, lr=1e-3)
    rows["adam"] = {"train_mse": mse(net_b, Xtr, Ytr), "test_mse": mse(net_b, Xte, Yte), "seconds": t_b}

    net_c = poly_net(relu, ls)
    start = time.perf_counter()
    result = fit_activations(net_c, Xtr, Ytr, loss="lsq")
    t_c = time.perf_counter() - start
    rows["polyact"] = {
        "train_mse": mse(net_c, Xtr, Ytr), "test_mse": mse(net_c, Xte, Yte), "seconds": t_c,
        "certified": bool(result.certified), "relative_gap": result.relative_gap, "lower_bound": result.lower_bound,
    }

    args.out.mkdir(parents=True, exist_ok=True)
    summary = {
        "data": "sklearn.datasets.load_diabetes (442 × 10), 342 train / 100 test, standardized",
        "network": f"10-{args.hidden}-{args.hidden}-1, biases in every layer, degree {args.degree}",
        "seed": args.seed, "preactivation_ranges": ranges,
        "coefficients": {
            "ls-relu": [np.asarray(m.coefficients.detach()).tolist() for m in net_a if isinstance(m, PolyActivation)],
            "adam": [np.asarray(m.coefficients.detach()).tolist() for m in net_b if isinstance(m, PolyActivation)],
            "polyact": [np.asarray(m.coefficients.detach()).tolist() for m in net_c if isinstance(m, PolyActivation)],
        },
        "results": rows,
    }
    (args.out / "diabetes.json").write_text(json.dumps(summary, indent=2))
    print(f"{'method':<10} {'train MSE':>10} {'test MSE':>10} {'seconds':>8}")
    for name, r in rows.items():
        print(f"{name:<10} {r['train_mse']:>10.4f} {r['test_mse']:>10.4f} {r['seconds']:>8.2f}")
    print(f"polyact: certified={rows['polyact']['certified']} relative gap {rows['polyact']['relative_gap']:.2e}")
    plot(summary, pre, net_a, net_b, net_c, args.out)


def plot(summary, pre, net_a, net_b, net_c, out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nets = {"ls-relu": net_a, "adam": net_b, "polyact": net_c}
    fig, axes = plt.subplots(1, len(pre) + 1, figsize=(5 * (len(pre) + 1), 4))
    for k, p in enumerate(pre):
        ax = axes[k]
        t = np.linspace(p.min(), p.max(), 400)
        ax2 = ax.twinx()
        ax2.hist(p, bins=60, color="0.85")
        ax2.set_yticks([])
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
        ax.plot(t, np.maximum(t, 0), "k--", label="ReLU")
        for name, net in nets.items():
            acts = [m for m in net if isinstance(m, PolyActivation)]
            with torch.no_grad():
                ax.plot(t, acts[k](torch.tensor(t)).numpy(), label=name)
        ax.set_title(f"activation {k + 1} over its pre-activations (training data)")
        ax.set_xlabel("pre-activation t")
        ax.legend(fontsize=8)
    ax = axes[-1]
    names = list(summary["results"])
    ax.bar(names, [summary["results"][n]["test_mse"] for n in names], color=["0.4", "C0", "C1", "C2"])
    ax.set_ylabel("test MSE (standardized target)")
    ax.set_title("held-out test error")
    fig.tight_layout()
    fig.savefig(out / "diabetes.png", dpi=110)


if __name__ == "__main__":
    main()
