"""`zoo data-service --dispatcher | --worker`: tf.data service servers that decode for a trainer.

    zoo data-service --dispatcher --port 5050                          # one, anywhere
    zoo data-service --worker --dispatcher-address HOST:5050 --port 5051  # one per machine
    zoo train ... --data-service HOST:5050

The dispatcher hands the trainer's dataset to the workers; each worker reads,
decodes and augments its share and sends the clips to the trainer. A worker
imports zoo's pipeline, which registers the Python stages the dataset calls
(PyAV decoding; see `zoo.data.stages`), and opens the videos by the paths the
trainer listed: every machine must see the data at the same path. Both servers
print one line on stdout once they are up (a worker: once the dispatcher has
registered it) and run until they are stopped (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # imported when a server starts: `zoo --help` stays instant
    import tensorflow as tf

NAME = "data-service"
T = TypeVar("T")
DISPATCHER_PORT = 5050
WORKER_PORT = 5051


def add_arguments(parser: argparse.ArgumentParser) -> None:
    role = parser.add_mutually_exclusive_group(required=True)
    role.add_argument(
        "--dispatcher", action="store_true", help="start the dispatcher, which shares out the work"
    )
    role.add_argument(
        "--worker",
        action="store_true",
        help="start a worker, which decodes for the dispatcher at --dispatcher-address",
    )
    parser.add_argument(
        "--port",
        type=int,
        help=f"port to listen on (default: {DISPATCHER_PORT} for the dispatcher, "
        f"{WORKER_PORT} for a worker)",
    )
    parser.add_argument(
        "--dispatcher-address", metavar="HOST:PORT", help="the dispatcher a worker serves"
    )
    parser.add_argument(
        "--host",
        default=socket.gethostname(),
        help="the name trainers and workers reach this machine by",
    )


def _listening(start: Callable[[], T], port: int) -> T:
    """`start()`, a server that listens on `port`; a port it cannot take is a user error."""
    try:
        return start()
    except RuntimeError as err:  # "Could not start gRPC server"
        raise ValueError(f"cannot listen on port {port} ({err}); is it in use?") from None


def run(args: argparse.Namespace) -> int:
    server = _dispatcher(args) if args.dispatcher else _worker(args)
    server.join()
    return 0


def _dispatcher(args: argparse.Namespace) -> tf.data.experimental.service.DispatchServer:
    """A started `tf.data.experimental.service.DispatchServer`."""
    import tensorflow as tf

    service = tf.data.experimental.service
    port = DISPATCHER_PORT if args.port is None else args.port
    config = service.DispatcherConfig(port=port)
    server = _listening(lambda: service.DispatchServer(config), port)
    address = f"{args.host}:{port}"
    print(f"tf.data service dispatcher at {address}; train with --data-service {address}")
    sys.stdout.flush()
    return server


def _worker(args: argparse.Namespace) -> tf.data.experimental.service.WorkerServer:
    """A started `tf.data.experimental.service.WorkerServer`, registered with its dispatcher."""
    if not args.dispatcher_address:
        raise ValueError("--worker needs --dispatcher-address HOST:PORT")
    import tensorflow as tf

    import zoo.data.pipeline  # noqa: F401  (registers the stages the datasets call)

    service = tf.data.experimental.service
    port = WORKER_PORT if args.port is None else args.port
    dispatcher = args.dispatcher_address.removeprefix("grpc://")
    config = service.WorkerConfig(
        dispatcher_address=dispatcher, worker_address=f"{args.host}:{port}", port=port
    )
    print(f"waiting for the dispatcher at {dispatcher}", file=sys.stderr, flush=True)
    server = _listening(lambda: service.WorkerServer(config), port)  # once registered
    print(f"tf.data service worker at {args.host}:{port}, for {dispatcher}", flush=True)
    return server
