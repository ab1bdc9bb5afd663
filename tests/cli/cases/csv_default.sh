"$KILN" -c "SELECT 1 AS a, 'x' AS b"
