"""Module channels for LINE Official Accounts: attach, the attachment store, and the Messaging API client."""
