"""The Telegram bot channel (python-telegram-bot), on when SWA_TELEGRAM_TOKEN is set."""
