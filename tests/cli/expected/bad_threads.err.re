^kiln: error: .*threads
