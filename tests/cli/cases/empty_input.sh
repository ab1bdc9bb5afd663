printf "\n-- nothing here\n" | "$KILN"
