"$KILN" --bogus
