"""Batch normalisation with torch's training statistics and running averages."""

from __future__ import annotations

from typing import Any

import numpy as np

from .module import Module


class _BatchNorm(Module):
    ranks: tuple[int, ...] = (4,)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        bias: bool = True,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.register_parameter("weight", np.ones(num_features, dtype) if affine else None)
        self.register_parameter("bias", np.zeros(num_features, dtype) if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype))
            self.register_buffer("num_batches_tracked", np.array(0, np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )

    def _check(self, x: np.ndarray) -> None:
        name = type(self).__name__
        if x.ndim not in self.ranks:
            wanted = " or ".join(f"{r}D" for r in self.ranks)
            raise ValueError(f"{name}: expected {wanted} input, got input of shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name}: expected {self.num_features} channels, got input of shape {x.shape}")

    def forward(self, input: Any) -> np.ndarray:
        x = np.asarray(input.detach().cpu().numpy() if hasattr(input, "detach") else input)
        self._check(x)
        axes = (0, *range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            count = x.size // x.shape[1]
            if self.training and count <= 1:
                raise ValueError(
                    f"{type(self).__name__}: expected more than 1 value per channel when training, "
                    f"got input of shape {x.shape}"
                )
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            if self.training and self.track_running_stats:
                self._update(mean, var * count / max(count - 1, 1))
        else:
            mean, var = self.running_mean, self.running_var
        scale = 1 / np.sqrt(var + np.asarray(self.eps, x.dtype))
        if self.weight is not None:
            scale = scale * self.weight
        out = (x - mean.reshape(shape)) * scale.reshape(shape)
        if self.bias is not None:
            out = out + self.bias.reshape(shape)
        result: np.ndarray = out.astype(x.dtype, copy=False)
        return result

    def _update(self, mean: np.ndarray, unbiased_var: np.ndarray) -> None:
        """torch's running averages: ``momentum``, or a cumulative mean when it is None."""
        self._buffers["num_batches_tracked"] = self.num_batches_tracked + 1
        factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        for name, batch in (("running_mean", mean), ("running_var", unbiased_var)):
            running = self._buffers[name]
            self._buffers[name] = ((1 - factor) * running + factor * batch).astype(running.dtype)


class BatchNorm1d(_BatchNorm):
    """``torch.nn.BatchNorm1d`` over ``(N, C)`` or ``(N, C, L)``.

    Examples
    --------
    >>> bn = BatchNorm1d(2)
    >>> out = bn(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> out.round(3), bn.running_mean.round(3)
    (array([[-1., -1.],
           [ 1.,  1.]]), array([0.2, 2. ], dtype=float32))
    """

    ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """``torch.nn.BatchNorm2d`` over ``(N, C, H, W)``; in ``eval()`` it uses the running statistics.

    Examples
    --------
    >>> BatchNorm2d(6)
    BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    >>> round(float(BatchNorm2d(6).eval()(np.ones((1, 6, 2, 2))).max()), 4)
    1.0
    """

    ranks = (4,)


class BatchNorm3d(_BatchNorm):
    """``torch.nn.BatchNorm3d`` over ``(N, C, D, H, W)``.

    Examples
    --------
    >>> sorted(BatchNorm3d(3).state_dict())
    ['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']
    """

    ranks = (5,)
