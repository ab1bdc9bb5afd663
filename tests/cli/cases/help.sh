"$KILN" --help
