"""What the phone talks to: pages under /s/{token}, uploads and the scan routes."""
