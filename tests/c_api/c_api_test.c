/* The C ABI used from C (compiled as C99 with -pedantic: proves include/ringkv/ringkv.h is
 * C-clean). Run alone it checks what needs no cluster: versions, code names, bad input (NULL
 * handles, an unknown level, an empty key: RINGKV_INVALID_ARGUMENT with a message) and a
 * connect to nothing (RINGKV_UNAVAILABLE). Given seeds (`c_api_c_test HOST:PORT,...`,
 * tests/cluster/c_api_test.cc does this against a local cluster) it also writes two
 * siblings, reads them with their context, resolves them with it and deletes the key.
 * Prints "c api ok" and exits 0 when every check passed; otherwise names the first failure. */
#include <ringkv/ringkv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void Fail(const char* what, int line) {
  fprintf(stderr, "c_api_test.c:%d: check failed: %s\n", line, what);
  exit(1);
}
#define CHECK(cond)                     \
  do {                                  \
    if (!(cond)) Fail(#cond, __LINE__); \
  } while (0)

/* The call failed with `code` and an error whose message contains `text`; frees it. */
static void ExpectError(ringkv_code got, ringkv_error* error, ringkv_code code, const char* text, int line) {
  if (got != code || error == NULL || ringkv_error_code(error) != code) {
    fprintf(stderr, "c_api_test.c:%d: expected %s, got %s (%s)\n", line, ringkv_code_name(code), ringkv_code_name(got),
            error != NULL ? ringkv_error_message(error) : "no error object");
    exit(1);
  }
  if (strstr(ringkv_error_message(error), text) == NULL) {
    fprintf(stderr, "c_api_test.c:%d: message '%s' lacks '%s'\n", line, ringkv_error_message(error), text);
    exit(1);
  }
  ringkv_error_free(error);
}
#define EXPECT_ERROR(call, code, text)         \
  do {                                         \
    ringkv_error* e_ = NULL;                   \
    ringkv_code c_ = call;                     \
    ExpectError(c_, e_, code, text, __LINE__); \
  } while (0)

static void CheckWithoutCluster(void) {
  ringkv_options* options = ringkv_options_new();
  ringkv_request_options* request = ringkv_request_options_new();
  ringkv_client* client = NULL;
  ringkv_get_result* got = NULL;
  CHECK(ringkv_abi_version() == RINGKV_C_ABI_VERSION);
  CHECK(strcmp(ringkv_code_name(RINGKV_QUORUM_NOT_REACHED), "QuorumNotReached") == 0);
  CHECK(strcmp(ringkv_code_name(99), "Unknown") == 0);
  CHECK(options != NULL && request != NULL);

  EXPECT_ERROR(ringkv_options_set_seeds(options, "", &e_), RINGKV_INVALID_ARGUMENT, "no seed");
  EXPECT_ERROR(ringkv_options_set_seeds(NULL, "127.0.0.1:1", &e_), RINGKV_INVALID_ARGUMENT, "options is NULL");
  EXPECT_ERROR(ringkv_options_set_nwr(options, 3, 4, 2, &e_), RINGKV_INVALID_ARGUMENT, "bad N/W/R");
  EXPECT_ERROR(ringkv_request_options_set_level(request, 42, &e_), RINGKV_INVALID_ARGUMENT,
               "unknown consistency level 42");
  EXPECT_ERROR(ringkv_request_options_set_level(request, 0, &e_), RINGKV_INVALID_ARGUMENT, "unknown consistency");
  EXPECT_ERROR(ringkv_request_options_set_ttl_ms(request, 0, &e_), RINGKV_INVALID_ARGUMENT, "");
  CHECK(ringkv_request_options_set_level(request, RINGKV_LEVEL_ALL, NULL) == RINGKV_OK);
  /* An error is optional: the code alone comes back when `error` is NULL. */
  CHECK(ringkv_request_options_set_level(request, 7, NULL) == RINGKV_INVALID_ARGUMENT);

  EXPECT_ERROR(ringkv_client_connect(NULL, &client, &e_), RINGKV_INVALID_ARGUMENT, "options is NULL");
  CHECK(client == NULL);
  EXPECT_ERROR(ringkv_get(NULL, "k", 1, NULL, &got, &e_), RINGKV_INVALID_ARGUMENT, "client is NULL");
  CHECK(got == NULL);
  EXPECT_ERROR(ringkv_put(NULL, "k", 1, "v", 1, NULL, 0, NULL, NULL, &e_), RINGKV_INVALID_ARGUMENT, "client is NULL");

  /* Nothing listens on port 1: connect fails with UNAVAILABLE and sets no client. */
  CHECK(ringkv_options_set_seeds(options, "127.0.0.1:1", NULL) == RINGKV_OK);
  CHECK(ringkv_options_set_timeout_ms(options, 500, NULL) == RINGKV_OK);
  EXPECT_ERROR(ringkv_client_connect(options, &client, &e_), RINGKV_UNAVAILABLE, "127.0.0.1:1");
  CHECK(client == NULL);

  ringkv_client_close(NULL);
  ringkv_get_result_free(NULL);
  ringkv_put_result_free(NULL);
  ringkv_error_free(NULL);
  ringkv_request_options_free(request);
  ringkv_options_free(options);
}

/* The values of `got`, sorted, joined with ',' into `out`. */
static void Values(const ringkv_get_result* got, char* out, size_t size) {
  size_t count = ringkv_get_result_value_count(got), i, j;
  const char* data[8];
  size_t length[8];
  CHECK(count <= 8);
  for (i = 0; i < count; ++i) CHECK(ringkv_get_result_value(got, i, &data[i], &length[i]));
  for (i = 0; i < count; ++i) {
    for (j = i + 1; j < count; ++j) {
      if (length[j] < length[i] || (length[j] == length[i] && memcmp(data[j], data[i], length[i]) < 0)) {
        const char* d = data[i];
        size_t l = length[i];
        data[i] = data[j], length[i] = length[j], data[j] = d, length[j] = l;
      }
    }
  }
  out[0] = '\0';
  for (i = 0; i < count; ++i) {
    CHECK(strlen(out) + length[i] + 2 < size);
    if (i > 0) strcat(out, ",");
    strncat(out, data[i], length[i]);
  }
}

static void CheckOnCluster(const char* seeds) {
  ringkv_options* options = ringkv_options_new();
  ringkv_client* client = NULL;
  ringkv_get_result* got = NULL;
  ringkv_put_result* put = NULL;
  ringkv_error* error = NULL;
  const uint8_t* context = NULL;
  size_t context_length = 0;
  uint8_t* saved = NULL;
  char values[256];
  const char key[] = "c\0key"; /* a key with a NUL inside: keys are bytes */

  CHECK(ringkv_options_set_seeds(options, seeds, NULL) == RINGKV_OK);
  if (ringkv_client_connect(options, &client, &error) != RINGKV_OK) {
    fprintf(stderr, "connect: %s\n", ringkv_error_message(error));
    exit(1);
  }
  ringkv_options_free(options);

  EXPECT_ERROR(ringkv_put(client, "", 0, "v", 1, NULL, 0, NULL, NULL, &e_), RINGKV_INVALID_ARGUMENT, "key is empty");
  EXPECT_ERROR(ringkv_put(client, NULL, 0, "v", 1, NULL, 0, NULL, NULL, &e_), RINGKV_INVALID_ARGUMENT, "key is NULL");

  /* Two blind writes are concurrent: a read returns both, and one context covering both. */
  CHECK(ringkv_put(client, key, sizeof key - 1, "ada", 3, NULL, 0, NULL, NULL, NULL) == RINGKV_OK);
  CHECK(ringkv_put(client, key, sizeof key - 1, "grace", 5, NULL, 0, NULL, &put, NULL) == RINGKV_OK);
  CHECK(put != NULL && ringkv_put_result_acks(put) >= 2);
  ringkv_put_result_free(put);
  CHECK(ringkv_get(client, key, sizeof key - 1, NULL, &got, NULL) == RINGKV_OK);
  CHECK(ringkv_get_result_found(got));
  Values(got, values, sizeof values);
  CHECK(strcmp(values, "ada,grace") == 0);
  CHECK(ringkv_get_result_sibling_count(got) == 2);
  ringkv_get_result_context(got, &context, &context_length);
  CHECK(context_length > 0);
  saved = (uint8_t*)malloc(context_length); /* a context outlives its result once copied */
  memcpy(saved, context, context_length);
  ringkv_get_result_free(got);

  /* A put with that context replaces both. */
  CHECK(ringkv_put(client, key, sizeof key - 1, "merged", 6, saved, context_length, NULL, NULL, NULL) == RINGKV_OK);
  free(saved);
  CHECK(ringkv_get(client, key, sizeof key - 1, NULL, &got, NULL) == RINGKV_OK);
  Values(got, values, sizeof values);
  CHECK(strcmp(values, "merged") == 0);
  ringkv_get_result_context(got, &context, &context_length);
  CHECK(ringkv_delete(client, key, sizeof key - 1, context, context_length, NULL, NULL, NULL) == RINGKV_OK);
  ringkv_get_result_free(got);
  CHECK(ringkv_get(client, key, sizeof key - 1, NULL, &got, NULL) == RINGKV_OK);
  CHECK(!ringkv_get_result_found(got) && ringkv_get_result_value_count(got) == 0);
  ringkv_get_result_free(got);
  ringkv_client_close(client);
}

int main(int argc, char** argv) {
  CheckWithoutCluster();
  if (argc > 1) CheckOnCluster(argv[1]);
  printf("c api ok\n");
  return 0;
}
