printf ".mode json\nSELECT 1 AS a;\n.mode markdown\nSELECT 2 AS b;\n" | "$KILN"
