SELECT 1 AS before_error;
SELECT nosuch FROM nowhere;
SELECT 2 AS after_error;
