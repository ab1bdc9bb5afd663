"$KILN" -c "SELECT 1 AS first" data/sales.sql -c "SELECT 3 AS last"
