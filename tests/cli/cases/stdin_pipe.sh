echo "SELECT 42;" | "$KILN"
