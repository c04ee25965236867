"""What only the WeChat channel says (polite Simplified Chinese); the rest is
integrations/texts.py."""

# Ends the last message of a customer-service quota (outbox.py).
CONTINUE = "如需继续接收消息，请回复任意内容。"
# Under numbered options (options.py): "请回复 1/2/3 选择对应选项。"
PICK_OPTION = "请回复 {numbers} 选择对应选项。"
