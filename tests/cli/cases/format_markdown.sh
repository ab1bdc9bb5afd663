"$KILN" --format markdown data/sales.sql
