"""Op-table rows not on the device yet (see not_on_device.py); generated."""

NOT_YET: set = set()  # every op-table row runs on the device
