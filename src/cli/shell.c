/*
 * shell.c — the interactive kiln shell, used when standard input is a terminal.
 *
 * API: cli_shell(st) returns the exit status (0; errors are printed and the shell goes on).
 * Flow: libedit's readline-compatible API reads a line with the prompt "kiln> ", or "  ...> "
 * while a statement is incomplete. Lines accumulate in a buffer; after each line the engine's
 * splitter kiln_statement_length() says how much of the buffer is complete statements, that
 * prefix runs through cli_run_sql() and is added to the history, and the rest stays for the
 * next line. A line starting with '.' while nothing is pending is a dot command. History lives
 * in ~/.kiln_history (at most HISTORY_MAX entries), written after each entry so a killed shell
 * keeps it. Ctrl-D ends the shell (a pending statement without ';' is run first).
 * Why the engine's splitter: a ';' inside a string or a comment must not end a statement, and
 * only the lexer knows that for sure.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <editline/readline.h>

#include "cli.h"

enum { HISTORY_MAX = 1000 };

static char *history_path(void) {
    const char *home = getenv("HOME");
    if (!home || !*home) return NULL;
    size_t n = strlen(home) + sizeof "/.kiln_history";
    char *path = malloc(n);
    if (path) snprintf(path, n, "%s/.kiln_history", home);
    return path;
}

/* Add an entry (newlines folded to spaces, trailing blanks cut) and save the history. */
static void remember(const char *text, const char *path) {
    char *entry = strdup(text);
    if (!entry) return;
    for (char *p = entry; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    size_t n = strlen(entry);
    while (n && isspace((unsigned char)entry[n - 1])) entry[--n] = '\0';
    if (n) {
        add_history(entry);
        if (path) write_history(path);
    }
    free(entry);
}

int cli_shell(cli_state *st) {
    char *path = history_path();
    using_history();
    stifle_history(HISTORY_MAX);
    if (path) read_history(path);

    printf("kiln %s\nEnter \".help\" for usage hints.\n", kiln_version());
    fflush(stdout);

    char *pending = NULL; /* text of the incomplete statement(s) */
    size_t pending_len = 0;
    for (;;) {
        char *line = readline(pending_len ? "  ...> " : "kiln> ");
        if (!line) { /* Ctrl-D */
            if (pending_len && !cli_sql_is_blank(pending)) {
                remember(pending, path);
                cli_run_sql(st, pending);
            }
            putchar('\n');
            break;
        }
        if (pending_len == 0) {
            const char *p = line;
            while (isspace((unsigned char)*p)) p++;
            if (*p == '\0') {
                free(line);
                continue;
            }
            if (*p == '.') {
                remember(p, path);
                int rc = cli_dot_command(st, p);
                free(line);
                if (rc == 2) break;
                continue;
            }
        }
        size_t n = strlen(line);
        char *grown = realloc(pending, pending_len + n + 2);
        if (!grown) {
            free(line);
            cli_errorf(st, "out of memory");
            break;
        }
        pending = grown;
        memcpy(pending + pending_len, line, n);
        pending_len += n;
        pending[pending_len++] = '\n';
        pending[pending_len] = '\0';
        free(line);

        /* How much of the buffer is complete statements? */
        size_t done = 0, step;
        while (done < pending_len && (step = kiln_statement_length(pending + done)) > 0) done += step;
        if (done == 0) {
            if (cli_sql_is_blank(pending)) pending_len = 0; /* only comments so far */
            continue;
        }
        char saved = pending[done];
        pending[done] = '\0';
        remember(pending, path);
        int rc = cli_run_sql(st, pending);
        pending[done] = saved;
        memmove(pending, pending + done, pending_len - done + 1);
        pending_len -= done;
        if (cli_sql_is_blank(pending)) pending_len = 0;
        if (rc == 2) break;
    }
    free(pending);
    free(path);
    return 0;
}
