"""LINE Login: one flow for every version (``versions.py`` holds what differs), the profile client, the service
(identity, logout, friendship, credentials from LIFF and native clients)."""
