"""Traceability: GS1 EPCIS events from brands, item histories, the trace check on every case (one item, one code)."""
