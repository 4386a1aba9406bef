"""What gets benchmarked against torch: convscope, or a stand-in for self-tests.

An implementation is a namespace with ``name``, ``version``, ``origin``,
``functional`` (mirroring ``torch.nn.functional`` on NumPy arrays) and
``vjp(fn, *primals, **params) -> (out, pullback)`` and ``nn_lib()``, the layer library
the whole-network cases are built with (see ``bench/networks.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

_STANDIN_OPS = (
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "max_pool2d",
    "avg_pool2d",
    "interpolate",
    "max_unpool2d",
)


def load_convscope(threads: int) -> SimpleNamespace:
    """Import convscope; raise ImportError with the reason if it cannot be used."""
    import convscope
    import convscope.functional as functional

    vjp = getattr(convscope, "vjp", None)
    thread_note = "no thread setting found in convscope"
    for setter in ("set_num_threads", "set_threads"):
        fn = getattr(convscope, setter, None)
        if callable(fn):
            fn(threads)
            thread_note = f"convscope.{setter}({threads})"
            break
    return SimpleNamespace(
        name="convscope",
        version=getattr(convscope, "__version__", "?"),
        origin=str(getattr(convscope, "__file__", "?")),
        functional=functional,
        vjp=vjp if vjp is not None else _missing_vjp,
        nn_lib=_convscope_nn_lib,
        thread_note=thread_note,
        tf=_convscope_tf(),
    )


def _convscope_tf() -> Any:
    """``convscope.tf`` for the ``tf`` group, or None (its cases then report an error row)."""
    try:
        import convscope.tf
    except ImportError:
        return None
    return convscope.tf


def _convscope_nn_lib() -> SimpleNamespace:
    from bench.networks import convscope_lib

    return convscope_lib()


def _standin_nn_lib() -> SimpleNamespace:
    from bench.networks import torch_lib

    return torch_lib()


def _missing_vjp(*args: Any, **kwargs: Any) -> Any:
    raise AttributeError("convscope.vjp does not exist (yet)")


def _tensor_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """NumPy keyword arguments (max_unpool's indices) as tensors, for the torch stand-in."""
    return {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


def _standin_op(name: str) -> Callable[..., np.ndarray]:
    t_op = getattr(torch.nn.functional, name)

    @functools.wraps(t_op)
    def op(*args: Any, **kwargs: Any) -> np.ndarray:
        targs = [torch.from_numpy(np.asarray(a)) if isinstance(a, np.ndarray) else a for a in args]
        with torch.no_grad():
            return np.asarray(t_op(*targs, **_tensor_kwargs(kwargs)).numpy())

    op._torch_op = t_op  # type: ignore[attr-defined]
    return op


def _standin_vjp(
    fn: Callable[..., Any], *primals: Any, **params: Any
) -> tuple[np.ndarray, Callable[..., Any]]:
    t_op = fn._torch_op  # type: ignore[attr-defined]
    ts = [torch.from_numpy(np.asarray(p)).requires_grad_() for p in primals]
    out = t_op(*ts, **_tensor_kwargs(params))

    def pullback(cotangent: Any) -> tuple[np.ndarray, ...]:
        grads = torch.autograd.grad(out, ts, torch.from_numpy(np.asarray(cotangent)))
        return tuple(np.asarray(g.numpy()) for g in grads)

    return np.asarray(out.detach().numpy()), pullback


def load_standin() -> SimpleNamespace:
    """torch itself behind convscope's NumPy interface: ratios should be ~1.0."""
    functional = SimpleNamespace(**{n: _standin_op(n) for n in _STANDIN_OPS})
    return SimpleNamespace(
        name="stand-in (torch via NumPy)",
        version=torch.__version__,
        origin="bench.backends.load_standin (--self-test)",
        functional=functional,
        vjp=_standin_vjp,
        nn_lib=_standin_nn_lib,
        thread_note="stand-in uses torch's threads",
    )
