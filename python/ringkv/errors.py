"""ringkv's errors as exceptions: each carries the C ABI's code (ringkv.Code).

Every failed call raises a subclass of RingkvError, one per code, so callers can catch
exactly what they handle (``except ringkv.QuorumNotReachedError``) or everything
(``except ringkv.RingkvError as e: e.code``). Bad input raises InvalidArgumentError before
anything is sent: nothing is written.
"""

import enum


class Code(enum.IntEnum):
    """The C ABI's error codes (include/ringkv/ringkv.h, ringkv_code)."""

    OK = 0
    NOT_FOUND = 1
    INVALID_ARGUMENT = 2
    CORRUPTION = 3
    IO_ERROR = 4
    NOT_SUPPORTED = 5
    BUSY = 6
    ABORTED = 7
    TIMED_OUT = 8
    UNAVAILABLE = 9
    QUORUM_NOT_REACHED = 10
    STALE_RING = 11
    UNAUTHENTICATED = 12
    EXISTS = 13
    PERMISSION_DENIED = 14


class RingkvError(Exception):
    """A failed ringkv call. ``code`` is a ringkv.Code (an int for a code this package
    does not know yet); ``acked``/``needed`` are the replicas that answered and those that
    were needed, for QuorumNotReached and TimedOut."""

    code = None

    def __init__(self, message, code=None, acked=0, needed=0):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.acked = acked
        self.needed = needed


class NotFoundError(RingkvError):
    code = Code.NOT_FOUND


class InvalidArgumentError(RingkvError):
    """Bad input (empty or oversized key or value, unknown level or namespace, malformed
    context, bad TTL): nothing was sent or written."""

    code = Code.INVALID_ARGUMENT


class CorruptionError(RingkvError):
    code = Code.CORRUPTION


class RingkvIOError(RingkvError):
    code = Code.IO_ERROR


class NotSupportedError(RingkvError):
    code = Code.NOT_SUPPORTED


class BusyError(RingkvError):
    code = Code.BUSY


class AbortedError(RingkvError):
    code = Code.ABORTED


class TimedOutError(RingkvError):
    code = Code.TIMED_OUT


class UnavailableError(RingkvError):
    code = Code.UNAVAILABLE


class QuorumNotReachedError(RingkvError):
    code = Code.QUORUM_NOT_REACHED


class StaleRingError(RingkvError):
    code = Code.STALE_RING


class UnauthenticatedError(RingkvError):
    code = Code.UNAUTHENTICATED


class ExistsError(RingkvError):
    """put_if_absent found a live value: nothing was written."""

    code = Code.EXISTS


class PermissionDeniedError(RingkvError):
    """The user's role or grants do not allow the call: nothing was done."""

    code = Code.PERMISSION_DENIED


_BY_CODE = {cls.code: cls for cls in RingkvError.__subclasses__()}


def error_for(code, message, acked=0, needed=0):
    """The exception for a C ABI code (RingkvError itself for an unknown one)."""
    cls = _BY_CODE.get(code)
    if cls is None:
        return RingkvError(message, code=code, acked=acked, needed=needed)
    return cls(message, acked=acked, needed=needed)
