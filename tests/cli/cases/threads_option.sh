"$KILN" --threads 4 --memory-limit 1GB -c "SELECT 42 AS x"
