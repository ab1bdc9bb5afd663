printf "SELECT 7 AS seven;\n" | "$KILN" -
