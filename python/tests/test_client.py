"""The ringkv package against a real local cluster (conftest.py): siblings and context,
levels, namespaces, TTL, and errors as exceptions carrying their code."""

import threading

import pytest

import ringkv

from conftest import eventually


def test_a_put_then_get_returns_the_value_as_bytes_and_a_missing_key_is_not_found(client):
    result = client.put("py:plain", "Ada")
    assert result.acks >= 2 and result.context
    got = client.get("py:plain")
    assert got.found and got.values == [b"Ada"] and not got.has_siblings
    assert got.replies >= 2
    missing = client.get(b"py:never-written")
    assert not missing.found and missing.values == []


def test_concurrent_puts_come_back_as_siblings_and_a_put_with_their_context_resolves_them(client):
    key = b"py:\x00siblings"
    client.put(key, b"ada\x00")
    client.put(key, b"grace")
    got = client.get(key)
    assert sorted(got.values) == [b"ada\x00", b"grace"]
    assert got.has_siblings and len(got.siblings) == 2
    assert {s.value for s in got.siblings} == {b"ada\x00", b"grace"}
    assert all(not s.tombstone and s.written_ms > 0 and s.id for s in got.siblings)
    client.put(key, b"merged", got.context)
    assert client.get(key).values == [b"merged"]
    # A stored context is plain bytes: the delete with the latest one removes the key.
    latest = bytes(client.get(key).context)
    client.delete(key, latest)
    assert not client.get(key).found


def test_put_if_absent_raises_exists_with_its_code_and_writes_nothing(client):
    client.put_if_absent("py:once", "first")
    with pytest.raises(ringkv.ExistsError) as caught:
        client.put_if_absent("py:once", "second")
    assert caught.value.code == ringkv.Code.EXISTS
    assert isinstance(caught.value, ringkv.RingkvError)
    assert client.get("py:once").values == [b"first"]


def test_bad_input_raises_invalid_argument_with_its_code_and_writes_nothing(client):
    cases = [
        lambda: client.put("", "v"),
        lambda: client.put("k" * 2000, "v"),
        lambda: client.put("py:victim", b"v" * ((1 << 20) + 1)),
        lambda: client.put("py:victim", "v", b"\xde\xad\xbe\xef"),
        lambda: client.put("py:victim", "v", level=42),
        lambda: client.put("py:victim", "v", ttl=0),
        lambda: client.put("py:victim", "v", namespace="no-such-namespace"),
        lambda: client.get("py:victim", level=0),
        lambda: client.create_namespace("py_bad", conflict="newest"),
    ]
    for case in cases:
        with pytest.raises(ringkv.InvalidArgumentError) as caught:
            case()
        assert caught.value.code == ringkv.Code.INVALID_ARGUMENT == 2
        assert str(caught.value)
    assert not client.get("py:victim").found


def test_the_error_names_the_problem(client):
    with pytest.raises(ringkv.InvalidArgumentError, match="key is empty"):
        client.get("")
    with pytest.raises(ringkv.InvalidArgumentError, match="unknown consistency level 42"):
        client.get("k", level=42)


def test_a_namespace_keeps_its_keys_apart_from_default(client):
    client.create_namespace("py_ns", n=3, w=2, r=2)
    # The client learns a new namespace with the ring: fetch it until the node it asks has it.
    def put_in_namespace():
        client.refresh_ring()
        try:
            client.put("py:k", "in-ns", namespace="py_ns")
            return True
        except ringkv.InvalidArgumentError:
            return False

    assert eventually(put_in_namespace)
    assert client.get("py:k", namespace="py_ns").values == [b"in-ns"]
    assert not client.get("py:k").found
    client.drop_namespace("py_ns")


def test_a_ttl_expires_the_value(client):
    client.put("py:ttl", "short-lived", ttl=0.3)
    got = client.get("py:ttl")
    if got.found:  # a slow machine may already be past the 300 ms
        assert got.siblings[0].expires_ms > 0
    assert eventually(lambda: not client.get("py:ttl").found)


def test_levels_set_the_quorum_with_a_node_down(fresh_cluster):
    with ringkv.Client(fresh_cluster.seeds, cluster_name=fresh_cluster.CLUSTER_NAME, timeout=1.0) as c:
        c.put("py:level", "v1", level=ringkv.Level.ALL)
        fresh_cluster.kill(2)
        with pytest.raises((ringkv.QuorumNotReachedError, ringkv.TimedOutError, ringkv.UnavailableError)) as caught:
            c.get("py:level", level=ringkv.Level.ALL)
        assert caught.value.code in (ringkv.Code.QUORUM_NOT_REACHED, ringkv.Code.TIMED_OUT, ringkv.Code.UNAVAILABLE)
        assert c.get("py:level", level=ringkv.Level.QUORUM).values == [b"v1"]
        assert c.get("py:level", level=ringkv.Level.ONE).values == [b"v1"]
        with pytest.raises(ringkv.RingkvError) as put_all:
            c.put("py:level", "v2", level=ringkv.Level.ALL)
        if put_all.value.code == ringkv.Code.QUORUM_NOT_REACHED:
            assert put_all.value.needed == 3 and put_all.value.acked < 3


def test_connecting_to_nothing_raises_unavailable():
    with pytest.raises(ringkv.UnavailableError) as caught:
        ringkv.Client("127.0.0.1:1", timeout=0.5)
    assert caught.value.code == ringkv.Code.UNAVAILABLE


def test_a_closed_client_refuses_calls(cluster):
    c = ringkv.Client(cluster.seeds)
    c.close()
    with pytest.raises(ringkv.InvalidArgumentError, match="client is NULL"):
        c.get("k")


def test_calls_from_many_threads_run_concurrently_and_all_land(client):
    errors = []

    def writer(t):
        try:
            for i in range(20):
                client.put(f"py:thread:{t}:{i}", str(i))
        except Exception as e:  # noqa: BLE001 (reported below, not swallowed)
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert all(client.get(f"py:thread:{t}:19").values == [b"19"] for t in range(4))


def test_every_code_has_its_exception_class():
    for code in ringkv.Code:
        if code == ringkv.Code.OK:
            continue
        error = ringkv.errors.error_for(int(code), "m")
        assert error.code == code and type(error) is not ringkv.RingkvError
        assert ringkv._ringkv.code_name(int(code)) != "Unknown"
    unknown = ringkv.errors.error_for(99, "m")
    assert type(unknown) is ringkv.RingkvError and unknown.code == 99
