"""The service: conversation hub, channels' home, agent console and transcripts."""
