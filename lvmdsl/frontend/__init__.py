"""Front ends: the embedded Python model language (later also a text grammar)."""
