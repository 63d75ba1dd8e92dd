/* gss_floor.c - the C floor of the benchmark: the same GSSAPI calls as the Python
 * libraries make, called directly, with no Python and no bindings in between.
 *
 *   cc -O2 -o gss_floor bench/gss_floor.c $(krb5-config --cflags --libs gssapi) -lpthread
 *
 *   gss_floor hs SECONDS THREADS [min|api|cached|lean]
 *       Full in-process handshakes for SECONDS in each of THREADS threads:
 *       client gss_init_sec_context -> server gss_accept_sec_context -> client
 *       gss_init_sec_context on the mutual-authentication reply, then release.
 *       min (default): the minimum: target name imported once per thread, default
 *           credentials (GSS_C_NO_CREDENTIAL) on both sides.
 *       api: what the pykerberos-style API does on every handshake: import the target
 *           name, import the service name and acquire the acceptor credential from the
 *           keytab, and once each side is complete inquire the context and display both
 *           names (the user name the API reports).
 *       cached: api, but the acceptor credential is acquired once (per thread) and reused.
 *       lean: cached, and only the client's name is looked up: the server displays the
 *           source name that gss_accept_sec_context returns (no gss_inquire_context), the
 *           client inquires only its source name. (cached and lean are what-ifs for
 *           docs/performance.md: how fast the API's sequence could get.)
 *   gss_floor calls SECONDS [min|api|cached|lean]
 *       As hs with one thread, timing each step; prints "CALLS name=microseconds ..."
 *       (mean per handshake) before the RESULT line. For bench/profile.py.
 *   gss_floor wrap SECONDS SIZE [cc|cs]
 *       Round trips of one SIZE-byte message, encrypted (conf_req=1), on a context
 *       established with GSS_C_MUTUAL_FLAG only (no replay or sequence detection):
 *       cc (default): client gss_wrap of the message + client gss_unwrap of a message
 *           the server wrapped once before the loop;
 *       cs: client gss_wrap + server gss_unwrap of that token.
 *
 * The environment selects the realm (KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME, ...). One
 * warm-up handshake gets the service ticket (and, with an empty MEMORY ccache and
 * KRB5_CLIENT_KTNAME, the TGT) into the ccache; KRB5_CLIENT_KTNAME is then unset, since
 * MIT re-reads the client keytab on every gss_init_sec_context while it is set.
 *
 * Output: one line "RESULT n=COUNT wall=SECONDS cpu=PROCESS_CPU_SECONDS" on stdout.
 */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char TARGET[] = "HTTP@localhost";
static const OM_uint32 HS_FLAGS =
    GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;
static const OM_uint32 WRAP_FLAGS = GSS_C_MUTUAL_FLAG;

static double seconds;
enum { SEQ_MIN, SEQ_API, SEQ_CACHED, SEQ_LEAN };
static int api_sequence;

static int sequence_of(const char *variant) {
    if (!strcmp(variant, "api")) return SEQ_API;
    if (!strcmp(variant, "cached")) return SEQ_CACHED;
    if (!strcmp(variant, "lean")) return SEQ_LEAN;
    return SEQ_MIN;
}

/* Per-step timing for the calls mode: mark(i) adds the time since the last mark to
 * spent[i]. Off (one branch) otherwise. */
enum { T_NAMES, T_CRED, T_INIT1, T_ACCEPT, T_SNAMES, T_INIT2, T_CNAMES, T_RELEASE, T_COUNT };
static const char *const step_names[T_COUNT] = {
    "import_target", "acquire_acceptor_cred", "init_sec_context_1", "accept_sec_context",
    "server_names", "init_sec_context_2", "client_names", "release"};
static int timing;
static double spent[T_COUNT], last_mark;

static double clock_of(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static double wall(void) { return clock_of(CLOCK_MONOTONIC); }
static double cpu(void) { return clock_of(CLOCK_PROCESS_CPUTIME_ID); }

static void mark(int step) {
    if (!timing) return;
    double now = wall();
    spent[step] += now - last_mark;
    last_mark = now;
}

static void fail(const char *call, OM_uint32 major, OM_uint32 minor) {
    OM_uint32 ignored, more = 0;
    gss_buffer_desc text;
    fprintf(stderr, "gss_floor: %s failed (major %#x, minor %u)\n", call, major, minor);
    do {
        gss_display_status(&ignored, major, GSS_C_GSS_CODE, GSS_C_NO_OID, &more, &text);
        fprintf(stderr, "  %.*s\n", (int)text.length, (const char *)text.value);
        gss_release_buffer(&ignored, &text);
    } while (more);
    do {
        gss_display_status(&ignored, minor, GSS_C_MECH_CODE, GSS_C_NO_OID, &more, &text);
        fprintf(stderr, "  %.*s\n", (int)text.length, (const char *)text.value);
        gss_release_buffer(&ignored, &text);
    } while (more);
    exit(1);
}

#define CHECK(call, major, minor) \
    do { if (GSS_ERROR(major)) fail(call, major, minor); } while (0)

static gss_name_t import_service(void) {
    OM_uint32 major, minor;
    gss_name_t name;
    gss_buffer_desc text = {sizeof TARGET - 1, (void *)TARGET};
    major = gss_import_name(&minor, &text, GSS_C_NT_HOSTBASED_SERVICE, &name);
    CHECK("gss_import_name", major, minor);
    return name;
}

static void display_one(gss_name_t name) {
    OM_uint32 major, minor, ignored;
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    major = gss_display_name(&minor, name, &text, NULL);
    CHECK("gss_display_name", major, minor);
    gss_release_buffer(&ignored, &text);
}

/* The API sequence's user-name lookup: inquire the context, display both names (lean:
 * the source name only). */
static void display_names(gss_ctx_id_t ctx) {
    OM_uint32 major, minor, ignored;
    gss_name_t source = GSS_C_NO_NAME, target = GSS_C_NO_NAME;
    int both = api_sequence != SEQ_LEAN;
    major = gss_inquire_context(&minor, ctx, &source, both ? &target : NULL, NULL, NULL, NULL,
                                NULL, NULL);
    CHECK("gss_inquire_context", major, minor);
    display_one(source);
    if (both) display_one(target);
    gss_release_name(&ignored, &source);
    if (both) gss_release_name(&ignored, &target);
}

/* One handshake on target name `target`; leaves the established contexts in *client
 * and *server. With `api_sequence`, the per-handshake work of the kerberos API too. */
static void handshake(gss_name_t target, OM_uint32 flags, gss_ctx_id_t *client,
                      gss_ctx_id_t *server) {
    OM_uint32 major, minor, ignored;
    gss_buffer_desc t1 = GSS_C_EMPTY_BUFFER, t2 = GSS_C_EMPTY_BUFFER, t3 = GSS_C_EMPTY_BUFFER;
    gss_cred_id_t acceptor_cred = GSS_C_NO_CREDENTIAL;
    static __thread gss_cred_id_t cached_cred = GSS_C_NO_CREDENTIAL;
    gss_name_t own_target = GSS_C_NO_NAME, source = GSS_C_NO_NAME;
    *client = *server = GSS_C_NO_CONTEXT;

    if (timing) last_mark = wall();
    if (api_sequence) {
        own_target = import_service();
        target = own_target;
        mark(T_NAMES);
        if (api_sequence == SEQ_API || cached_cred == GSS_C_NO_CREDENTIAL) {
            gss_name_t service = import_service();
            major = gss_acquire_cred(&minor, service, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
                                     GSS_C_ACCEPT, &acceptor_cred, NULL, NULL);
            CHECK("gss_acquire_cred", major, minor);
            gss_release_name(&ignored, &service);
            if (api_sequence != SEQ_API) cached_cred = acceptor_cred;
        }
        if (api_sequence != SEQ_API) acceptor_cred = cached_cred;
        mark(T_CRED);
    }
    major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, client, target,
                                 (gss_OID)gss_mech_krb5, flags, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                 GSS_C_NO_BUFFER, NULL, &t1, NULL, NULL);
    CHECK("gss_init_sec_context", major, minor);
    mark(T_INIT1);
    major = gss_accept_sec_context(&minor, server, acceptor_cred, &t1, GSS_C_NO_CHANNEL_BINDINGS,
                                   api_sequence == SEQ_LEAN ? &source : NULL, NULL, &t2, NULL,
                                   NULL, NULL);
    CHECK("gss_accept_sec_context", major, minor);
    if (major != GSS_S_COMPLETE) {
        fprintf(stderr, "gss_floor: the acceptor wants another leg\n");
        exit(1);
    }
    mark(T_ACCEPT);
    if (api_sequence == SEQ_LEAN) {
        display_one(source);
        gss_release_name(&ignored, &source);
    } else if (api_sequence) {
        display_names(*server);
    }
    mark(T_SNAMES);
    major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, client, target,
                                 (gss_OID)gss_mech_krb5, flags, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                 &t2, NULL, &t3, NULL, NULL);
    CHECK("gss_init_sec_context (mutual reply)", major, minor);
    if (major != GSS_S_COMPLETE) {
        fprintf(stderr, "gss_floor: the initiator is not complete after the reply\n");
        exit(1);
    }
    mark(T_INIT2);
    if (api_sequence) display_names(*client);
    mark(T_CNAMES);
    gss_release_buffer(&ignored, &t1);
    gss_release_buffer(&ignored, &t2);
    gss_release_buffer(&ignored, &t3);
    if (acceptor_cred != GSS_C_NO_CREDENTIAL && api_sequence == SEQ_API)
        gss_release_cred(&ignored, &acceptor_cred);
    if (own_target != GSS_C_NO_NAME) gss_release_name(&ignored, &own_target);
}

struct worker {
    pthread_t thread;
    pthread_barrier_t *start;
    long count;
};

static void *handshakes(void *arg) {
    struct worker *w = arg;
    OM_uint32 ignored;
    gss_name_t target = import_service();
    pthread_barrier_wait(w->start);
    double end = wall() + seconds;
    long n = 0;
    while (wall() < end) {
        gss_ctx_id_t client, server;
        handshake(target, HS_FLAGS, &client, &server);
        gss_delete_sec_context(&ignored, &client, GSS_C_NO_BUFFER);
        gss_delete_sec_context(&ignored, &server, GSS_C_NO_BUFFER);
        mark(T_RELEASE);
        n++;
    }
    gss_release_name(&ignored, &target);
    w->count = n;
    return NULL;
}

static void run_handshakes(int threads) {
    struct worker w[64];
    pthread_barrier_t start;
    if (threads < 1 || threads > 64) {
        fprintf(stderr, "gss_floor: THREADS must be 1..64\n");
        exit(2);
    }
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        w[i].start = &start;
        w[i].count = 0;
        pthread_create(&w[i].thread, NULL, handshakes, &w[i]);
    }
    pthread_barrier_wait(&start);
    double t0 = wall(), c0 = cpu();
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].thread, NULL);
        total += w[i].count;
    }
    double dt = wall() - t0, dc = cpu() - c0;
    if (timing) {
        printf("CALLS");
        for (int i = 0; i < T_COUNT; i++) printf(" %s=%.1f", step_names[i], spent[i] / total * 1e6);
        printf("\n");
    }
    printf("RESULT n=%ld wall=%.6f cpu=%.6f\n", total, dt, dc);
}

static void run_wrap(size_t size, int server_unwraps) {
    OM_uint32 major, minor, ignored;
    gss_ctx_id_t client, server;
    gss_name_t target = import_service();
    handshake(target, WRAP_FLAGS, &client, &server);
    gss_release_name(&ignored, &target);

    char *data = malloc(size ? size : 1);
    unsigned long long x = 88172645463325252ULL; /* xorshift64: pseudo-random bytes */
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        data[i] = (char)(x >> 56);
    }
    gss_buffer_desc message = {size, data}, peer = GSS_C_EMPTY_BUFFER;
    int conf = 0;
    major = gss_wrap(&minor, server, 1, GSS_C_QOP_DEFAULT, &message, &conf, &peer);
    CHECK("gss_wrap (server)", major, minor);

    long n = 0;
    double t0 = wall(), c0 = cpu(), end = t0 + seconds;
    while (wall() < end) {
        gss_buffer_desc token = GSS_C_EMPTY_BUFFER, plain = GSS_C_EMPTY_BUFFER;
        major = gss_wrap(&minor, client, 1, GSS_C_QOP_DEFAULT, &message, &conf, &token);
        CHECK("gss_wrap", major, minor);
        if (server_unwraps)
            major = gss_unwrap(&minor, server, &token, &plain, &conf, NULL);
        else
            major = gss_unwrap(&minor, client, &peer, &plain, &conf, NULL);
        CHECK("gss_unwrap", major, minor);
        if (plain.length != size || !conf) {
            fprintf(stderr, "gss_floor: unwrap gave %zu bytes (conf %d)\n", plain.length, conf);
            exit(1);
        }
        gss_release_buffer(&ignored, &token);
        gss_release_buffer(&ignored, &plain);
        n++;
    }
    double dt = wall() - t0, dc = cpu() - c0;
    printf("RESULT n=%ld wall=%.6f cpu=%.6f\n", n, dt, dc);
    gss_release_buffer(&ignored, &peer);
    gss_delete_sec_context(&ignored, &client, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&ignored, &server, GSS_C_NO_BUFFER);
    free(data);
}

int main(int argc, char **argv) {
    int calls = argc >= 3 && !strcmp(argv[1], "calls");
    if (!calls && (argc < 4 || (strcmp(argv[1], "hs") && strcmp(argv[1], "wrap")))) {
        fprintf(stderr, "usage: gss_floor hs SECONDS THREADS [min|api|cached|lean]\n"
                        "       gss_floor calls SECONDS [min|api|cached|lean]\n"
                        "       gss_floor wrap SECONDS SIZE [cc|cs]\n");
        return 2;
    }
    seconds = atof(argv[2]);
    const char *variant = calls ? (argc > 3 ? argv[3] : "") : (argc > 4 ? argv[4] : "");

    /* warm-up: TGT (MEMORY ccache) and service ticket into the ccache */
    OM_uint32 ignored;
    gss_ctx_id_t client, server;
    gss_name_t target = import_service();
    handshake(target, HS_FLAGS, &client, &server);
    gss_delete_sec_context(&ignored, &client, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&ignored, &server, GSS_C_NO_BUFFER);
    gss_release_name(&ignored, &target);
    unsetenv("KRB5_CLIENT_KTNAME");

    if (calls) {
        api_sequence = sequence_of(variant);
        timing = 1;
        run_handshakes(1);
    } else if (!strcmp(argv[1], "hs")) {
        api_sequence = sequence_of(variant);
        run_handshakes(atoi(argv[3]));
    } else {
        run_wrap(strtoul(argv[3], NULL, 10), !strcmp(variant, "cs"));
    }
    fflush(stdout);
    return 0;
}
