"$KILN" --timer -c "SELECT 42 AS x; SELECT 43 AS y"
