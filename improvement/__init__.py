"""The PDCA improvement register (built in a later issue)."""
