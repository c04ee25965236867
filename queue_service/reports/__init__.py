"""Reports (报表): the supervisor's figures over a period, from SQL aggregates.

period.py   the period asked for (China-local days) and its buckets (day, week, month)
dialect.py  what SQLite and PostgreSQL spell differently: China-local buckets, hours, seconds
queries.py  the aggregates (bot_sessions, chats, the transcript for unanswered questions)
tables.py   each report as a table with Chinese headers, and as CSV
titles.py   FAQ entry titles from knowledge/faq (the service does not import the action server)
"""
