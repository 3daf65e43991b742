"""A real local ringkv cluster for the package's tests: three kvnode processes (the build
tree's, named by $RINGKV_KVNODE, which ctest sets) on 127.0.0.1-3, each on a free port with
its own data directory under a temporary directory. Every node is killed and the directory
removed when the session ends, whatever happened; a node that does not start fails the
tests with its log. Should the test process itself die (a crash, a sanitizer abort, a
kill), each node gets SIGKILL from the kernel (PR_SET_PDEATHSIG), so none outlives it."""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest


_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    """In the child before exec: SIGKILL when the test process exits, however it exits."""
    if _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")


def _free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _node_environment():
    """The nodes' environment: the test's, without the sanitizer runtimes preloaded for the
    interpreter (an ASan kvnode links its own, and its leak check stays on)."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if "RINGKV_NODE_ASAN_OPTIONS" in env:
        env["ASAN_OPTIONS"] = env["RINGKV_NODE_ASAN_OPTIONS"]
    return env


class LocalCluster:
    CLUSTER_NAME = "python-test"

    # With secured=True the nodes share a cluster secret and require this client token
    # (the bootstrap admin credential for `kv user add`).
    TOKEN = "python-client-token-0123456789"

    def __init__(self, kvnode, nodes=3, secured=False):
        self.root = tempfile.mkdtemp(prefix="ringkv-python-")
        self.processes = []
        self.nodes = []
        self.token = self.TOKEN if secured else ""
        self.token_file = ""
        security = []
        if secured:
            secret_file = self._write_secret("secret", "python-cluster-secret-0123456789")
            self.token_file = self._write_secret("token", self.TOKEN)
            security = ["--cluster-secret-file", secret_file, "--client-token-file", self.token_file]
        for i in range(nodes):
            host = f"127.0.0.{i + 1}"
            self.nodes.append(
                {
                    "id": f"node{i + 1}",
                    "address": f"{host}:{_free_port(host)}",
                    "admin": f"{host}:{_free_port(host)}",
                    "data": os.path.join(self.root, f"node{i + 1}"),
                    "log": os.path.join(self.root, f"node{i + 1}.log"),
                }
            )
        members = ",".join(f"{n['id']}@{n['address']}" for n in self.nodes)
        try:
            for n in self.nodes:
                with open(n["log"], "wb") as log:
                    self.processes.append(
                        subprocess.Popen(
                            [kvnode, "--id", n["id"], "--listen", n["address"], "--admin", n["admin"],
                             "--data", n["data"], "--seeds", members, "--cluster-name", self.CLUSTER_NAME,
                             "--durability", "batch", "--memtable-mb", "4", "--log-level", "warn"] + security,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            preexec_fn=_die_with_parent, env=_node_environment(),
                        )
                    )
            for n, p in zip(self.nodes, self.processes):
                self._wait_ready(n, p)
        except BaseException:
            self.stop()
            raise

    def _write_secret(self, name, text):
        """A secret file as an operator makes it: one line, chmod 600."""
        path = os.path.join(self.root, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")
        return path

    def _wait_ready(self, node, process, limit_s=30):
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            with open(node["log"], "rb") as log:
                if b"ready on" in log.read():
                    return
            if process.poll() is not None:
                break
            time.sleep(0.05)
        with open(node["log"], "rb") as log:
            raise RuntimeError(f"kvnode {node['id']} not ready on {node['address']}; log:\n{log.read().decode()}")

    @property
    def seeds(self):
        return ",".join(n["address"] for n in self.nodes)

    def kill(self, i):
        p = self.processes[i]
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)

    def stop(self):
        for p in self.processes:
            if p.poll() is None:
                p.kill()
        for p in self.processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


def eventually(predicate, limit_s=10.0):
    """Polls `predicate` every 50 ms until it holds or `limit_s` passes; returns whether it held."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _kvnode():
    kvnode = os.environ.get("RINGKV_KVNODE")
    if not kvnode or not os.access(kvnode, os.X_OK):
        pytest.fail("set RINGKV_KVNODE to a built kvnode (ctest does: build/node/kvnode)")
    return kvnode


@pytest.fixture(scope="session")
def cluster():
    c = LocalCluster(_kvnode())
    yield c
    c.stop()


@pytest.fixture
def fresh_cluster():
    """A cluster of its own, for a test that kills a node."""
    c = LocalCluster(_kvnode())
    yield c
    c.stop()


@pytest.fixture
def secured_cluster():
    """A cluster of its own with a cluster secret and a client token, for users and roles."""
    c = LocalCluster(_kvnode(), secured=True)
    yield c
    c.stop()


@pytest.fixture
def kv():
    """The build tree's kv shell ($RINGKV_KV, which ctest sets)."""
    path = os.environ.get("RINGKV_KV")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("set RINGKV_KV to a built kv (ctest does: build/cli/kv)")
    return path


@pytest.fixture
def client(cluster):
    import ringkv

    with ringkv.Client(cluster.seeds, cluster_name=LocalCluster.CLUSTER_NAME) as c:
        yield c
