/*
 * cli.h — private interface between the files of the kiln command (src/cli/).
 *
 * The command is layered on the public API only (include/kiln.h), never on engine internals:
 *   main.c    parses arguments, opens the database, chooses the input mode
 *   run.c     splits SQL text into statements, runs them one by one, prints results, timer, errors
 *   shell.c   the interactive shell (libedit): prompts, multi-line input, history, dot commands
 *   format.c  renders a kiln_result as table (duckbox), csv, json or markdown
 * A cli_state is created by main() and handed to everything else; it owns the db handle.
 */
#ifndef KILN_CLI_H
#define KILN_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "kiln.h"

typedef enum cli_format {
    CLI_FORMAT_TABLE = 0,
    CLI_FORMAT_CSV,
    CLI_FORMAT_JSON,
    CLI_FORMAT_MARKDOWN
} cli_format;

typedef struct cli_state {
    kiln_db *db;       /* owned */
    cli_format format; /* output format of results */
    bool timer;        /* print "Run Time: X s" on stderr after each statement */
    bool interactive;  /* errors do not stop the run */
    FILE *out;         /* where results go (stdout) */
} cli_state;

/* format.c */
/** Parse "table", "csv", "json", "markdown"; returns false on an unknown name. */
bool cli_format_parse(const char *name, cli_format *format);
const char *cli_format_name(cli_format format);
/** Print one result in the given format. Results without columns print nothing. */
void cli_print_result(FILE *out, const kiln_result *res, cli_format format);

/* run.c */
/**
 * Run SQL text (one or more statements, and dot commands at statement starts). Every
 * statement that returns rows (not INSERT/UPDATE/DELETE/COPY) has its result printed.
 * Returns 0 when everything ran; 1 after the first error (printed on stderr), unless the
 * state is interactive, in which case the error is printed, the run continues and 1 is
 * returned at the end; 2 when a ".quit"/".exit" stopped the run.
 */
int cli_run_sql(cli_state *st, const char *text);
/**
 * Run one dot command line (".timer on", ".mode csv", ...). Returns 0 on success, 1 on a
 * bad command (message printed), and 2 for ".quit"/".exit".
 */
int cli_dot_command(cli_state *st, const char *line);
/** True when SQL text holds only whitespace, comments and semicolons. */
bool cli_sql_is_blank(const char *sql);
/** Print "kiln: error: " + text on stderr (after flushing results). */
void cli_errorf(cli_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* shell.c */
/** The interactive shell on a terminal. Returns the exit status. */
int cli_shell(cli_state *st);

#endif /* KILN_CLI_H */
