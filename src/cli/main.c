/*
 * main.c — entry point of the kiln command: arguments, database setup, choice of input.
 *
 * Usage: kiln [OPTIONS] [FILE...]   (see usage_text below, printed by --help)
 * Flow: parse the arguments into a list of jobs (each -c string and each script FILE, in
 * command-line order) and options; open a database with kiln_open(); apply --threads and
 * --memory-limit through kiln_set_option(); then
 *   - jobs given:                run each through cli_run_sql(), stop at the first error;
 *   - no jobs, stdin a terminal: the interactive shell (shell.c);
 *   - no jobs, stdin not a tty:  read all of standard input and run it as a script.
 * Output format: --format, else table when stdout is a terminal and csv otherwise (so that
 * `kiln -c ... > out.csv` writes a file other tools can read).
 * Exit status: 0 on success, 1 on any error (usage, I/O, SQL) after "kiln: error: ..." on
 * stderr. The command uses only the public API, include/kiln.h.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage_text[] =
    "Usage: kiln [OPTIONS] [FILE...]\n"
    "Run SQL with the kiln batch engine.\n"
    "\n"
    "  kiln -c \"SQL; SQL\"     run statements and print their results\n"
    "  kiln job.sql           run a script file (\"-\" reads standard input)\n"
    "  kiln < job.sql         run SQL from standard input\n"
    "  kiln                   interactive shell when standard input is a terminal\n"
    "\n"
    "Options:\n"
    "  -c, --command SQL      run SQL (may be repeated; runs in order with FILEs)\n"
    "  --format FORMAT        output format: table, csv, json, markdown\n"
    "                         (default: table on a terminal, csv otherwise)\n"
    "  --threads N            number of worker threads\n"
    "  --memory-limit SIZE    memory budget, e.g. 4GB, 512MB\n"
    "  --timer                print the run time of each statement on stderr\n"
    "  -h, --help             show this help and exit\n"
    "  -v, --version          print the version and exit\n"
    "\n"
    "Every statement that returns rows has its result printed (not the row counts of\n"
    "INSERT, UPDATE, DELETE, COPY). The first error stops a script: the message goes to\n"
    "stderr as \"kiln: error: ...\" and the exit status is 1.\n"
    "Shell and script dot commands: .help .quit .exit .timer on|off .mode FORMAT\n";

typedef struct cli_job {
    bool is_file; /* text is a path; otherwise SQL */
    const char *text;
} cli_job;

static void usage_error(const char *fmt, const char *arg) {
    fputs("kiln: error: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'kiln --help' for more information.\n", stderr);
}

/* Read a whole stream into a NUL-terminated buffer; NULL on error (errno set). */
static char *read_stream(FILE *f) {
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    for (;;) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (len + 1 < cap) {
            if (ferror(f)) {
                free(buf);
                return NULL;
            }
            if (feof(f)) break;
            continue;
        }
        char *grown = realloc(buf, cap * 2);
        if (!grown) {
            free(buf);
            return NULL;
        }
        buf = grown;
        cap *= 2;
    }
    buf[len] = '\0';
    return buf;
}

static int run_file(cli_state *st, const char *path) {
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        cli_errorf(st, "cannot open '%s': %s", path, strerror(errno));
        return 1;
    }
    char *text = read_stream(f);
    int saved_errno = errno;
    if (!is_stdin) fclose(f);
    if (!text) {
        cli_errorf(st, "cannot read '%s': %s", is_stdin ? "standard input" : path, strerror(saved_errno));
        return 1;
    }
    int rc = cli_run_sql(st, text);
    free(text);
    return rc;
}

/* Match "--name VALUE" or "--name=VALUE"; advances *i past a separate value. */
static bool option_value(int argc, char **argv, int *i, const char *name, const char **value) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return false;
    if (a[n] == '=') {
        *value = a + n + 1;
        return true;
    }
    if (a[n] != '\0') return false;
    if (*i + 1 >= argc) {
        usage_error("option '%s' needs a value", name);
        exit(1);
    }
    *value = argv[++*i];
    return true;
}

/*
 * kiln touches a lot of fresh memory (tables, hash tables, sort buffers); on virtual machines a
 * page fault per 4 KiB page costs more than the work on it. glibc's malloc backs its memory with
 * transparent huge pages when started with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (read by the
 * dynamic loader, so it must be in the environment at exec): the command re-executes itself
 * once with it set. KILN_NO_HUGEPAGES=1 turns this off; if the exec fails, kiln just goes on.
 */
static void cli_enable_huge_pages(char **argv) {
    if (getenv("KILN_NO_HUGEPAGES")) return;
    const char *t = getenv("GLIBC_TUNABLES");
    if (t && strstr(t, "glibc.malloc.hugetlb")) return;
    char buf[2048];
    int n = snprintf(buf, sizeof buf, "%s%sglibc.malloc.hugetlb=1", t ? t : "", t && *t ? ":" : "");
    if (n < 0 || (size_t)n >= sizeof buf) return;
    if (setenv("GLIBC_TUNABLES", buf, 1) != 0) return;
    execv("/proc/self/exe", argv);
}

/*
 * One malloc pool for all threads, and freed memory kept rather than returned to the kernel:
 * per-thread pools grow with thousands of mprotect calls, and memory handed back is zeroed
 * again by the kernel when it is touched next. With both, a 10-million-group GROUP BY on two
 * threads took 3.2 s instead of 1.8 s. (kiln's hot paths allocate per chunk, not per row, so
 * one pool is not contended.)
 */
static void cli_tune_malloc(void) {
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

int main(int argc, char **argv) {
    cli_enable_huge_pages(argv);
    cli_tune_malloc();
    cli_state st = {.out = stdout, .format = isatty(STDOUT_FILENO) ? CLI_FORMAT_TABLE : CLI_FORMAT_CSV};
    const char *threads = NULL, *memory_limit = NULL, *format = NULL;
    cli_job *jobs = calloc((size_t)argc + 1, sizeof *jobs);
    size_t n_jobs = 0;
    bool options_done = false;
    if (!jobs) {
        fputs("kiln: error: out of memory\n", stderr);
        return 1;
    }

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *value = NULL;
        if (options_done || a[0] != '-' || strcmp(a, "-") == 0) {
            jobs[n_jobs++] = (cli_job){.is_file = true, .text = a};
        } else if (strcmp(a, "--") == 0) {
            options_done = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            free(jobs);
            return 0;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
            printf("kiln %s\n", kiln_version());
            free(jobs);
            return 0;
        } else if (strcmp(a, "-c") == 0 || option_value(argc, argv, &i, "--command", &value)) {
            if (!value) {
                if (i + 1 >= argc) {
                    usage_error("option '%s' needs a value", a);
                    free(jobs);
                    return 1;
                }
                value = argv[++i];
            }
            jobs[n_jobs++] = (cli_job){.is_file = false, .text = value};
        } else if (option_value(argc, argv, &i, "--format", &value)) {
            format = value;
        } else if (option_value(argc, argv, &i, "--threads", &value)) {
            threads = value;
        } else if (option_value(argc, argv, &i, "--memory-limit", &value)) {
            memory_limit = value;
        } else if (strcmp(a, "--timer") == 0) {
            st.timer = true;
        } else {
            usage_error("unknown option '%s'", a);
            free(jobs);
            return 1;
        }
    }
    if (format && !cli_format_parse(format, &st.format)) {
        usage_error("unknown format '%s' (use table, csv, json or markdown)", format);
        free(jobs);
        return 1;
    }
    if (!isatty(STDOUT_FILENO)) setvbuf(stdout, NULL, _IOFBF, 1 << 16);

    kiln_error err;
    kiln_error_clear(&err);
    if (kiln_open(&st.db, &err) != KILN_OK) {
        cli_errorf(&st, "%s", err.message);
        free(jobs);
        return 1;
    }
    int status = 0;
    const char *names[2] = {"threads", "memory_limit"};
    const char *values[2] = {threads, memory_limit};
    for (int k = 0; k < 2 && status == 0; k++) {
        if (values[k] && kiln_set_option(st.db, names[k], values[k], &err) != KILN_OK) {
            cli_errorf(&st, "%s", err.message[0] ? err.message : "invalid option value");
            status = 1;
        }
    }

    if (status == 0) {
        if (n_jobs > 0) {
            for (size_t j = 0; j < n_jobs; j++) {
                int rc = jobs[j].is_file ? run_file(&st, jobs[j].text) : cli_run_sql(&st, jobs[j].text);
                if (rc == 2) break; /* .quit */
                if (rc != 0) {
                    status = 1;
                    break;
                }
            }
        } else if (isatty(STDIN_FILENO)) {
            st.interactive = true;
            status = cli_shell(&st);
        } else {
            int rc = run_file(&st, "-");
            status = rc == 1 ? 1 : 0;
        }
    }

    kiln_close(st.db);
    free(jobs);
    if (fflush(stdout) != 0) {
        fputs("kiln: error: cannot write output\n", stderr);
        status = 1;
    }
    return status;
}
