"""Models as text: lvmdsl's own language (``.lvm``), a BUGS/JAGS reader, R dump and JSON data."""
