"""Platform tests start real `deslab-hub up` processes; helpers are in platform_helpers.py."""
