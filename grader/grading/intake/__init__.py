"""What a submissions folder holds: every entry surveyed, archives unpacked safely,
and the names Moodle and Canvas give their downloads."""
