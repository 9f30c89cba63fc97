"""The site's own Messaging API channel: its channel access token, push and multicast to members, its webhook,
and the bot's account link (LINE's "User account linking")."""
