"""A small Module system in torch's image: parameters, buffers, submodules, state dicts.

Modules hold NumPy arrays under torch's names and shapes, so a PyTorch
``state_dict`` loads unchanged and ``named_parameters()`` lists the same keys
in the same order. Forward passes call :mod:`convscope.functional`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np


def _as_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value)


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` could not match (as torch returns it)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of every layer: torch's bookkeeping on NumPy arrays.

    Subclasses register arrays with :meth:`register_parameter` and
    :meth:`register_buffer` (or assign a :class:`Module` attribute to add a
    submodule) and implement :meth:`forward`.

    Examples
    --------
    >>> import numpy as np
    >>> class Scale(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.register_parameter("weight", np.ones(2))
    ...     def forward(self, x):
    ...         return x * self.weight
    >>> m = Scale()
    >>> [name for name, _ in m.named_parameters()]
    ['weight']
    >>> m(np.array([1.0, 2.0]))
    array([1., 2.])
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # -- registration -------------------------------------------------------------
    def register_parameter(self, name: str, value: Any) -> None:
        """Add (or replace) a learnable array; ``None`` declares an absent one (``bias=False``)."""
        self._parameters[name] = None if value is None else _as_numpy(value)

    def register_buffer(self, name: str, value: Any, persistent: bool = True) -> None:
        """Add a state array that is not learned (running statistics); saved unless not ``persistent``."""
        self._buffers[name] = None if value is None else _as_numpy(value)
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Module):
            self._modules[name] = value
        elif name in self._parameters:
            self.register_parameter(name, value)
        elif name in self._buffers:
            self._buffers[name] = None if value is None else _as_numpy(value)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: the registered arrays and submodules
        for table in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    # -- traversal ----------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every descendant, depth first, with dotted names."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def _named(self, table: str, prefix: str, recurse: bool) -> Iterator[tuple[str, np.ndarray]]:
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is not None:
                    yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, np.ndarray]]:
        """``(name, array)`` for every parameter, in torch's order."""
        return self._named("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[np.ndarray]:
        for _, value in self.named_parameters(recurse=recurse):
            yield value

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, np.ndarray]]:
        return self._named("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[np.ndarray]:
        for _, value in self.named_buffers(recurse=recurse):
            yield value

    # -- state ----------------------------------------------------------------------
    def state_dict(self, prefix: str = "") -> OrderedDict[str, np.ndarray]:
        """Parameters and persistent buffers by dotted name, in torch's order (copies)."""
        state: OrderedDict[str, np.ndarray] = OrderedDict()
        self._save(state, prefix)
        return state

    def _save(self, state: OrderedDict[str, np.ndarray], prefix: str) -> None:
        for name, value in self._parameters.items():
            if value is not None:
                state[prefix + name] = value.copy()
        for name, value in self._buffers.items():
            if value is not None and name not in self._non_persistent:
                state[prefix + name] = value.copy()
        for name, child in self.named_children():
            child._save(state, f"{prefix}{name}.")

    def _slots(self) -> dict[str, tuple[Module, str, str]]:
        """Every state entry: dotted name -> (owning module, table, local name)."""
        slots = {}
        for module_prefix, module in self.named_modules():
            dotted = f"{module_prefix}." if module_prefix else ""
            for table in ("_parameters", "_buffers"):
                for name, value in getattr(module, table).items():
                    if value is not None and name not in module._non_persistent:
                        slots[dotted + name] = (module, table, name)
        return slots

    def _unexpected(self, state_dict: Mapping[str, Any], slots: Mapping[str, Any]) -> list[str]:
        """Keys no entry matches, in torch's order: by the module that finds them, root first."""
        found = []
        for module_prefix, module in self.named_modules():
            dotted = f"{module_prefix}." if module_prefix else ""
            for key in state_dict:
                if key in slots or not key.startswith(dotted):
                    continue
                head = key[len(dotted) :].split(".", 1)[0]
                if head not in module._modules or "." not in key[len(dotted) :]:
                    found.append(key)
        return found

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy arrays (NumPy or torch) into this module's parameters and buffers.

        Each value is cast to the dtype of the array it replaces, as torch's
        in-place copy does. A shape mismatch is always an error; missing and
        unexpected keys are errors when ``strict`` and returned otherwise.
        Nothing is changed unless every check passes.

        Raises
        ------
        KeyError
            Missing or unexpected keys (``strict``), listed by name.
        ValueError
            A value whose shape differs from the module's.
        """
        slots = self._slots()
        missing = [k for k in slots if k not in state_dict]
        unexpected = self._unexpected(state_dict, slots)
        problems = []
        if strict and missing:
            problems.append("missing key(s): " + ", ".join(repr(k) for k in missing))
        if strict and unexpected:
            problems.append("unexpected key(s): " + ", ".join(repr(k) for k in unexpected))
        if problems:
            raise KeyError(
                f"Error(s) in loading state_dict for {type(self).__name__}: " + "; ".join(problems)
            )
        updates = []
        for key, (module, table, name) in slots.items():
            if key not in state_dict:
                continue
            current = getattr(module, table)[name]
            value = _as_numpy(state_dict[key])
            if value.shape != current.shape:
                raise ValueError(
                    f"Error(s) in loading state_dict for {type(self).__name__}: size mismatch for "
                    f"{key}: copying a param with shape {value.shape}, the shape in the current "
                    f"model is {current.shape}"
                )
            updates.append((module, table, name, value.astype(current.dtype)))
        for module, table, name, value in updates:
            getattr(module, table)[name] = value
        return IncompatibleKeys(missing, unexpected)

    # -- modes and dtypes -------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Training behaviour (batch statistics, dropout) for this module and its descendants."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        return self.train(False)

    def apply(self, fn: Callable[[Module], None]) -> Module:
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, dtype: Any) -> Module:
        """Cast every floating parameter and buffer to ``dtype`` (integer buffers keep theirs)."""
        target = np.dtype(dtype)
        for module in self.modules():
            for table in (module._parameters, module._buffers):
                for name, value in table.items():
                    if value is not None and value.dtype.kind == "f":
                        table[name] = value.astype(target)
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # -- calling and printing ---------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        body = "\n  ".join(lines)
        extra = f"\n  {self.extra_repr()}" if self.extra_repr() else ""
        return f"{type(self).__name__}({extra}\n  {body}\n)"


class Sequential(Module):
    """Modules applied in order, named ``0``, ``1``, ... (or by the keys of an OrderedDict).

    Examples
    --------
    >>> from convscope.nn import Conv2d, ReLU
    >>> Sequential(Conv2d(3, 6, 3, rng=0), ReLU())
    Sequential(
      (0): Conv2d(3, 6, kernel_size=(3, 3), stride=(1, 1))
      (1): ReLU()
    )
    """

    def __init__(self, *modules: Module | OrderedDict[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, entry in enumerate(modules):
                if not isinstance(entry, Module):
                    raise TypeError(
                        f"Sequential: argument {index} is not a Module, got {type(entry).__name__}"
                    )
                self.add_module(str(index), entry)

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):  # torch slices a Sequential into a Sequential
            return Sequential(OrderedDict(list(self.named_children())[index]))
        return list(self.children())[index]

    def __iter__(self) -> Iterator[Module]:
        return self.children()

    def forward(self, x: Any) -> Any:
        for module in self.children():
            x = module(x)
        return x


class ModuleList(Module):
    """A list of submodules, registered as ``0``, ``1``, ... (not called as a whole)."""

    def __init__(self, modules: list[Module] | None = None) -> None:
        super().__init__()
        for module in modules or []:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, index: int) -> Module:
        return list(self.children())[index]

    def __iter__(self) -> Iterator[Module]:
        return self.children()
