"""What reporting announces to the apps built on it, so that it never imports them.

``values_written`` is sent by the ingest path inside its transaction, after the values and
their history are written and before it commits: ``changes`` iterates over
``(report_id, indicator_code, member, old_value, new_value)``, with ``actor`` and ``source``.
The quality app listens to supersede the explanations of values that changed; a receiver's
error rolls the whole write back.
"""

from django.dispatch import Signal

values_written = Signal()
