"$KILN" --format table data/many_rows.sql
