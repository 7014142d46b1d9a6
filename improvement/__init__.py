"""The PDCA improvement register: improvements, causes, actions, metrics, the measured effect."""
