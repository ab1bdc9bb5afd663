"$KILN" data/sales.sql
