"""Account linking: the ``@line.link_user`` hook, the link store, the site user, and the Flask-Login bridge."""
