"""Zoo fixtures: the quickstart datasets, loaded once per session with the network cut off."""

from __future__ import annotations

import socket

import pytest

import labelloop.zoo as foz


def _no_network(*args, **kwargs):
    raise AssertionError("zoo quickstart loading tried to open a network connection")


def load_offline(name: str, **kwargs):
    """``load_zoo_dataset`` with every socket connection attempt failing the test."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _no_network)
        mp.setattr(socket.socket, "connect_ex", _no_network)
        mp.setattr(socket, "create_connection", _no_network)
        return foz.load_zoo_dataset(name, **kwargs)


@pytest.fixture(scope="session")
def quickstart():
    return load_offline("quickstart")


@pytest.fixture(scope="session")
def quickstart_video():
    return load_offline("quickstart-video")
