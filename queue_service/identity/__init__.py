"""Who a user is, once verified: by the host portal's token, a channel binding, or a card."""
