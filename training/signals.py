"""Signals training sends to the floors above it (certificates listen; training never
imports them)."""

from django.dispatch import Signal

# Sent after the transaction that records a pass commits, with enrolment=Enrolment.
course_passed = Signal()
