"""LINE Login: the flow, and one protocol adapter per LINE Login version."""
