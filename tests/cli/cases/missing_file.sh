"$KILN" no_such_file.sql
