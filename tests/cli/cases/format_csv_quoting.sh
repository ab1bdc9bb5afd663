"$KILN" --format csv -c "SELECT 'x,y' AS s, 'say \"hi\"' AS q, NULL AS n, '' AS e"
