"""Capture processing: photo conversion, signature rendering and document scans.

Blocking code only (Pillow, numpy, img2pdf), run in a thread pool; nothing here
imports aiohttp or the store."""
