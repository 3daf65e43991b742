#ifndef RINGKV_RINGKV_H_
#define RINGKV_RINGKV_H_
/* ringkv.h: the SDK's stable C ABI (C99 and C++), for C programs and for other languages'
 * bindings (the Python package in python/ is built on it). It wraps ringkv::Client
 * (ringkv/client.h) one to one: same requests, same semantics (docs/sdk.md, "C").
 *
 * Link: libringkv.so (target ringkv::c; only the ringkv_* symbols below are exported), or the
 * static ringkv_c with ringkv::sdk.
 *
 * Stability: the ABI is versioned by RINGKV_C_ABI_VERSION. Within one ABI version functions
 * are only added, never changed or removed; enum values are fixed numbers that never change
 * meaning. Every object is an opaque handle made and freed by the library, so its layout can
 * change without breaking callers. Check ringkv_abi_version() == RINGKV_C_ABI_VERSION at
 * start-up to catch a header/library mismatch.
 *
 * Ownership: a handle returned through an `out` pointer belongs to the caller, who frees it
 * with its own ringkv_*_free (or ringkv_client_close); every free function accepts NULL.
 * Byte arrays (keys, values, contexts) are (pointer, length): they may hold any bytes,
 * including NUL. Byte arrays a handle returns point into that handle: valid until it is
 * freed, never to be freed on their own. Strings given to the library (seeds, namespace,
 * token, paths) are NUL-terminated and copied: the caller may free them after the call.
 *
 * Errors: every call that can fail returns a ringkv_code (RINGKV_OK = 0) and, when `error`
 * is not NULL and the call failed, sets *error to a new ringkv_error the caller frees (its
 * message names what failed). On failure no `out` handle is set (it is left NULL). Bad
 * input (a NULL handle or pointer, an empty or oversized key, an unknown level, a malformed
 * context, a bad TTL) returns RINGKV_INVALID_ARGUMENT and nothing is sent or written.
 *
 * Threads: a client is thread-safe: any number of threads may call it at once. The sync
 * calls block the calling thread until the request ends. The async calls return at once;
 * their callback runs exactly once, on the client's internal network thread (its event
 * loop). While a callback runs, that thread serves no other request of this client: keep
 * callbacks short and never block in them (hand the result to your own thread or queue).
 * Inside a callback only the async calls may be used (they start at once); a sync call
 * returns RINGKV_INVALID_ARGUMENT there instead of waiting for the thread it runs on, and
 * ringkv_client_close must not be called there. ringkv_client_close from another thread
 * waits for the network thread to end; requests still in flight then end without calling
 * back. Options and result handles are plain data: use one from one thread at a time. */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define RINGKV_C_EXPORT
#else
#define RINGKV_C_EXPORT __attribute__((visibility("default")))
#endif

/* The ABI this header declares; ringkv_abi_version() is the library's. */
#define RINGKV_C_ABI_VERSION 1
/* The ringkv release the header comes from. */
#define RINGKV_VERSION_MAJOR 0
#define RINGKV_VERSION_MINOR 1
#define RINGKV_VERSION_PATCH 0

RINGKV_C_EXPORT int ringkv_abi_version(void);
RINGKV_C_EXPORT const char* ringkv_version_string(void); /* "0.1.0"; static storage */

/* ---- error codes: ringkv::StatusCode, as fixed numbers ---- */
typedef enum ringkv_code {
  RINGKV_OK = 0,
  RINGKV_NOT_FOUND = 1,
  RINGKV_INVALID_ARGUMENT = 2, /* bad input: nothing was sent or written */
  RINGKV_CORRUPTION = 3,
  RINGKV_IO_ERROR = 4,
  RINGKV_NOT_SUPPORTED = 5,
  RINGKV_BUSY = 6,
  RINGKV_ABORTED = 7,             /* an internal error in the SDK (logged once to stderr) */
  RINGKV_TIMED_OUT = 8,           /* the request's timeout passed first */
  RINGKV_UNAVAILABLE = 9,         /* no replica could be reached */
  RINGKV_QUORUM_NOT_REACHED = 10, /* fewer than W (puts) or R (gets) replicas succeeded */
  RINGKV_STALE_RING = 11,         /* the ring changed under the request three times in a row */
  RINGKV_UNAUTHENTICATED = 12,    /* no or wrong client token */
  RINGKV_EXISTS = 13,             /* put_if_absent found a live value: nothing written */
  RINGKV_PERMISSION_DENIED = 14   /* the user's role or grants do not allow the call: nothing done */
} ringkv_code;

/* "InvalidArgument", "QuorumNotReached", ...; "Unknown" for a number not listed above. */
RINGKV_C_EXPORT const char* ringkv_code_name(int code);

typedef struct ringkv_error ringkv_error;
RINGKV_C_EXPORT ringkv_code ringkv_error_code(const ringkv_error* error);
/* What failed, NUL-terminated; valid until the error is freed. */
RINGKV_C_EXPORT const char* ringkv_error_message(const ringkv_error* error);
/* For QUORUM_NOT_REACHED and TIMED_OUT: replicas that answered, and how many were needed. */
RINGKV_C_EXPORT int ringkv_error_acked(const ringkv_error* error);
RINGKV_C_EXPORT int ringkv_error_needed(const ringkv_error* error);
RINGKV_C_EXPORT void ringkv_error_free(ringkv_error* error);

/* ---- consistency levels (ringkv::Consistency) ---- */
typedef enum ringkv_level {
  RINGKV_LEVEL_ONE = 1,
  RINGKV_LEVEL_QUORUM = 2,
  RINGKV_LEVEL_ALL = 3,
  RINGKV_LEVEL_LOCAL_QUORUM = 4,
  RINGKV_LEVEL_LOCAL_ONE = 5,
  RINGKV_LEVEL_EACH_QUORUM = 6
} ringkv_level;

/* ---- client options (ringkv::ClientOptions) ---- */
typedef struct ringkv_options ringkv_options;
RINGKV_C_EXPORT ringkv_options* ringkv_options_new(void); /* the SDK's defaults; NULL only when out of memory */
RINGKV_C_EXPORT void ringkv_options_free(ringkv_options* options);
/* host:port of any nodes, comma-separated ("127.0.0.1:7001,127.0.0.2:7001"). */
RINGKV_C_EXPORT ringkv_code ringkv_options_set_seeds(ringkv_options* options, const char* seeds, ringkv_error** error);
RINGKV_C_EXPORT ringkv_code ringkv_options_set_cluster_name(ringkv_options* options, const char* name,
                                                            ringkv_error** error);
/* The default namespace's N, W and R (the client checks them on connect). */
RINGKV_C_EXPORT ringkv_code ringkv_options_set_nwr(ringkv_options* options, int n, int w, int r, ringkv_error** error);
/* A request's default timeout, > 0 ms. */
RINGKV_C_EXPORT ringkv_code ringkv_options_set_timeout_ms(ringkv_options* options, int64_t timeout_ms,
                                                          ringkv_error** error);
RINGKV_C_EXPORT ringkv_code ringkv_options_set_token(ringkv_options* options, const char* token, ringkv_error** error);
/* Log in as a user (kv user add; docs/security.md) instead of with the token: every call is
 * then checked against the user's role and grants (RINGKV_PERMISSION_DENIED, nothing done).
 * NULL or "" user: no user. */
RINGKV_C_EXPORT ringkv_code ringkv_options_set_user(ringkv_options* options, const char* user, const char* password,
                                                    ringkv_error** error);
/* TLS (docs/security.md): PEM paths; ca_file NULL or "" turns TLS off; server_name NULL
 * keeps "ringkv". The files are read on connect. */
RINGKV_C_EXPORT ringkv_code ringkv_options_set_tls(ringkv_options* options, const char* ca_file, const char* cert_file,
                                                   const char* key_file, const char* server_name, ringkv_error** error);

/* ---- per-request options (ringkv::RequestOptions); NULL everywhere means the defaults ---- */
typedef struct ringkv_request_options ringkv_request_options;
RINGKV_C_EXPORT ringkv_request_options* ringkv_request_options_new(void);
RINGKV_C_EXPORT void ringkv_request_options_free(ringkv_request_options* options);
/* A ringkv_level; INVALID_ARGUMENT (options unchanged) for any other number. */
RINGKV_C_EXPORT ringkv_code ringkv_request_options_set_level(ringkv_request_options* options, int level,
                                                             ringkv_error** error);
/* Explicit N/W/R (each >= 1, or 0 to leave it to the level / namespace). */
RINGKV_C_EXPORT ringkv_code ringkv_request_options_set_nwr(ringkv_request_options* options, int n, int w, int r,
                                                           ringkv_error** error);
RINGKV_C_EXPORT ringkv_code ringkv_request_options_set_timeout_ms(ringkv_request_options* options, int64_t timeout_ms,
                                                                  ringkv_error** error);
/* The key's namespace; NULL or "" is "default". An unknown name fails the request itself. */
RINGKV_C_EXPORT ringkv_code ringkv_request_options_set_namespace(ringkv_request_options* options, const char* ns,
                                                                 ringkv_error** error);
/* Puts only: the value expires ttl_ms after the write (1 ms .. 10 years). */
RINGKV_C_EXPORT ringkv_code ringkv_request_options_set_ttl_ms(ringkv_request_options* options, int64_t ttl_ms,
                                                              ringkv_error** error);

/* ---- results ---- */
/* What a get found: the values (more than one: concurrent writes, siblings to resolve),
 * every version read (values and concurrent deletes), and the context to put with. */
typedef struct ringkv_get_result ringkv_get_result;
RINGKV_C_EXPORT int ringkv_get_result_found(const ringkv_get_result* result); /* 0: never written or deleted */
RINGKV_C_EXPORT size_t ringkv_get_result_value_count(const ringkv_get_result* result);
/* Value i (0 <= i < value_count): *data and *length point into the result. 0 if i is out of range. */
RINGKV_C_EXPORT int ringkv_get_result_value(const ringkv_get_result* result, size_t i, const char** data,
                                            size_t* length);
/* The causal context (opaque bytes; may be stored and passed later). Empty: nothing read. */
RINGKV_C_EXPORT void ringkv_get_result_context(const ringkv_get_result* result, const uint8_t** data, size_t* length);
RINGKV_C_EXPORT int ringkv_get_result_replies(const ringkv_get_result* result); /* replicas that answered */
/* Every version read, oldest write first (ringkv::SiblingInfo). */
RINGKV_C_EXPORT size_t ringkv_get_result_sibling_count(const ringkv_get_result* result);
/* Sibling i: its value (empty for a delete), whether it is a delete, the writer's wall clock
 * at the put and its expiry (ms since the Unix epoch; 0: never), and its id
 * ("<node>:<counter>", NUL-terminated). Any out pointer may be NULL. 0 if i is out of range. */
RINGKV_C_EXPORT int ringkv_get_result_sibling(const ringkv_get_result* result, size_t i, const char** value,
                                              size_t* value_length, int* tombstone, uint64_t* written_ms,
                                              uint64_t* expires_ms, const char** id);
RINGKV_C_EXPORT void ringkv_get_result_free(ringkv_get_result* result);

/* What a put or delete did: the new version's context, and the acks it got. */
typedef struct ringkv_put_result ringkv_put_result;
RINGKV_C_EXPORT void ringkv_put_result_context(const ringkv_put_result* result, const uint8_t** data, size_t* length);
RINGKV_C_EXPORT int ringkv_put_result_acks(const ringkv_put_result* result);
RINGKV_C_EXPORT void ringkv_put_result_free(ringkv_put_result* result);

/* ---- the client ---- */
typedef struct ringkv_client ringkv_client;
/* Fetches the ring from the first seed that answers (UNAVAILABLE if none does). */
RINGKV_C_EXPORT ringkv_code ringkv_client_connect(const ringkv_options* options, ringkv_client** out,
                                                  ringkv_error** error);
/* Ends the client's network thread and frees it; NULL is a no-op. Not inside a callback. */
RINGKV_C_EXPORT void ringkv_client_close(ringkv_client* client);

/* A missing key is not an error: RINGKV_OK with found == 0. `options` may be NULL. */
RINGKV_C_EXPORT ringkv_code ringkv_get(ringkv_client* client, const char* key, size_t key_length,
                                       const ringkv_request_options* options, ringkv_get_result** out,
                                       ringkv_error** error);
/* Writes `value`, replacing the versions `context` covers (a get's context; NULL/0: a blind
 * write, which becomes a sibling of what is there). `out` may be NULL. */
RINGKV_C_EXPORT ringkv_code ringkv_put(ringkv_client* client, const char* key, size_t key_length, const char* value,
                                       size_t value_length, const uint8_t* context, size_t context_length,
                                       const ringkv_request_options* options, ringkv_put_result** out,
                                       ringkv_error** error);
/* Writes a delete that supersedes the versions `context` covers. `out` may be NULL. */
RINGKV_C_EXPORT ringkv_code ringkv_delete(ringkv_client* client, const char* key, size_t key_length,
                                          const uint8_t* context, size_t context_length,
                                          const ringkv_request_options* options, ringkv_put_result** out,
                                          ringkv_error** error);
/* Creates `key` unless a read at the request's level finds a live value (RINGKV_EXISTS,
 * nothing written). Not linearizable (docs/sdk.md, "Read-modify-write"). */
RINGKV_C_EXPORT ringkv_code ringkv_put_if_absent(ringkv_client* client, const char* key, size_t key_length,
                                                 const char* value, size_t value_length,
                                                 const ringkv_request_options* options, ringkv_put_result** out,
                                                 ringkv_error** error);

/* Async forms. The callback runs once, on the client's network thread (see "Threads"
 * above), with the code, the error (NULL when OK; borrowed: valid only during the call) and
 * the result (NULL unless OK; owned by the callback, which frees it). Bad input calls back
 * at once, on the calling thread, with RINGKV_INVALID_ARGUMENT. `user` is passed through.
 * A NULL `done` has nowhere to report to: the call then does nothing. */
typedef void (*ringkv_get_callback)(void* user, ringkv_code code, const ringkv_error* error, ringkv_get_result* result);
typedef void (*ringkv_put_callback)(void* user, ringkv_code code, const ringkv_error* error, ringkv_put_result* result);
RINGKV_C_EXPORT void ringkv_get_async(ringkv_client* client, const char* key, size_t key_length,
                                      const ringkv_request_options* options, ringkv_get_callback done, void* user);
RINGKV_C_EXPORT void ringkv_put_async(ringkv_client* client, const char* key, size_t key_length, const char* value,
                                      size_t value_length, const uint8_t* context, size_t context_length,
                                      const ringkv_request_options* options, ringkv_put_callback done, void* user);
RINGKV_C_EXPORT void ringkv_delete_async(ringkv_client* client, const char* key, size_t key_length,
                                         const uint8_t* context, size_t context_length,
                                         const ringkv_request_options* options, ringkv_put_callback done, void* user);

/* ---- namespaces (ringkv/namespace.h) ---- */
/* Creates a namespace with N/W/R and a default TTL in seconds (0: none); conflict 0 keeps
 * siblings, 1 is last-writer-wins. INVALID_ARGUMENT for a bad name or settings or a name in
 * use. It reaches the other nodes by gossip within a few rounds. */
RINGKV_C_EXPORT ringkv_code ringkv_create_namespace(ringkv_client* client, const char* name, int n, int w, int r,
                                                    int conflict, uint64_t default_ttl_s, ringkv_error** error);
/* Fetches the ring (members and namespaces) from a node now, instead of at the next periodic
 * refresh: a namespace created through another client is usable after it. */
RINGKV_C_EXPORT ringkv_code ringkv_refresh_ring(ringkv_client* client, ringkv_error** error);
RINGKV_C_EXPORT ringkv_code ringkv_drop_namespace(ringkv_client* client, const char* name, ringkv_error** error);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RINGKV_RINGKV_H_ */
