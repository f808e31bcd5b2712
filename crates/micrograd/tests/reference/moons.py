"""micrograd's demo notebook, run by the original micrograd on this crate's two-moons data.

The reference for tests/moons.rs. Needs only `pip install micrograd` (no numpy: the data generator is
written with `random`, whose stream the crate's PyRandom reproduces).

    python3 crates/micrograd/tests/reference/moons.py
"""
import math
import random

from micrograd.engine import Value
from micrograd.nn import MLP


def linspace_pi(n):
    # numpy.linspace(0, pi, n): i * step, the last one exactly pi
    step = math.pi / (max(n, 2) - 1)
    return [math.pi if (i + 1 == n and n > 1) else i * step for i in range(n)]


def make_moons(n, noise, rng):
    n_out = n // 2
    n_in = n - n_out
    outer = [([math.cos(t), math.sin(t)], -1.0) for t in linspace_pi(n_out)]
    inner = [([1 - math.cos(t), 1 - math.sin(t) - 0.5], 1.0) for t in linspace_pi(n_in)]
    pts = outer + inner
    rng.shuffle(pts)
    for p, _ in pts:
        p[0] += rng.gauss(0.0, noise)
        p[1] += rng.gauss(0.0, noise)
    return [p for p, _ in pts], [y for _, y in pts]


X, y = make_moons(100, 0.1, random.Random(1337))  # the notebook: np.random.seed(1337)
random.seed(1337)  # the notebook: random.seed(1337), then MLP draws its weights
model = MLP(2, [16, 16, 1])


def loss():
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum((p * p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return total_loss, sum(accuracy) / len(accuracy)


print("first point", repr(X[0][0]), repr(X[0][1]), "label", y[0])
for k in range(100):
    total_loss, acc = loss()
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    print(f"step {k} loss {total_loss.data}, accuracy {acc*100}%")
