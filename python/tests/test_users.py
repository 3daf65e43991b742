"""Users and roles from Python (docs/security.md, "Users and roles"): a client logged in as
a user gets ringkv.PermissionDeniedError, carrying its code, for a write its grants do not
allow, and nothing is written; a write they allow lands. The users are made with `kv user
add` under the cluster's client token, as an operator makes them."""

import subprocess
import urllib.request

import pytest

import ringkv

from conftest import LocalCluster, eventually

PASSWORD = {"analyst": "analyst-password-0123", "shop": "shop-password-0123456"}


def kv_user_add(kv, cluster, name, role, namespace="*"):
    """`kv user add NAME ROLE [NS]` with the password on stdin, as the token's admin."""
    command = [kv, "--cluster", cluster.seeds, "--cluster-name", LocalCluster.CLUSTER_NAME,
               "--token-file", cluster.token_file, "user", "add", name, role]
    if namespace != "*":
        command.append(namespace)
    done = subprocess.run(command, input=PASSWORD[name] + "\n", capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr


def users_on(node, token):
    """The `ringkv_users` gauge of a node's /metrics: how many users its catalog holds."""
    request = urllib.request.Request(f"http://{node['admin']}/metrics", headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("ringkv_users "):
                return float(line.split()[1])
    return 0.0


def as_user(cluster, name):
    return ringkv.Client(cluster.seeds, cluster_name=LocalCluster.CLUSTER_NAME, user=name, password=PASSWORD[name])


def test_a_user_is_denied_a_write_beyond_its_grants_with_permission_denied_and_nothing_is_written(
    secured_cluster, kv
):
    cluster = secured_cluster
    with ringkv.Client(cluster.seeds, cluster_name=LocalCluster.CLUSTER_NAME, token=cluster.token) as admin:
        admin.create_namespace("orders", n=3, w=2, r=2)
        kv_user_add(kv, cluster, "analyst", "read")  # read on every namespace
        kv_user_add(kv, cluster, "shop", "write", "orders")  # write (and read) on orders only
        # Gossip spreads the catalog: every node must know both users before they log in.
        assert eventually(lambda: all(users_on(n, cluster.token) == 2 for n in cluster.nodes), limit_s=20)

        with as_user(cluster, "analyst") as analyst:
            with pytest.raises(ringkv.PermissionDeniedError) as caught:
                analyst.put("py:denied", "should not land")
            assert caught.value.code == ringkv.Code.PERMISSION_DENIED == 14
            assert isinstance(caught.value, ringkv.RingkvError)
            assert "analyst" in str(caught.value)
            assert not analyst.get("py:denied", level=ringkv.Level.ALL).found  # reading is allowed
        assert not admin.get("py:denied", level=ringkv.Level.ALL).found

        with as_user(cluster, "shop") as shop:
            # The namespace reaches the client with the ring: fetch it until the put is accepted.
            def put_order():
                shop.refresh_ring()
                try:
                    shop.put("o1", "shoes", namespace="orders")
                    return True
                except ringkv.InvalidArgumentError:
                    return False

            assert eventually(put_order)
            assert shop.get("o1", namespace="orders").values == [b"shoes"]
            with pytest.raises(ringkv.PermissionDeniedError) as outside:
                shop.put("py:outside-orders", "no grant on default")
            assert outside.value.code == ringkv.Code.PERMISSION_DENIED
        assert admin.get("o1", namespace="orders", level=ringkv.Level.ALL).values == [b"shoes"]
        assert not admin.get("py:outside-orders", level=ringkv.Level.ALL).found
