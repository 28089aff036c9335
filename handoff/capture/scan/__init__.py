"""The document scan: corner detection, perspective correction and PDF assembly."""
