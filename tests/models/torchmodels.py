"""PyTorch modules for the torch flavor tests (importable, so a state dict can name its class)."""

from __future__ import annotations

from typing import Any

import torch


class TinyNet(torch.nn.Module):
    """A two-layer MLP whose constructor arguments are kept in ``init_kwargs``."""

    def __init__(self, inputs: int = 2, hidden: int = 4) -> None:
        super().__init__()
        self.init_kwargs: dict[str, Any] = {"inputs": inputs, "hidden": hidden}
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(inputs, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class TinyConv(torch.nn.Module):
    """Takes images of shape (batch, 1, 4, 4)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 3)
        self.head = torch.nn.Linear(8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(self.conv(x), 1))
