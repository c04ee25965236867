"""Self-service queries in the chat: a verified user's own quota, tax bills, clearances, print and
export applications, vehicle filings and airport appointments, read through `Records`."""
