^kiln: error: .*nowhere
^SELECT nosuch FROM nowhere;$
^ +\^$
