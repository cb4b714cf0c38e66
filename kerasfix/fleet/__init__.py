"""Many environments at once: scanning them side by side and the admin reports."""
