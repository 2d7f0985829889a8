"""polyact.torch: the module's output equals polyact's forward pass, and a noiseless network's activation
coefficients are recovered (with first- and last-layer biases), written back into the modules."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import polyact  # noqa: E402
from polyact.torch import PolyActivation, fit_activations  # noqa: E402


def network(true, bias_first=True, bias_last=True, seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(4, 5, bias=bias_first),
        PolyActivation(2, true[0]),
        nn.Linear(5, 5, bias=False),
        PolyActivation(1, true[1]),
        nn.Linear(5, 2, bias=bias_last),
    ).double()
    return model


TRUE = [[1.0, 0.6, -0.4], [0.3, -0.9]]


def test_module_output_equals_the_library_forward_pass():
    model = network(TRUE, bias_first=False, bias_last=False)
    x = torch.rand(30, 4, dtype=torch.float64) * 2 - 1
    weights = [model[i].weight.detach().numpy() for i in (0, 2, 4)]
    ours = polyact.forward(weights, [2, 1], TRUE, x.numpy())
    assert np.allclose(model(x).detach().numpy(), ours, atol=1e-12)


@pytest.mark.parametrize("biases", [False, True])
def test_noiseless_coefficients_are_recovered_and_written(biases):
    model = network(TRUE, bias_first=biases, bias_last=biases, seed=1)
    x = torch.rand(80, 4, dtype=torch.float64) * 2 - 1
    with torch.no_grad():
        y = model(x)
        model[1].coefficients.copy_(torch.tensor([1.0, 1.0, 0.0]))
        model[3].coefficients.copy_(torch.tensor([0.0, 1.0]))
    r = fit_activations(model, x, y, loss="lsq")
    assert r.certified, r
    assert np.allclose(model[1].coefficients.detach().numpy(), TRUE[0], atol=1e-5)
    assert np.allclose(model[3].coefficients.detach().numpy(), TRUE[1], atol=1e-5)
    assert torch.allclose(model(x), y, atol=1e-5)


def test_unsupported_models_raise():
    with pytest.raises(ValueError, match="ReLU"):
        fit_activations(nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)), np.zeros((3, 2)), np.zeros((3, 1)))
    model = network(TRUE)
    model[2] = nn.Linear(5, 5, bias=True).double()
    with pytest.raises(ValueError, match="inner biases"):
        fit_activations(model, np.zeros((3, 4)), np.zeros((3, 2)))


@pytest.mark.parametrize(
    "layers",
    [
        lambda: [nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)],
        lambda: [nn.Conv1d(1, 1, 1), PolyActivation(2), nn.Linear(4, 2)],
        lambda: [nn.Linear(3, 4), PolyActivation(2)],
    ],
)
def test_unsupported_layers_are_refused(layers):
    model = nn.Sequential(*layers())
    with pytest.raises(ValueError, match="Linear"):
        fit_activations(model, np.zeros((5, 3)), np.zeros((5, 2)))
