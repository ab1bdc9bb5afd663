"$KILN" --version
