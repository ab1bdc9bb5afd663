"$KILN" data/error_midway.sql
