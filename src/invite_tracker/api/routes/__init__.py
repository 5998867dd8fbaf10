"""Routes, grouped like the sections of Husqy's documentation."""
