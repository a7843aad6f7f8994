"""What the zone registry announces to the apps built on it, so that it never imports them.

``zone_created`` is sent by ``do_create_org_unit`` inside its transaction when the new unit
is a zone (``unit``, ``actor``, ``source``). The reporting app listens to assign the default
report forms; a receiver's error rolls the creation back.
"""

from django.dispatch import Signal

zone_created = Signal()
