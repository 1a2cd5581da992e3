"""Where the PyTorch engine computes: the ``[search] device`` key, resolved.

``"cpu"`` (the default), ``"cuda"`` / ``"cuda:N"`` (a GPU, refused with a clear error on a
machine without one), ``"mps"`` (Apple's GPU) or ``"auto"`` (the first GPU when torch sees
one, else the CPU). Parameters, data, minibatch indices and measurements live on that
device; random draws that define a run (initialisations, minibatch orders, perturbation
noise) are made on the CPU from the seed and moved there, so a seed's draws are the same
on every device. On the CPU nothing changes: results are identical bit for bit to those
from before this key existed.
"""

from __future__ import annotations

import platform

import torch


class DeviceUnavailable(ValueError):
    """A device that this machine's torch cannot use.

    Examples
    --------
    >>> print(DeviceUnavailable("cuda", "torch sees no CUDA GPU"))
    device 'cuda' is not available here: torch sees no CUDA GPU
    """

    def __init__(self, device: str, why: str) -> None:
        self.device = device
        super().__init__(f"device {device!r} is not available here: {why}")


def resolve_device(name: str = "cpu") -> torch.device:
    """The :class:`torch.device` that ``name`` (a ``[search] device`` value) stands for.

    Raises
    ------
    DeviceUnavailable
        For a GPU this machine does not have.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("auto").type in ("cpu", "cuda")
    True
    """
    if name == "auto":
        return torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceUnavailable(name, "torch sees no CUDA GPU (use 'auto' or 'cpu')")
        index = 0 if device.index is None else device.index
        if index >= torch.cuda.device_count():
            raise DeviceUnavailable(name, f"torch sees {torch.cuda.device_count()} CUDA GPU(s)")
        return torch.device("cuda", index)
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceUnavailable(name, "torch sees no MPS device")
    return device


def device_name(device: torch.device) -> str:
    """The hardware behind ``device``, in words, for the trajectory's attributes.

    Examples
    --------
    >>> isinstance(device_name(torch.device("cpu")), str)
    True
    """
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple MPS"
    return platform.processor() or platform.machine() or "cpu"


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``tensor`` on ``device``; the very same tensor when it is there already (on the
    CPU nothing is copied, so CPU results stay bit for bit).

    Examples
    --------
    >>> t = torch.ones(2)
    >>> to_device(t, torch.device("cpu")) is t
    True
    """
    return tensor if tensor.device == device else tensor.to(device)
