"$KILN" --format=json data/sales.sql
