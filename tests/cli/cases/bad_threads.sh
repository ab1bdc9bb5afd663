"$KILN" --threads 0 -c "SELECT 42 AS x"
