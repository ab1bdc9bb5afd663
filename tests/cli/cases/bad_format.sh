"$KILN" --format xml -c "SELECT 1"
