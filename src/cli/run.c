/*
 * run.c — run SQL text statement by statement, print each result, time it, report errors.
 *
 * API: cli_run_sql(st, text) for -c strings, script files, standard input and each complete
 * statement of the shell; cli_dot_command(st, line) for ".help", ".timer", ".mode", ".quit".
 *
 * Flow: skip blanks and comments; a '.' at the start of a statement begins a dot command that
 * runs to the end of its line; otherwise kiln_statement_length() (the engine's own splitter, so
 * quotes and comments are treated exactly as the parser treats them) cuts the first statement,
 * or the whole rest when the last statement lacks its ';'. Each statement goes to kiln_exec()
 * on its own, because kiln_exec() returns only the last statement's result and the command
 * prints every result, like DuckDB's shell: a statement whose result has columns is printed,
 * except the row-count results of INSERT/UPDATE/DELETE/COPY (DuckDB prints those neither).
 * Errors: "kiln: error: " + kiln_error_render() (message, SQL line, caret) on stderr, rendered
 * against the single statement that failed, so the caret offset matches the text it came from.
 * In batch mode the first error stops the run (a job must not go on after a failed step).
 * Timer: wall time of execution plus printing, "Run Time: 0.123 s" on stderr.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"

void cli_errorf(cli_state *st, const char *fmt, ...) {
    fflush(st->out);
    va_list ap;
    va_start(ap, fmt);
    fputs("kiln: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
}

/* Skip whitespace and complete SQL comments ("-- ...\n", slash-star ... star-slash). */
static const char *skip_blank(const char *p) {
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (p[0] == '-' && p[1] == '-') {
            const char *eol = strchr(p, '\n');
            p = eol ? eol + 1 : p + strlen(p);
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            if (!end) return p; /* unterminated: let the parser report it */
            p = end + 2;
        } else {
            return p;
        }
    }
}

/* True when the statement is only blanks, comments and semicolons. */
bool cli_sql_is_blank(const char *p) {
    for (;;) {
        p = skip_blank(p);
        if (*p != ';') return *p == '\0';
        p++;
    }
}

/* INSERT/UPDATE/DELETE/COPY return a row count that the command does not print. */
static bool prints_result(const char *stmt) {
    static const char *const quiet[] = {"INSERT", "UPDATE", "DELETE", "COPY"};
    const char *p = skip_blank(stmt);
    size_t n = 0;
    while (isalpha((unsigned char)p[n])) n++;
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++)
        if (n == strlen(quiet[i]) && strncasecmp(p, quiet[i], n) == 0) return false;
    return true;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void report_error(cli_state *st, const kiln_error *err, int rc, const char *stmt) {
    if (err->code == KILN_OK) {
        cli_errorf(st, "statement failed (code %d)", rc);
        return;
    }
    char small[4096];
    size_t need = kiln_error_render(err, stmt, small, sizeof small);
    if (need < sizeof small) {
        cli_errorf(st, "%s", small);
        return;
    }
    char *big = malloc(need + 1);
    if (!big) {
        cli_errorf(st, "%s", err->message);
        return;
    }
    kiln_error_render(err, stmt, big, need + 1);
    cli_errorf(st, "%s", big);
    free(big);
}

static int run_statement(cli_state *st, const char *stmt) {
    kiln_error err;
    kiln_error_clear(&err);
    kiln_result *res = NULL;
    double t0 = now_seconds();
    int rc = kiln_exec(st->db, stmt, &res, &err);
    if (rc != KILN_OK) {
        kiln_result_free(res);
        report_error(st, &err, rc, stmt);
        return 1;
    }
    if (prints_result(stmt)) cli_print_result(st->out, res, st->format);
    kiln_result_free(res);
    if (st->timer) {
        fflush(st->out);
        fprintf(stderr, "Run Time: %.3f s\n", now_seconds() - t0);
        fflush(stderr);
    }
    if (st->interactive) fflush(st->out);
    return 0;
}

int cli_run_sql(cli_state *st, const char *text) {
    int status = 0;
    const char *p = text;
    for (;;) {
        p = skip_blank(p);
        if (*p == '\0') break;
        size_t n;
        if (*p == '.') {
            n = strcspn(p, "\n");
        } else {
            n = kiln_statement_length(p);
            size_t rest = strlen(p);
            if (n == 0 || n > rest) n = rest;
        }
        char *piece = malloc(n + 1);
        if (!piece) {
            cli_errorf(st, "out of memory");
            return 1;
        }
        memcpy(piece, p, n);
        piece[n] = '\0';
        p += n;
        int rc = 0;
        if (piece[0] == '.') rc = cli_dot_command(st, piece);
        else if (!cli_sql_is_blank(piece)) rc = run_statement(st, piece);
        free(piece);
        if (rc == 2) return 2;
        if (rc != 0) {
            status = 1;
            if (!st->interactive) break;
        }
    }
    return status;
}

static const char dot_help[] =
    ".exit                  Exit the shell (also .quit or Ctrl-D)\n"
    ".help                  Show this message\n"
    ".mode [MODE]           Set (or show) the output format: table, csv, json, markdown\n"
    ".quit                  Exit the shell\n"
    ".timer on|off          Print the run time of each statement on stderr\n";

int cli_dot_command(cli_state *st, const char *line) {
    char cmd[32] = "", arg[64] = "", extra[8] = "";
    int n = sscanf(line, "%31s %63s %7s", cmd, arg, extra);
    if (n >= 3) {
        cli_errorf(st, "too many arguments to %s", cmd);
        return 1;
    }
    if (strcmp(cmd, ".quit") == 0 || strcmp(cmd, ".exit") == 0) return 2;
    if (strcmp(cmd, ".help") == 0) {
        fputs(dot_help, st->out);
        fflush(st->out);
        return 0;
    }
    if (strcmp(cmd, ".timer") == 0) {
        if (strcmp(arg, "on") == 0) st->timer = true;
        else if (strcmp(arg, "off") == 0) st->timer = false;
        else {
            cli_errorf(st, "usage: .timer on|off");
            return 1;
        }
        return 0;
    }
    if (strcmp(cmd, ".mode") == 0) {
        if (n < 2) {
            fprintf(st->out, "%s\n", cli_format_name(st->format));
            fflush(st->out);
            return 0;
        }
        if (!cli_format_parse(arg, &st->format)) {
            cli_errorf(st, "unknown mode '%s' (use table, csv, json or markdown)", arg);
            return 1;
        }
        return 0;
    }
    cli_errorf(st, "unknown command '%s'; enter .help for the list", cmd);
    return 1;
}
