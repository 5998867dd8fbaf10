"""Pure rules of the invite tracker. Standard library only: no I/O, no frameworks."""
