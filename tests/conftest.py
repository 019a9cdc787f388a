import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def _float64_torch():
    """Every test runs with float64 torch defaults and restores them."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
