"$KILN" -c "SELECT NULL AS n, 2.5 AS d, true AS t, -7 AS i, 0.1 AS f"
