"$KILN" < data/sales.sql
