"""Element-wise layers: activations, dropout and the identity."""

from __future__ import annotations

from typing import Any

import numpy as np

from .init import Rng, generator
from .module import Module


def _array(x: Any) -> np.ndarray:
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


class _Inplace(Module):
    """An activation with torch's ``inplace`` flag (honoured: the input array is overwritten)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""

    def _out(self, x: np.ndarray) -> np.ndarray | None:
        return x if self.inplace else None


class ReLU(_Inplace):
    """``torch.nn.ReLU``: ``max(x, 0)``.

    Examples
    --------
    >>> ReLU()(np.array([-1.0, 2.0]))
    array([0., 2.])
    """

    def forward(self, input: Any) -> np.ndarray:
        x = _array(input)
        out: np.ndarray = np.maximum(x, 0, out=self._out(x))
        return out


class ReLU6(_Inplace):
    """``torch.nn.ReLU6``: ``min(max(x, 0), 6)`` (MobileNet's activation).

    Examples
    --------
    >>> ReLU6()(np.array([-1.0, 3.0, 9.0]))
    array([0., 3., 6.])
    """

    def forward(self, input: Any) -> np.ndarray:
        x = _array(input)
        return np.clip(x, 0, 6, out=self._out(x))


class LeakyReLU(_Inplace):
    """``torch.nn.LeakyReLU``: ``x`` for positive inputs, ``negative_slope * x`` otherwise.

    Examples
    --------
    >>> LeakyReLU(0.1)(np.array([-2.0, 3.0]))
    array([-0.2,  3. ])
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.negative_slope = negative_slope

    def forward(self, input: Any) -> np.ndarray:
        x = _array(input)
        slope = np.asarray(self.negative_slope, dtype=x.dtype)
        return (
            np.where(x >= 0, x, x * slope) if not self.inplace else np.multiply(x, slope, out=x, where=x < 0)
        )

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """``torch.nn.Sigmoid``: ``1 / (1 + exp(-x))``, computed without overflow.

    Examples
    --------
    >>> Sigmoid()(np.array([0.0, -1000.0]))
    array([0.5, 0. ])
    """

    def forward(self, input: Any) -> np.ndarray:
        x = _array(input)
        # exp of a non-positive number never overflows
        e = np.exp(-np.abs(x))
        out: np.ndarray = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return out.astype(x.dtype, copy=False)


class Identity(Module):
    """``torch.nn.Identity``: returns its input (extra constructor arguments are ignored).

    Examples
    --------
    >>> Identity(54, unused="ok")(np.ones(2))
    array([1., 1.])
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class _Dropout(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False, *, rng: Rng = None) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(
                f"{type(self).__name__}: dropout probability has to be between 0 and 1, but got {p}"
            )
        self.p, self.inplace = p, inplace
        self.rng = generator(rng)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"

    def _mask_shape(self, x: np.ndarray) -> tuple[int, ...]:
        return x.shape

    def forward(self, input: Any) -> np.ndarray:
        x = _array(input)
        if not self.training or self.p == 0:
            return x
        if self.p == 1:
            return np.zeros_like(x)
        keep = self.rng.random(self._mask_shape(x)) >= self.p
        scale = np.asarray(1 / (1 - self.p), dtype=x.dtype)
        out: np.ndarray = np.multiply(x, keep * scale, out=x if self.inplace else None)
        return out


class Dropout(_Dropout):
    """``torch.nn.Dropout``: in training, zero each element with probability ``p`` and scale by ``1/(1-p)``.

    The draws come from ``rng`` (a seed or Generator), not torch's generator.

    Examples
    --------
    >>> Dropout(0.5).eval()(np.ones(3))
    array([1., 1., 1.])
    >>> sorted(set(Dropout(0.5, rng=0)(np.ones(100)).tolist()))
    [0.0, 2.0]
    """


class Dropout2d(_Dropout):
    """``torch.nn.Dropout2d``: zero whole channels of ``(N, C, H, W)`` input.

    A 3-d input is read as torch 2.13 reads it, ``(N, C, L)``: channel-wise
    1-d dropout (torch warns that this will change).

    Examples
    --------
    >>> out = Dropout2d(0.5, rng=0)(np.ones((1, 8, 2, 2)))
    >>> all(len(set(channel.ravel().tolist())) == 1 for channel in out[0])
    True
    """

    def _mask_shape(self, x: np.ndarray) -> tuple[int, ...]:
        if x.ndim not in (3, 4):
            raise ValueError(f"Dropout2d: expected 3-d or 4-d input, got input of shape {x.shape}")
        if x.ndim == 3:
            return (*x.shape[:-1], 1)
        return (*x.shape[:-2], 1, 1)
