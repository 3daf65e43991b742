"""ringkv: the Python client of the ringkv key-value store (docs/sdk.md, "Python").

    import ringkv
    with ringkv.Client("127.0.0.1:7001") as kv:
        kv.put("user:1", "Ada")
        got = kv.get("user:1")           # got.values == [b"Ada"], got.context
        kv.put("user:1", "Grace", got.context)

Built on the SDK's C ABI (libringkv.so, shipped inside this package).
"""

from . import _ringkv
from .client import Client, GetResult, Level, PutResult, Sibling
from .errors import *  # noqa: F401,F403 (the exception classes and Code)
from .errors import Code, RingkvError

ABI_VERSION = _ringkv.ABI_VERSION
__version__ = _ringkv.version()

if _ringkv.abi_version() != ABI_VERSION:  # a libringkv.so of another ABI was loaded
    raise ImportError(f"libringkv.so has ABI {_ringkv.abi_version()}, this package needs {ABI_VERSION}")

__all__ = ["Client", "GetResult", "Level", "PutResult", "Sibling", "Code", "RingkvError"]
