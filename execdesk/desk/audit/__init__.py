"""The audit trail read back: chain verification, anchors outside the database, cross-checks, export, the
timeline's wording, and the redaction that keeps secrets out of payloads."""
