"""The plain PyTorch-style training loop, written out by hand (no nerve.train).

    python examples/plain_loop.py

The same MLP on the 8x8 digits as examples/mlp_digits.py, trained with the loop every
PyTorch tutorial shows: the code ports to PyTorch by changing the imports.
"""

from __future__ import annotations

import time

import nerve
from nerve import nn
from nerve.data import DataLoader, TensorDataset
from nerve.data.datasets import load_digits


def main(epochs: int = 15, seed: int = 0) -> float:
    nerve.manual_seed(seed)
    x, y = load_digits("train")
    x_test, y_test = load_digits("test")
    mean, scale = x.mean(0), x.std(0) + 0.1  # + 0.1: blank border pixels have std 0
    train_loader = DataLoader(TensorDataset((x - mean) / scale, y), batch_size=64,
                              shuffle=True)
    test_loader = DataLoader(TensorDataset((x_test - mean) / scale, y_test), batch_size=360)

    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(256, 10))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nerve.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        total, seen = 0.0, 0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            seen += len(yb)

        model.eval()
        correct = 0
        with nerve.no_grad():
            for xb, yb in test_loader:
                correct += (model(xb).argmax(1) == yb).sum().item()
        accuracy = correct / len(y_test)
        print(f"epoch {epoch + 1:2d}  train loss {total / seen:.4f}  "
              f"test accuracy {accuracy:.4f}")
    print(f"test accuracy: {accuracy:.4f} ({time.perf_counter() - start:.1f} s)")
    return accuracy


if __name__ == "__main__":
    main()
