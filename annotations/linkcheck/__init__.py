"""Background checks of the sources cited as evidence: fetch safely, record, flag changes."""
