"$KILN" --format table -c "SELECT 1 AS a, 'x' AS b, NULL AS c"
